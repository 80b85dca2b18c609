"""Hardening fixtures: the bundled model loaded once, a tiny model folder, and the session report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model

from .report import TALLY, Tally, report_path


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tests/sdk tiny model: noise 4, a 10-way code (reversed mapping), rotation and width, an fp16 variant."""
    return build_model(tmp_path_factory.mktemp("hardening") / "tiny", MAIN_SPEC, REVERSED, ["rotation", "width"],
                       half=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.outcomes and not TALLY.measurements:
        return
    path = report_path()
    TALLY.write(path)
    terminalreporter.section("hardening report")
    for name, entry in TALLY.as_dict()["categories"].items():
        terminalreporter.write_line(f"{name}: {entry['tried']} tried, {entry['outcomes']}")
    terminalreporter.write_line(f"written to {path}")
