"""python -m bench.web runs end to end on a tiny budget and prints every row of its table with numbers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bench.web import CHROMIUM, main
from infogan_sdk.cli.web import REPOSITORY_JS

pytestmark = pytest.mark.slow


def test_the_web_benchmark_prints_node_python_and_chromium_rows(capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("node") is None or not (REPOSITORY_JS / "node_modules").is_dir() or not Path(CHROMIUM).is_file():
        pytest.skip("needs node, js/node_modules and Chromium (scripts/test installs them)")
    assert main(["--threads", "1", "--batch", "16", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\| Python SDK \| 1 \| [\d,]+ \| [\d,]+ \| 1 \|", out)
    assert re.search(r"\| Node \| 1 \| [\d,]+ \| [\d,]+ \| generate \d+%, infer \d+% \|", out)
    for row in (r"one generate image \| [\d.]+ ms", r"read as 7\) \| [\d.]+ ms", r"first generated image \| [\d.]+ s"):
        assert re.search(row, out), row
