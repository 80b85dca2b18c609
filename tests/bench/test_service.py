"""Section 7's plumbing: a real `infogan serve` answers every timed request and the table renders. Speed is never
asserted."""

from __future__ import annotations

import pytest

from bench import service
from bench.report import _service
from infogan_sdk.loading.folders import BUNDLED_DIR

pytestmark = pytest.mark.slow


def test_service_section_runs_every_row_and_renders() -> None:
    figures = service.service(BUNDLED_DIR / "mnist", threads=1, requests_per_row=16)
    rows = figures["rows"]
    assert [(row["setting"], row["call"], row["clients"]) for row in rows] == [
        (setting, call, clients) for setting, _ in service.SETTINGS for call in ("generate", "infer")
        for clients in service.CLIENTS]
    for row in rows:
        assert row["requests"] == max(10, 16 // row["clients"]) * row["clients"]
        for side in ("http", "sdk"):
            assert row[side]["requests_per_s"] > 0 and 0 < row[side]["p50_ms"] <= row[side]["p99_ms"]
    lines = _service({"service": figures})
    assert lines[1].startswith("7. infogan serve") and len(lines) == 3 + len(rows)
