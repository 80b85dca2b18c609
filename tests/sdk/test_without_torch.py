"""The SDK's CLI, and the SDK's and the service's own tests, run in a process where torch cannot be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BLOCK_TORCH = "import sys; sys.modules['torch'] = None  # any 'import torch' now raises ImportError\n"


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = BLOCK_TORCH + f"from infogan_sdk.cli import main; sys.exit(main({args!r}))"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_generate_and_infer_with_torch_unimportable(tmp_path: Path) -> None:
    made = run_cli(["generate", "--digit", "3", "--count", "4", "--seed", "0", "--separate", "-o",
                    str(tmp_path / "three.png")], tmp_path)
    assert made.returncode == 0, made.stderr
    files = sorted(tmp_path.glob("three_*.png"))
    assert len(files) == 4
    read = run_cli(["infer", "--json", *map(str, files)], tmp_path)
    assert read.returncode == 0, read.stderr
    rows = json.loads(read.stdout)
    assert [row["digit"] for row in rows] == [3, 3, 3, 3]


@pytest.mark.slow  # the fast tests of three folders again, ~30 s
def test_the_sdk_and_service_tests_pass_with_torch_unimportable(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    folders = ["tests/sdk", "tests/serve", "tests/mnist_data", "tests/hardening", "tests/bench"]
    code = BLOCK_TORCH + f"import pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *{folders!r}]))"
    env = {**os.environ, "INFOGAN_HARDENING_REPORT": str(tmp_path / "hardening.json"),  # not the real run's reports
           "INFOGAN_SERVE_FUZZ_REPORT": str(tmp_path / "serve-fuzz.json")}
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "error" not in summary, summary
    assert int(summary.split(" passed")[0].split()[-1]) > 200, summary  # the SDK's tests ran, not just a few
