"""The hardening report: what each test tried and how each input ended, written as JSON for docs/RELIABILITY.md.

Quick (CI) versions run in a normal pytest run; INFOGAN_HARDENING=long (or INFOGAN_FUZZ=long,
INFOGAN_SOAK=long, INFOGAN_FAULTS=long for one part) runs the long versions. The report goes to
$INFOGAN_HARDENING_REPORT, else to .pytest_cache/hardening-report.json in the checkout.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.timing import finished, machine

REPORTS = Path(__file__).resolve().parents[2] / ".pytest_cache"  # inside the checkout, ignored by git


def long_mode(part: str) -> bool:
    """True when the long version of `part` ("FUZZ", "SOAK", "FAULTS") was asked for."""
    return "long" in (os.environ.get("INFOGAN_HARDENING", ""), os.environ.get(f"INFOGAN_{part}", ""))


def report_path() -> Path:
    return Path(os.environ.get("INFOGAN_HARDENING_REPORT") or REPORTS / "hardening-report.json")


class Tally:
    """Per category: how many inputs were tried, and how each ended ("valid" or the exception class)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self.measurements: dict[str, Any] = {}

    def count(self, category: str, outcome: str) -> None:
        with self._lock:
            self.outcomes[category][outcome] += 1

    def measure(self, name: str, value: dict[str, Any]) -> None:
        with self._lock:
            self.measurements[name] = {**value, "at": STARTED}

    def as_dict(self) -> dict[str, Any]:
        categories = {name: {"tried": sum(counts.values()), "outcomes": dict(sorted(counts.items())), "at": STARTED}
                      for name, counts in sorted(self.outcomes.items())}
        return {"categories": categories, "measurements": self.measurements, "runs": {STARTED: finished(MACHINE)},
                "mode": {part: "long" if long_mode(part) else "ci" for part in ("FUZZ", "SOAK", "FAULTS")}}

    def write(self, path: Path) -> None:
        """Merge into an existing report, entry by entry (so separate runs of fuzz, soak and faults add up to one
        file); each entry says when its run started ("at"), and "runs" holds each run's machine under that time."""
        data = self.as_dict()
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except ValueError:
                old = {}
            data["categories"] = {**old.get("categories", {}), **data["categories"]}
            data["measurements"] = {**old.get("measurements", {}), **data["measurements"]}
            data["runs"] = {**old.get("runs", {}), **data["runs"]}
        path.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone's first run, or pytest's cache turned off
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


STARTED = time.strftime("%Y-%m-%d %H:%M:%S")
MACHINE = machine(["python", "-m", "pytest", *sys.argv[1:]])  # this session's, under "runs"
TALLY = Tally()  # one per test session, filled by the hardening tests


# --- the report as docs/RELIABILITY.md's tables (python -m bench.docs writes them there) ---------------------------
def render_outcomes(categories: dict[str, dict[str, Any]], prefixes: tuple[str, ...]) -> str:
    """How the inputs of each category whose name starts with one of `prefixes` ended, as a Markdown table.
    `categories`: this report's ({name: {"tried", "outcomes"}}) or the serve fuzz report's ({name: {status: n}})."""
    lines = ["| category | tried | outcomes |", "|---|---:|---|"]
    for name, entry in sorted(categories.items()):
        if name.startswith(prefixes):
            outcomes = entry.get("outcomes", entry)
            counts = ", ".join(f"{count} x {outcome}" for outcome, count in sorted(outcomes.items()))
            lines.append(f"| `{name}` | {sum(outcomes.values())} | {counts} |")
    return "\n".join(lines) + "\n"


def render_bombs(report: dict[str, Any]) -> str:
    bombs = report["measurements"]["decompression_bombs"]
    refused = [bomb for bomb in bombs["bombs"].values() if bomb["outcome"] != "valid"]
    largest = bombs["largest_accepted_4096x4096"]
    return ("| measured | value |\n|---|---|\n"
            f"| bombs refused | {len(refused)} of {len(bombs['bombs'])} |\n"
            f"| slowest refusal | {1e3 * max(bomb['seconds'] for bomb in refused):.2f} ms |\n"
            f"| peak RSS growth of the refusing process | {bombs['peak_rss_growth_mb']:.2f} MB |\n"
            f"| the largest accepted image (4096x4096): decoded and normalised in | {largest['seconds']:.2f} s |\n"
            f"| ... its peak RSS growth | {largest['peak_rss_growth_mb']:.0f} MB |\n")


def render_verification(report: dict[str, Any]) -> str:
    costs = report["measurements"]["sha256_verification"]
    lines = [f"Model {costs['model']}, ONNX files {sum(costs['file_bytes'].values()) / 1e6:.2f} MB in all.", "",
             "| | verify=True | verify=False | overhead |", "|---|---:|---:|---:|"]
    for network in ("Generator", "Encoder"):
        cost = costs[network]
        lines.append(f"| `{network}(\"mnist\")` | {cost['verify_true_ms']:.1f} ms | {cost['verify_false_ms']:.1f} ms | "
                     f"{cost['overhead_ms']:.1f} ms |")
    return "\n".join(lines) + "\n"


def render_soak(report: dict[str, Any]) -> str:
    soak = report["measurements"]["soak"]
    rss, latency = soak["rss_mb"], soak["latency_ms"]
    lines = ["| threads | seconds | calls | calls/s | mismatches | errors | RSS after warm-up -> end | growth |",
             "|---:|---:|---:|---:|---:|---:|---|---:|",
             f"| {soak['threads']} | {soak['seconds']:.0f} | {soak['calls']} | {soak['calls_per_second']:.1f} | "
             f"{soak['mismatches']} | {len(soak['errors'])} | {rss['after_warmup']:.1f} -> {rss['end']:.1f} MB | "
             f"{soak['rss_growth_percent']:+.2f}% |", "", "| calls | p50 | p99 | max |", "|---|---:|---:|---:|"]
    for kind, figures in latency.items():
        lines.append(f"| {kind} | {figures['p50']:.1f} ms | {figures['p99']:.1f} ms | {figures['max']:.1f} ms |")
    return "\n".join(lines) + "\n"


def render_kills(report: dict[str, Any]) -> str:
    train, export = report["measurements"]["train_kills"], report["measurements"]["export_kills"]
    modes = Counter(kill["mode"] for kill in train["kills"] if kill["killed"])
    steps = [kill["checkpoint_step"] for kill in train["kills"] if kill["killed"]]
    triggers = Counter(kill["trigger"] for kill in export["kills"] if kill["killed"])
    targets = Counter(kill["target"] for kill in export["kills"])
    return ("| run | kills | after each kill | left behind |\n|---|---|---|---|\n"
            f"| training | {sum(modes.values())} ({_listed(modes)}) | a loadable checkpoint (steps {min(steps)} to "
            f"{max(steps)}); {train['runs_resumed_to_the_end']} run(s) resumed to the end, weights `torch.equal` to "
            f"the uninterrupted run: {train['weights_equal_uninterrupted']} | {train['tmp_files_left']} temporary "
            f"files after the resumed runs |\n"
            f"| export ({export['exporter']}) | {sum(triggers.values())} ({_listed(triggers)}) | target "
            f"{_listed(targets)}; the later export succeeded: {export['later_export_succeeded']} | "
            f"{export['partial_folders_left']} partial folders |\n")


def _listed(counts: Counter[str]) -> str:
    return ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in sorted(counts.items()))
