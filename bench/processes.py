"""Child processes, for the benchmarks and the tests alike: a free loopback port, `infogan serve` started and
waited for, a process stopped (a signal, a grace period, then SIGKILL), and the pid of one that has exited."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (the OS's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dead_pid() -> int:
    """The pid of a child that has exited (a killed writer's, for the tests of atomic writes' clean-up)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def stop(process: subprocess.Popen[bytes], signal_number: int = signal.SIGTERM, grace: float = 15.0) -> int:
    """Send `signal_number` if the process still runs, wait up to `grace` seconds, then SIGKILL; its exit code."""
    if process.poll() is None:
        process.send_signal(signal_number)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@contextlib.contextmanager
def serving(*flags: str, seconds: float = 60) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`infogan serve FLAGS` on 127.0.0.1 and a free port, no token: yields (base URL, process) once /readyz
    answers 200; stopped with SIGTERM at the end. Its stderr goes to a file (a chatty server can never block on a
    full pipe), read back by `log`."""
    port = free_port()
    command = [sys.executable, "-m", "infogan_sdk", "serve", "--host", "127.0.0.1", "--port", str(port), *flags]
    output = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "INFOGAN_TOKEN": ""}, stderr=output)
    process.stderr = output
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, seconds)
        yield url, process
    finally:
        stop(process)
        output.close()


def log(process: subprocess.Popen[bytes]) -> str:
    """What a `serving` process wrote to stderr so far."""
    assert process.stderr is not None
    process.stderr.seek(0)
    return process.stderr.read().decode(errors="replace")


def _wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"infogan serve exited with {process.returncode} before it was ready: {log(process)}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"infogan serve was not ready within {seconds} s: {log(process)}")
