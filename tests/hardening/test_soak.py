"""Concurrency soak (CI: 20 s; INFOGAN_SOAK=long: 5 minutes; or `python -m tests.hardening.soak --seconds N`)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from infogan_sdk import Encoder, Generator

from .report import Tally, long_mode
from .soak import run_soak

pytestmark = pytest.mark.slow  # a 20 s run

SECONDS = 300.0 if long_mode("SOAK") else 20.0


def test_threads_sharing_models_match_single_threaded_results_with_flat_memory(tally: Tally) -> None:
    result = run_soak(SECONDS, threads=8, generator=Generator("mnist", device="cpu"),
                      encoder=Encoder("mnist", device="cpu"))
    tally.measure("soak", asdict(result))
    assert not result.errors, result.errors[:5]
    assert result.mismatches == 0, f"{result.mismatches} of {result.calls} results differ from single-threaded ones"
    assert result.calls > 100, f"only {result.calls} calls in {SECONDS} s"
    assert result.rss_growth_percent < 5.0, f"resident memory grew {result.rss_growth_percent}% after warm-up: " \
        f"{result.rss_mb}"
