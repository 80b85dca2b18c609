"""The hardening report: what each test tried and how each input ended, written as JSON for docs/RELIABILITY.md.

Quick (CI) versions run in a normal pytest run; INFOGAN_HARDENING=long (or INFOGAN_FUZZ=long,
INFOGAN_SOAK=long, INFOGAN_FAULTS=long for one part) runs the long versions. The report goes to
$INFOGAN_HARDENING_REPORT, else to .pytest_cache/hardening-report.json in the checkout.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

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
        return {"categories": categories, "measurements": self.measurements,
                "mode": {part: "long" if long_mode(part) else "ci" for part in ("FUZZ", "SOAK", "FAULTS")}}

    def write(self, path: Path) -> None:
        """Merge into an existing report, entry by entry (so separate runs of fuzz, soak and faults add up to one
        file); each entry says when its run started ("at")."""
        data = self.as_dict()
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except ValueError:
                old = {}
            data["categories"] = {**old.get("categories", {}), **data["categories"]}
            data["measurements"] = {**old.get("measurements", {}), **data["measurements"]}
        path.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone's first run, or pytest's cache turned off
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


STARTED = time.strftime("%Y-%m-%d %H:%M:%S")
TALLY = Tally()  # one per test session, filled by the hardening tests
