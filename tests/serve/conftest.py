"""Fixtures for the service: an app on the bundled model plus the tiny planted-weight model, its TestClient, and a
real `infogan serve` subprocess on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bench import processes
from bench.processes import log  # noqa: F401  (for the tests: what a served process wrote)
from bench.timing import finished, machine
from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig
from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model

ROOT = Path(__file__).resolve().parents[2]
LOCAL = "http://127.0.0.1"  # the Host a loopback server accepts (TestClient's default, "testserver", is refused)


def assert_same_render(first: np.ndarray, second: np.ndarray, where: object = "") -> None:
    """The service's render guarantee: the images of one request, batched with others or alone, are equal within
    1 grey level, and differ at under 0.1% of pixels. onnxruntime's kernels may block a batch differently from a
    lone call on some instruction sets, and a last-bit difference can round a pixel the other way (seen once on
    an AVX-512 AMD EPYC: 1 pixel of 3,200 images)."""
    assert first.shape == second.shape and first.dtype == second.dtype == np.uint8, (where, first.shape, second.shape)
    difference = np.abs(first.astype(np.int16) - second.astype(np.int16))
    assert difference.max(initial=0) <= 1, (where, int(difference.max()))
    assert (difference > 0).mean() < 1e-3, (where, int((difference > 0).sum()))


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


def serving(*flags: str) -> contextlib.AbstractContextManager[tuple[str, subprocess.Popen[bytes]]]:
    """`infogan serve` on CPU with one thread, on a free port of 127.0.0.1 (`bench.processes.serving`)."""
    return processes.serving("--device", "cpu", "--threads", "1", *flags)


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
MACHINE = machine(["python", "-m", "pytest", *sys.argv[1:]])  # written beside the counts


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FUZZ_TALLY:
        return
    path = Path(os.environ.get("INFOGAN_SERVE_FUZZ_REPORT") or ROOT / ".pytest_cache" / "serve-fuzz-report.json")
    path.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone's first run, or pytest's cache turned off
    report = {"categories": FUZZ_TALLY, "meta": finished(MACHINE)}
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    terminalreporter.section("serve fuzz report")
    for category, outcomes in sorted(FUZZ_TALLY.items()):
        terminalreporter.write_line(f"{category}: {sum(outcomes.values())} requests, {dict(sorted(outcomes.items()))}")
    terminalreporter.write_line(f"written to {path}")
