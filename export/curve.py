"""`python -m export.curve RUN --json FILE [--quick]`: the disentanglement metrics of a run against its steps.

One row per checkpoint the run kept (`python -m train --keep-every N`: checkpoint-stepNNNNNN.pt) and one for its
newest checkpoint. Each is exported to a temporary model folder (`export.folder.export_checkpoint`, verified and
briefly described), then measured through the SDK on the data set in its manifest with disentanglement_lib's
sizes (`evaluate.disentanglement`; `--quick`: few points, for tests). FILE is rewritten after each row, and rows
already in it are not measured again, so the command can follow a run that is still training.
Exit status 1 when a checkpoint cannot be exported or its data set has no known factors.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evaluate import disentanglement
from evaluate.general import model_data_set
from evaluate.scores import Sizes as DescribeSizes
from export.folder import export_checkpoint
from export.verify import VerificationError
from infogan_sdk import Encoder, Generator, InfoGANError
from infogan_sdk.atomic import atomic_output
from infogan_sdk.cli.arguments import Parser
from train.checkpoint import CHECKPOINT_NAME, TrainingError, load_checkpoint

METRICS = ("factor_vae", "mig", "dci", "sap")  # the order: FactorVAE, MIG, DCI disentanglement, SAP


def checkpoints(run: Path) -> dict[int, Path]:
    """Step -> checkpoint file: the kept ones, and the newest where its step was not kept."""
    found = {int(path.stem.removeprefix("checkpoint-step")): path for path in run.glob("checkpoint-step*.pt")}
    newest = run / CHECKPOINT_NAME
    if newest.is_file():
        step = int(load_checkpoint(newest)["step"])
        found.setdefault(step, newest)
    return dict(sorted(found.items()))


def measure(checkpoint: Path, sizes: disentanglement.Sizes, seed: int) -> dict[str, Any]:
    """The four metrics of one checkpoint (a row without its step), through a temporary export."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="curve-") as work:
        folder = export_checkpoint(checkpoint, Path(work) / "model", name="curve", sizes=DescribeSizes.quick())
        data = model_data_set(Generator(folder, device="cpu"), None, None)
        found = None if data is None else disentanglement.of_data_set(Encoder(folder, device="cpu"), data, sizes,
                                                                      seed)
    if found is None:
        raise InfoGANError(f"{checkpoint}: its data set has no known factors to measure disentanglement against")
    return {"factor_vae": found["factor_vae"]["score"], "mig": found["mig"],
            "dci": found["dci"]["disentanglement"], "sap": found["sap"], "codes": found["codes"],
            "assignment": found["factor_vae"]["assignment"], "seconds": round(time.perf_counter() - started, 1)}


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| step | FactorVAE | MIG | DCI | SAP |", "|---|---|---|---|---|"]
    lines += [f"| {row['step']} | " + " | ".join(f"{row[name]:.3f}" for name in METRICS) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m export.curve", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder of python -m train")
    parser.add_argument("--json", type=Path, required=True, help="the curve's file: read, extended, rewritten")
    parser.add_argument("--quick", action="store_true", help="few points per metric (tests)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    sizes = disentanglement.Sizes.quick() if args.quick else disentanglement.Sizes()
    try:
        done = json.loads(args.json.read_text(encoding="utf-8")) if args.json.is_file() else {"rows": []}
        if done.get("sizes", sizes.__dict__) != sizes.__dict__ or done.get("seed", args.seed) != args.seed:
            raise InfoGANError(f"{args.json} was measured with other sizes or another seed ({done.get('sizes')}, "
                               f"seed {done.get('seed')}); give another --json")
        found = checkpoints(args.run)
        if not found:
            raise InfoGANError(f"{args.run} holds no checkpoint of python -m train")
        rows = {row["step"]: row for row in done["rows"]}
        for step, path in found.items():
            if step in rows:
                continue
            rows[step] = {"step": step, **measure(path, sizes, args.seed)}
            curve = {"run": str(args.run), "sizes": sizes.__dict__, "seed": args.seed,
                     "rows": [rows[key] for key in sorted(rows)]}
            with atomic_output(args.json, overwrite=True) as temporary:
                temporary.write_text(json.dumps(curve, indent=2) + "\n", encoding="utf-8")
    except (InfoGANError, TrainingError, VerificationError, OSError, ValueError, KeyError) as error:
        print(f"python -m export.curve: error: {error}", file=sys.stderr)
        return 1
    print(table([rows[key] for key in sorted(rows)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
