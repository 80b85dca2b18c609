"""Stopped commands (issue 37): SIGTERM (`timeout`, `docker stop`, systemd), SIGHUP (a closed terminal) and Ctrl-C
end `infogan` with one line on stderr, exit code 128 + the signal and no temporary left (`python -m train` and
`python -m export`: test_interrupts_train.py); what a SIGKILLed writer leaves is removed by the next run in the
folder.

Before: SIGTERM and SIGHUP killed the process where it stood, leaving hidden `.parts` / `.tmp` folders of tens of MB
to GB that only a later write to the same name removed; Ctrl-C printed 24-46 lines of traceback.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.processes import log, serving

from .report import Tally

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TEMPORARY = re.compile(r"\..+\.\d+-[0-9a-f]{8}\.(tmp|parts|old)")  # infogan_sdk.atomic's temporaries
BIG = ["dataset", "--count", "1000000", "--ignore-disk-check", "-q"]  # minutes of work: it is stopped long before


def start(module: str, *args: str, ignore_hangup: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                            preexec_fn=(lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) if ignore_hangup
                            else None)


def when(process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 120.0) -> None:
    """Return once `ready()` is true; fail if the process ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, errors = process.communicate()
            raise AssertionError(f"{process.args} ended ({process.returncode}) before it could be stopped:\n"
                                 f"{errors.decode()[-3000:]}")
        time.sleep(0.005)


def temporaries(folder: Path) -> list[str]:
    """The names of `infogan_sdk.atomic`'s temporaries (.NAME.<pid>-<hex>.tmp / .parts / .old) in `folder`."""
    return sorted(path.name for path in folder.iterdir() if TEMPORARY.fullmatch(path.name))


def writing(folder: Path) -> Callable[[], bool]:
    """True once a temporary in `folder` holds data (a .parts folder's .npy files, a .tmp file or folder)."""
    def ready() -> bool:
        for name in temporaries(folder):
            path = folder / name
            try:
                sizes = [path.stat().st_size] if path.is_file() else [c.stat().st_size for c in path.iterdir()]
            except FileNotFoundError:  # removed meanwhile
                continue
            if any(sizes):
                return True
        return False
    return ready


def stop(process: subprocess.Popen[bytes], number: int) -> list[str]:
    """Send signal `number`; the process's exit code must be 128 + it. Returns stderr's lines."""
    process.send_signal(number)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 128 + number, (process.returncode, errors.decode()[-3000:])
    return errors.decode().splitlines()


@pytest.mark.parametrize(("name", "number"), [("d.npz", signal.SIGTERM), ("d.npz", signal.SIGHUP),
                                              ("d.npz", signal.SIGINT), ("digits", signal.SIGTERM),
                                              ("d.parquet", signal.SIGHUP)],
                         ids=["npz-SIGTERM", "npz-SIGHUP", "npz-SIGINT", "folder-SIGTERM", "parquet-SIGHUP"])
def test_a_stopped_data_set_says_so_in_one_line_and_leaves_nothing(tmp_path: Path, tally: Tally, name: str,
                                                                  number: int) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    process = start("infogan_sdk", *BIG, "-o", str(tmp_path / name))
    when(process, writing(tmp_path))
    assert stop(process, number) == [f"infogan: interrupted by {signal.Signals(number).name}"]
    assert list(tmp_path.iterdir()) == []
    tally.count("faults/interrupt_dataset", "one_line_nothing_left")


def test_what_a_killed_writer_leaves_is_removed_by_the_next_run_in_the_folder(tmp_path: Path, tally: Tally) -> None:
    process = start("infogan_sdk", *BIG, "-o", str(tmp_path / "big.npz"))
    when(process, writing(tmp_path))
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = temporaries(tmp_path)
    assert left and all(name.startswith(f".big.npz.{process.pid}-") for name in left)
    done = subprocess.run([sys.executable, "-m", "infogan_sdk", "dataset", "--count", "5", "-o",
                           str(tmp_path / "small.npz")], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(os.listdir(tmp_path)) == ["small.npz"]  # another name: before, only a write to big.npz cleared them
    tally.count("faults/killed_writer_leftovers", "removed_by_next_run")


def test_a_command_started_under_nohup_survives_a_hangup(tmp_path: Path) -> None:
    process = start("infogan_sdk", *BIG, "-o", str(tmp_path / "d.npz"), ignore_hangup=True)
    when(process, writing(tmp_path))
    process.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    assert process.poll() is None, "SIGHUP stopped a command that ignored it (nohup)"
    assert stop(process, signal.SIGTERM) == ["infogan: interrupted by SIGTERM"]
    assert list(tmp_path.iterdir()) == []


def test_a_hangup_stops_the_service_as_sigterm_does(tally: Tally) -> None:
    """uvicorn handles SIGINT and SIGTERM only: a closed terminal (SIGHUP) killed `infogan serve` where it stood;
    it now drains and exits 0 as for SIGTERM, without a traceback."""
    with serving("--model", "mnist") as (_url, process):
        process.send_signal(signal.SIGHUP)
        assert process.wait(timeout=30) == 0, log(process)
        assert "Traceback" not in log(process) and "interrupted" not in log(process), log(process)
    tally.count("faults/interrupt_serve", "drained_exit_0")
