"""Fixtures for the service: an app on the bundled model plus the tiny planted-weight model, its TestClient, and a
real `infogan serve` subprocess on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig
from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model

ROOT = Path(__file__).resolve().parents[2]
LOCAL = "http://127.0.0.1"  # the Host a loopback server accepts (TestClient's default, "testserver", is refused)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tests/sdk tiny model: noise 4, a 10-way code with the REVERSED mapping, codes rotation and width."""
    return build_model(tmp_path_factory.mktemp("serve") / "tiny", MAIN_SPEC, REVERSED, ["rotation", "width"])


@pytest.fixture(scope="session")
def config(tiny_dir: Path) -> ServeConfig:
    return ServeConfig(models=("mnist", str(tiny_dir)), device="cpu", threads=1, max_images=8, max_generate=64,
                       max_body_bytes=1 << 20)


@pytest.fixture(scope="session")
def client(config: ServeConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config), base_url=LOCAL) as started:  # `with`: runs the lifespan (loads the models)
        yield started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode} before it was ready: {log(process)}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.1)
    raise AssertionError(f"the server was not ready within {seconds} s")


@contextlib.contextmanager
def serving(*flags: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`infogan serve` in a subprocess on 127.0.0.1 and a free port: yields (base URL, process); SIGTERM at the end."""
    port = free_port()
    command = [sys.executable, "-m", "infogan_sdk", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--device", "cpu", "--threads", "1", *flags]
    output = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server can never block on a full pipe
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "INFOGAN_TOKEN": ""}, stderr=output)
    process.stderr = output  # read back by log()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.close()


def log(process: subprocess.Popen[bytes]) -> str:
    """What the server wrote to stderr so far."""
    assert process.stderr is not None
    process.stderr.seek(0)
    return process.stderr.read().decode(errors="replace")


def post_json(url: str, body: object, timeout: float = 30) -> tuple[int, dict[str, object]]:
    """(status, JSON body) of a POST with urllib (no keep-alive, a fresh connection per call)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --- the fuzz report: how each fuzzed request ended, per category ---------------------------------------------
FUZZ_TALLY: dict[str, dict[str, int]] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FUZZ_TALLY:
        return
    path = Path(os.environ.get("INFOGAN_SERVE_FUZZ_REPORT") or ROOT / ".pytest_cache" / "serve-fuzz-report.json")
    path.write_text(json.dumps(FUZZ_TALLY, indent=2, sort_keys=True) + "\n")
    terminalreporter.section("serve fuzz report")
    for category, outcomes in sorted(FUZZ_TALLY.items()):
        terminalreporter.write_line(f"{category}: {sum(outcomes.values())} requests, {dict(sorted(outcomes.items()))}")
    terminalreporter.write_line(f"written to {path}")
