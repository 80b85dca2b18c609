"""`python -m export.rescore MODEL --out MODEL_DIR`: a model folder again, with its not-a-digit score fitted anew.

The bundled models were exported from checkpoints that are not shipped, so this starts from the folder: its networks
are loaded back (`train/from_folder.py`), the digit score is fitted as export fits it (`export/digit_score.py`),
encoder.onnx is exported again with it, and every other output must come out as before (checked against the old
file on MNIST test digits). The manifest gains the new `not_a_digit` threshold and fit record; the card's figures
are then stale, so run `python -m evaluate MODEL_DIR --write`. Written atomically; `--out` as `python -m export`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import torch

from export import digit_score, verify
from export.digit_score import ScoreSizes
from export.graphs import EXPORTERS, EncoderGraph, GeneratorGraph
from export.noise import reexport_encoder
from export.target import check_target
from infogan_sdk import spec as names
from infogan_sdk.atomic import atomic_output
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.errors import InfoGANError
from infogan_sdk.loading.folders import resolve_model
from infogan_sdk.loading.manifest import file_entry, write_manifest
from mnist_data.files import load_mnist
from train.checkpoint import code_version
from train.from_folder import load_folder
from train.pixels import to_pixels

logger = logging.getLogger(__name__)
OLD_OUTPUTS_IMAGES = 2000  # MNIST test digits on which the other outputs must come out as before
HALF_TOLERANCE = 0.02  # the inferred noise (about N(0, 1)) from fp16-stored weights, against fp32 ones


def rescore(model: str | Path, out: str | Path, overwrite: bool = False, exporter: str = "dynamo",
            data_dir: str | Path | None = None, sizes: ScoreSizes | None = None) -> Path:
    """Write `model`'s folder at `out` with a newly fitted digit score; returns `out`.

    Raises verify.VerificationError (writing nothing) if the networks do not load back exactly or another output
    changes, OutputExistsError before any work if `out` may not be replaced.
    """
    started = time.perf_counter()
    source_path, out = resolve_model(model), Path(out)
    existing = check_target(out, (source_path,), overwrite)
    folder = load_folder(source_path)
    source = folder.manifest
    if folder.digit_score is None:
        raise verify.VerificationError(f"{source.path} has no digit score to fit anew")
    train_images, _ = load_mnist("train", data_dir)
    test_images, _ = load_mnist("test", data_dir)
    test = to_pixels(torch.from_numpy(test_images[:OLD_OUTPUTS_IMAGES]), folder.spec).numpy()
    generator = GeneratorGraph(folder.generator, folder.spec)
    score, record = digit_score.fit(generator, folder.reader, train_images, sizes or ScoreSizes())
    graph = EncoderGraph(folder.reader, folder.model_config.learn_std, score, noise_head=folder.noise_head)
    outputs = source.data["io"]["encoder"]["outputs"]
    if graph.outputs != outputs:
        raise verify.VerificationError(f"{source.path}'s encoder has outputs {outputs}; loaded back it gives "
                                       f"{graph.outputs} (a critic inside the encoder is not loaded back)")
    with atomic_output(out, folder=True, overwrite=existing) as work:
        encoder, parity = reexport_encoder(folder, graph, work, exporter, test)
        unchanged = verify.same_outputs(source.path / encoder, work / encoder,
                                        [name for name in outputs if name not in (names.DIGIT_SCORE, names.NOISE)],
                                        test)
        if names.NOISE in outputs:  # the noise head's weights are now stored in fp16 (export.graphs.HALF_PRECISION)
            unchanged |= verify.same_outputs(source.path / encoder, work / encoder, [names.NOISE], test,
                                             HALF_TOLERANCE)
        manifest = dict(source.data)
        manifest["files"] = {**source.data["files"], "encoder": file_entry(work, encoder)}
        write_manifest(work, manifest)
        not_a_digit = digit_score.calibrate(work, train_images)
        assert not_a_digit is not None  # the encoder has a digit score output
        manifest["not_a_digit"] = not_a_digit
        manifest["export"] = {**source.data["export"], "digit_score_fit": record, "digit_score_refit": {
            "command": "python -m export.rescore", "exporter": exporter, "parity": parity,
            "other_outputs_max_abs_error": unchanged, "code_version": code_version(),
            "seconds": round(time.perf_counter() - started, 2)}}
        write_manifest(work, manifest)
    logger.info("fitted the digit score of %s anew -> %s in %.1f s", source.path, out, time.perf_counter() - started)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m export.rescore", description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model folder or bundled name")
    parser.add_argument("--out", required=True, help="the model folder to write (new, or empty)")
    parser.add_argument("--overwrite", action="store_true", help="replace the model folder already at --out")
    parser.add_argument("--exporter", choices=EXPORTERS, default="dynamo")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $INFOGAN_MNIST_DIR or the cache)")
    parser.add_argument("--quick", action="store_true", help="fit with few images (seconds; for smoke tests)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("onnx_ir").setLevel(logging.WARNING)
    try:
        rescore(args.model, args.out, args.overwrite, args.exporter, args.data_dir,
                ScoreSizes.quick() if args.quick else None)
    except (InfoGANError, verify.VerificationError) as error:
        print(f"python -m export.rescore: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
