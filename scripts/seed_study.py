"""The model card's seed table: min / median / max over seeds of each stage, from runs already trained and measured.

    python -m scripts.seed_study --gan RUN=DESCRIPTION ... --reader RUN ...

--gan: a stage 1 run folder and the description of the model exported from it (a `python -m evaluate --json` file,
or a model folder or bundled name whose manifest holds one; stage 2 and 3 keep stage 1's generator, so the shipped
model describes its stage 1 generator too). Stage 1's own Q accuracy is the run's last end-of-epoch test score.
--reader: a stage 2 run folder; its Q accuracy is the run's last end-of-epoch test score (the card's figure for the
model exported from it: the same 10,000 MNIST test images through the same encoder). Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evaluate.codes import NAMED
from infogan_sdk import Generator

Row = dict[str, float]


def last_test_accuracy(run: Path) -> float:
    """The Q accuracy of a run's last end-of-epoch test score in its metrics.jsonl."""
    lines = (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    scores = [json.loads(line)["test"] for line in lines if '"test"' in line]
    if not scores:
        raise ValueError(f"{run}/metrics.jsonl has no end-of-epoch test score: is the run finished?")
    return float(scores[-1]["q_accuracy"])


def description(source: str) -> dict[str, Any]:
    """A `python -m evaluate --json` file, or the description stored in a model's manifest."""
    if source.endswith(".json"):
        return dict(json.loads(Path(source).read_text(encoding="utf-8")))
    return Generator(source, device="cpu").info


def gan_row(run: Path, source: str) -> Row:
    described = description(source)
    results = described["evaluation"]
    row = {"stage 1 Q accuracy": last_test_accuracy(run), "digit control": results["digit_control"],
           "Frechet / floor": results["frechet_distance"] / results["frechet_distance_real_floor"],
           "faint samples": results["faint_fraction"]}
    measure_of = {code: measure for measure, code in NAMED.items()}
    for code in described["continuous_codes"]:  # each named code's effect on its own measure, in sd
        if code["name"] in measure_of:
            row[f"{code['name']} (sd)"] = code["effects"][measure_of[code["name"]]]
    return row


def table(title: str, rows: dict[str, Row], shown: dict[str, Callable[[float], str]]) -> str:
    """Per-run rows, then min / median / max of each column over the runs that have it ("-": a code not named)."""
    columns = [name for name in shown if any(name in row for row in rows.values())]
    lines = [f"| {title} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(shown[c](row[c]) if c in row else "-" for c in columns) + " |"
              for label, row in rows.items()]
    for name, pick in (("min", min), ("median", statistics.median), ("max", max)):
        picked = (shown[c](pick([row[c] for row in rows.values() if c in row])) for c in columns)
        lines.append(f"| **{name}** | " + " | ".join(picked) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gan", nargs="*", default=[], metavar="RUN=DESCRIPTION")
    parser.add_argument("--reader", nargs="*", default=[], metavar="RUN")
    args = parser.parse_args(argv)
    percent, times, sd = (lambda v: f"{100 * v:.2f}%"), (lambda v: f"{v:.2f}x"), (lambda v: f"{v:+.2f}")
    if args.gan:
        rows = {Path(run).name: gan_row(Path(run), source) for run, _, source in (a.partition("=") for a in args.gan)}
        shown = {"stage 1 Q accuracy": percent, "digit control": percent, "Frechet / floor": times,
                 "faint samples": percent, **{f"{name} (sd)": sd for name in ("rotation", "thickness", "width")}}
        print(table("stage 1 run", rows, shown), end="\n\n")
    if args.reader:
        rows = {Path(run).name: {"Q accuracy": last_test_accuracy(Path(run))} for run in args.reader}
        print(table("stage 2 run", rows, {"Q accuracy": percent}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
