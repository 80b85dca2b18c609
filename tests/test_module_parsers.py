"""The `python -m` entry points share the CLI's parser: a misspelt flag gets a suggestion, never a silent default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # one interpreter per entry point (torch imports take seconds)


@pytest.mark.parametrize(("module", "argv", "expected"), [
    ("train", ["--epoch", "3", "--out", "x"], "unrecognized arguments: --epoch 3 (did you mean --epochs?)"),
    ("evaluate", ["mnist", "--mardown"], "unrecognized arguments: --mardown (did you mean --markdown?)"),
    ("export", ["run", "--out", "x", "--ovewrite"], "(did you mean --overwrite?)"),
    ("imagedata", ["shapez", "--out", "x"], "(did you mean 'shapes'?)"),
])
def test_a_misspelt_flag_gets_a_suggestion_and_exit_2(module, argv, expected, tmp_path):
    done = subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr, done.stderr
    assert not (tmp_path / "x").exists()
