"""Stopped training and export runs (issue 37): SIGTERM and SIGHUP end `python -m train` and `python -m export` as
Ctrl-C does, with one line on stderr after their logs, exit code 128 + the signal, no temporary left, and (train)
the last complete checkpoint kept for --resume. Before, the signal killed the process where it stood.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from train.checkpoint import load_checkpoint

from .report import Tally
from .test_interrupts import ROOT, start, stop, temporaries, when

pytestmark = pytest.mark.slow
TRAIN = ["--dry-run", "--batch-size", "8", "--max-steps", "64", "--checkpoint-every", "1", "--device", "cpu",
         "--threads", "1"]  # 64 steps, a checkpoint after each (see test_faults.py)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stopped_training_run_keeps_its_last_checkpoint_and_nothing_else(tmp_path: Path, tally: Tally,
                                                                           number: int) -> None:
    out = tmp_path / "run"
    process = start("train", *TRAIN, "--out", str(out))
    when(process, lambda: (out / "checkpoint.pt").exists())
    lines = stop(process, number)
    assert lines[-1] == f"python -m train: interrupted by {signal.Signals(number).name}", lines[-5:]
    assert not any("Traceback" in line for line in lines) and sum("interrupted" in line for line in lines) == 1
    assert temporaries(out) == []
    assert 1 <= load_checkpoint(out)["step"] < 64  # the last complete checkpoint: --resume goes on from it
    tally.count("faults/interrupt_train", "one_line_checkpoint_kept")


def test_a_stopped_export_says_so_in_one_line_and_leaves_nothing(tmp_path: Path, tally: Tally) -> None:
    run = tmp_path / "run"
    trained = subprocess.run([sys.executable, "-m", "train", "--dry-run", "--device", "cpu", "--threads", "1",
                              "--out", str(run)], cwd=ROOT, capture_output=True, timeout=300)
    assert trained.returncode == 0, trained.stderr.decode()[-3000:]
    models = tmp_path / "models"
    models.mkdir()
    process = start("export", str(run), "--out", str(models / "dry"), "--mapping-images", "200", "--quick-describe",
                    "--exporter", "legacy")
    when(process, lambda: bool(temporaries(models)))
    lines = stop(process, signal.SIGTERM)
    assert lines[-1] == "python -m export: interrupted by SIGTERM", lines[-5:]
    assert not any("Traceback" in line for line in lines)
    assert list(models.iterdir()) == []
    tally.count("faults/interrupt_export", "one_line_nothing_left")
