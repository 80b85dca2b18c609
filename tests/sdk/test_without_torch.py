"""The SDK's CLI runs the bundled default model in a process where torch cannot be imported at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
