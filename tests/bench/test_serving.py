"""Section 11's pieces: wrk's summary read back, a process tree's CPU, the peers' shared job against the SDK, the
requests, skipped peers and the table; a short real run against `infogan serve` (slow). Speed is never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bench import load, payloads, serving
from bench.serving_peers import envs
from bench.serving_peers.work import Work, from_request, join, split, to_response
from infogan_sdk.loading.folders import BUNDLED_DIR

MNIST = BUNDLED_DIR / "mnist"
SUMMARY = {"requests": 200, "seconds": 2.0, "p50_us": 800, "p99_us": 2500, "mean_us": 950.0,
           "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}}


@pytest.fixture(scope="module")
def work() -> Work:
    return Work(MNIST, threads=1)


def test_wrk_summary_becomes_the_rows_figures_and_any_error_refuses_the_run() -> None:
    figures = load.figures("Running 2s test\n" + json.dumps(SUMMARY) + "\n", cpu_seconds=0.5)
    assert figures["requests_per_s"] == pytest.approx(100.0)
    assert (figures["p50_ms"], figures["p99_ms"]) == pytest.approx((0.8, 2.5))
    assert figures["cpu_s_per_1000"] == pytest.approx(2.5)  # 0.5 s over 200 requests
    with pytest.raises(RuntimeError, match="'status': 3"):
        load.figures(json.dumps({**SUMMARY, "errors": {**SUMMARY["errors"], "status": 3}}), None)
    with pytest.raises(RuntimeError, match="no summary"):
        load.figures("wrk: connection refused", None)


def test_tree_cpu_counts_a_grandchilds_work() -> None:
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(5)"
    child = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, "
                                                    f"'-c', {burn!r}])"])
    try:
        time.sleep(0.2)
        before = load.tree_cpu_seconds(child.pid)
        time.sleep(1.5)
        spent = load.tree_cpu_seconds(child.pid) - before
    finally:
        child.kill()
        child.wait()
    assert 0.15 <= spent <= 1.0


def test_peers_job_is_the_sdks_for_lone_and_batched_requests(work: Work) -> None:
    asked = [work.generator.latents(digits=[digit], seed=digit).feeds(work.generator.spec, slice(0, 1))
             for digit in (1, 4, 7)]
    alone = [work.run("generator", one)["images"] for one in asked]
    batched = split(work.run("generator", join(asked)), [1, 1, 1])
    for lone, part in zip(alone, batched, strict=True):
        assert np.abs(lone.astype(int) - part["images"]).max() <= 1  # serve.batching's guarantee
    expected = work.generator.generate(digits=[4], seed=4).images
    np.testing.assert_array_equal(alone[1], expected)
    read = work.run("encoder", {"images": expected})
    assert read["digit"].tolist() == [4] and read["probabilities"].shape == (1, 10)


def test_json_request_and_response_round_trip(work: Work) -> None:
    inputs = payloads.inputs(work)
    body = payloads.oip_json(inputs["generate"], ["images"])
    assert b'"binary_data":false' in body.content and body.headers == {"Content-Type": "application/json"}
    decoded = from_request(json.loads(body.content))
    for name, array in inputs["generate"].items():
        np.testing.assert_array_equal(decoded[name], array)
    answer = to_response("generator", work.run("generator", decoded))
    image = answer["outputs"][0]
    assert (image["name"], image["datatype"], image["shape"]) == ("images", "UINT8", [1, 28, 28])
    assert np.array_equal(np.asarray(image["data"]).reshape(1, 28, 28), inputs["infer"]["images"])
    binary = payloads.oip_binary(inputs["infer"], ["digit"])
    header = int(binary.headers["Inference-Header-Content-Length"])
    assert len(binary.content) == header + 28 * 28 and b'"binary_data":true' in binary.content[:header]


def test_a_peer_without_its_venv_is_a_row_saying_how_to_install_it(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reason = envs.missing("litserve")
    assert reason is not None and "python -m bench.serving_peers.envs litserve" in reason
    setup = serving.Setup(MNIST, 1, 1.0, None, {})  # type: ignore[arg-type]  # a skipped peer touches neither
    assert serving.peer_rows(setup, "litserve") == [{"server": "litserve", "skipped": reason}]


def test_table_relates_each_row_to_the_sdk_and_says_why_rows_are_missing() -> None:
    rows = [{"server": "SDK in-process", "protocol": "call", "call": "generate", "clients": 1, "requests": 10,
             "requests_per_s": 9000.0, "p50_ms": 0.1, "p99_ms": 0.2, "cpu_s_per_1000": 0.1},
            {"server": "infogan serve", "protocol": "/v2 binary", "call": "generate", "clients": 1, "requests": 10,
             "requests_per_s": 2000.0, "p50_ms": 0.45, "p99_ms": 0.9, "cpu_s_per_1000": 0.5},
            {"server": "ASGI app doing nothing", "protocol": "HTTP", "call": "none", "clients": 1, "requests": 10,
             "requests_per_s": 9000.0, "p50_ms": 0.08, "p99_ms": 0.1, "cpu_s_per_1000": 0.1},
            {"server": "pytriton", "protocol": "/v2 JSON", "call": "infer", "clients": 4, "failed": "wrk: 0 answered"},
            {"server": "mlserver", "skipped": "not installed: python -m bench.serving_peers.envs mlserver"}]
    lines = serving.render({"serving": {"threads": 2, "seconds": 5, "rows": rows}})
    assert lines[1].startswith("11. Serving") and len(lines) == 3 + len(rows)
    assert "+0.35" in lines[4] and "0.50" in lines[4]
    assert lines[5].split()[-1] == "0.10" and "+" not in lines[5]  # nothing to relate the no-work app to
    assert "failed: wrk: 0 answered" in lines[6] and "skipped: not installed" in lines[7]
    assert serving.render({}) == []


@pytest.mark.slow
@pytest.mark.skipif(load.missing() is not None, reason="wrk is not installed (apt-get install wrk)")
def test_short_run_answers_every_row_of_infogan_serve_and_the_floors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "CLIENTS", (1, 4))
    figures = serving.serving(MNIST, threads=1, seconds=1, peers=())
    rows = figures["rows"]
    assert [row for row in rows if "failed" in row or "skipped" in row] == []
    kinds = {(row["server"], row["protocol"], row["call"]) for row in rows}
    for call in payloads.CALLS:
        for protocol in ("/v1", "/v2 JSON", "/v2 binary", "gRPC (Python clients)"):
            assert ("infogan serve", protocol, call) in kinds
        assert ("SDK in-process", "call", call) in kinds
    assert ("ASGI app doing nothing", "HTTP", "none") in kinds
    for row in rows:
        assert row["requests"] >= 10 and 0 < row["p50_ms"] <= row["p99_ms"] and row["cpu_s_per_1000"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("peer", list(envs.PEERS))
def test_each_installed_peer_answers_the_sdks_image(peer: str, work: Work) -> None:
    if reason := envs.missing(peer):
        pytest.skip(reason)
    import urllib.request

    setup = serving.Setup(MNIST.resolve(), 1, 1.0, work, payloads.inputs(work))
    path = "/v2/models/generator/infer" if peer in ("pytriton", "mlserver") else "/generator"
    body = payloads.oip_json(setup.inputs["generate"], ["images"])
    spare = (serving.free_port(), serving.free_port())
    with serving._peer_process(setup, peer, envs.PEERS[peer].script, [("/v2 JSON", "generate", path, body)],
                               spare) as (url, _):
        request = urllib.request.Request(url + path, body.content, body.headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            outputs = {entry["name"]: entry for entry in json.loads(answer.read())["outputs"]}
    image = np.asarray(outputs["images"]["data"], np.uint8).reshape(1, 28, 28)
    np.testing.assert_array_equal(image, setup.inputs["infer"]["images"])
