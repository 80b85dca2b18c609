"""A real `infogan serve` (uvicorn) in a subprocess on 127.0.0.1: body limit, load shedding, SIGTERM, and a bounded
load run whose every answer must equal the SDK's."""

from __future__ import annotations

import base64
import http.client
import io
import json
import re
import signal
import socket
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image, ImageDraw

from infogan_sdk import Encoder, Generator, available_models

from .conftest import assert_same_render, log, post_json, serving

pytestmark = pytest.mark.slow


def connect(url: str, timeout: float = 60) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)


def call(connection: http.client.HTTPConnection, path: str, body: bytes,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
    answer = connection.getresponse()
    return answer.status, json.loads(answer.read())


def test_body_over_the_limit_is_413_declared_or_chunked() -> None:
    """generate and traverse (codes only) have their own, smaller limit than the endpoints that carry images."""
    with serving("--max-codes-bytes", "10000", "--max-body-bytes", "20000") as (url, process):
        big = json.dumps({"digits": 1, "noise": [0.0] * 3000}).encode()  # ~15 kB
        assert 10000 < len(big) < 20000
        status, body = call(connect(url), "/v1/generate", big)
        assert status == 413 and body["error"] == "too_large" and "--max-codes-bytes" in body["detail"]
        huge = b'{"noise": [' + b"0," * 3_900_000 + b'0]}'  # 7.8 MB: the refusal must reach the client whole
        parts = urlsplit(url)
        for _ in range(3):  # (a close with it unread reset the connection, and the client saw no answer)
            sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=30)
            sock.sendall(b"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(huge)).encode() + b"\r\n\r\n" + huge)
            answer = read_until_closed(sock)
            sock.close()
            assert answer.startswith(b"HTTP/1.1 413") and b'"too_large"' in answer, answer[:200]
        images = json.dumps({"images": ["A" * 14000]}).encode()  # as big, but to /v1/infer: read, not refused
        assert call(connect(url), "/v1/infer", images)[0] == 422
        assert call(connect(url), "/v1/infer", images + b" " * 6000)[0] == 413
        connection = connect(url)
        connection.request("POST", "/v1/generate", body=iter([big[:6000], big[6000:]]), encode_chunked=True,
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        answer = connection.getresponse()
        assert answer.status == 413 and json.loads(answer.read())["error"] == "too_large"
        assert post_json(url + "/v1/generate", {"digits": 1})[0] == 200  # the server is fine afterwards
        assert process.poll() is None


def test_a_burst_over_the_concurrency_limit_gets_503s_and_no_crash() -> None:
    with serving("--max-concurrent", "2", "--max-generate", "256") as (url, process):
        body = {"count": 256, "seed": 0}  # each takes long enough that requests overlap

        def one(_: int) -> int:
            return post_json(url + "/v1/generate", body, timeout=120)[0]

        with ThreadPoolExecutor(24) as pool:
            statuses = Counter(pool.map(one, range(24)))
        assert set(statuses) == {200, 503} and statuses[200] >= 2 and statuses[503] >= 1, statuses
        assert post_json(url + "/v1/generate", {"digits": 3})[0] == 200
        assert process.poll() is None, log(process)


def test_sigterm_finishes_in_flight_work_and_exits_within_seconds() -> None:
    with serving("--max-generate", "256") as (url, process):
        answers: list[object] = []

        def request() -> None:
            try:
                answers.append(post_json(url + "/v1/generate", {"count": 256, "seed": 1})[0])
            except OSError as error:  # sent after the server stopped listening: refused, which is fine
                answers.append(type(error).__name__)

        workers = [threading.Thread(target=request) for _ in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(0.1)  # some requests are in flight
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        took = time.monotonic() - started
        for worker in workers:
            worker.join(timeout=30)
        assert code == 0 and took < 10, (code, took, log(process))
        assert 200 in answers and all(a in (200, "URLError", "ConnectionRefusedError") for a in answers), answers
        assert "Traceback" not in log(process)


def png_of(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_load_run_loses_nothing_and_matches_the_sdk() -> None:
    """16 clients x 200 requests (half generate, half infer) on keep-alive connections, default limits: every one
    answered 200 (none shed) and equal to the SDK's own result for the same request (same model, same thread
    count; images within the render guarantee, `assert_same_render`), though concurrent requests shared network
    calls."""
    clients, per_client = 16, 200
    generator, encoder = Generator("mnist", device="cpu", threads=1), Encoder("mnist", device="cpu", threads=1)
    samples = generator.generate(count=32, seed=9).images
    pngs = [png_of(image) for image in samples]
    expected_reads = encoder.infer([base64.b64decode(p) for p in pngs])
    with serving("-v") as (url, process):
        def client(number: int) -> list[tuple[str, int, int, object]]:
            connection, answers = connect(url), []
            for step in range(per_client):
                key = number * per_client + step
                if step % 2:
                    status, body = call(connection, "/v1/infer", json.dumps({"images": [pngs[key % 32]]}).encode())
                    answers.append(("infer", key, status, body))
                else:
                    request = {"digits": [key % 10], "seed": key}
                    status, body = call(connection, "/v1/generate", json.dumps(request).encode())
                    answers.append(("generate", key, status, body))
            return answers

        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            answers = [a for batch in pool.map(client, range(clients)) for a in batch]
        elapsed = time.monotonic() - started
        assert process.poll() is None, log(process)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        shared = re.findall(r"mnist-(generator|encoder): (\d+) network calls carried (\d+) images", log(process))
    assert {kind: int(images) for kind, _, images in shared} == {"generator": 1600, "encoder": 1600}, shared
    assert all(int(calls) < 1600 for _, calls, _ in shared), shared  # batched: fewer calls than requests
    assert len(answers) == clients * per_client and all(a[2] == 200 for a in answers), Counter(a[2] for a in answers)
    served, alone = [], []
    for kind, key, _, body in answers:
        assert isinstance(body, dict)
        if kind == "generate":
            served.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(body["images"][0]["png"])))))
            alone.append(generator.generate(digits=[key % 10], seed=key).images[0])
        else:
            reading = body["results"][0]
            assert reading["digit"] == int(expected_reads.digits[key % 32])
            np.testing.assert_allclose(reading["probabilities"], expected_reads.probabilities[key % 32], atol=1e-6)
    assert_same_render(np.stack(served), np.stack(alone), "generate answers against lone SDK calls")
    print(f"load run: {len(answers)} requests in {elapsed:.1f} s ({len(answers) / elapsed:.0f} requests/s)")


def read_until_closed(sock: socket.socket) -> bytes:
    """A whole answer: its header and body may come in separate packets, and the server closes after it."""
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_slow_bodies_hold_no_slot_and_are_cut_off_at_the_body_deadline() -> None:
    """Issue 22 item 1: 8 connections that send headers and one byte of body used to lock every /v1/ call out
    (503) for as long as they stayed open. Now a slot is taken only once the whole body has arrived."""
    with serving("--max-concurrent", "2", "--body-seconds", "2") as (url, process):
        parts = urlsplit(url)
        stalled = []
        for _ in range(8):
            sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10)
            sock.sendall(b"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{")
            stalled.append(sock)
        time.sleep(0.5)
        assert post_json(url + "/v1/generate", {"digits": 3})[0] == 200  # two slots, eight stalled clients
        started = time.monotonic()
        answers = [read_until_closed(sock) for sock in stalled]  # each is answered at its body deadline, then closed
        assert time.monotonic() - started < 6
        timed_out = [answer.startswith(b"HTTP/1.1 408") and b'"error":"timeout"' in answer for answer in answers]
        assert all(timed_out), answers[0]
        for sock in stalled:
            sock.close()
        assert post_json(url + "/v1/generate", {"digits": 4})[0] == 200 and process.poll() is None


def test_serve_says_where_it_is_once_ready_and_serves_every_bundled_model() -> None:
    with serving() as (url, process):  # no -v: it used to print nothing at all
        deadline = time.monotonic() + 10
        while "ready at" not in log(process) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"infogan serve: ready at {url} (playground {url}/" in log(process)
        assert post_json(url + "/v1/generate", {"digits": 1, "model": "mnist-v1"})[0] == 200
        models = json.loads(urllib.request.urlopen(url + "/v1/models", timeout=10).read())
        assert models["default"] == "mnist" and len(models["models"]) == len(available_models())


def drawn_png(size: int) -> str:
    """A line drawing on white paper, size x size: cheap to send (~11 kB at 2048), ~0.13 s to read on one core."""
    image = Image.new("L", (size, size), 255)
    ImageDraw.Draw(image).line([(0.3 * size, 0.2 * size), (0.7 * size, 0.2 * size), (0.4 * size, 0.8 * size)],
                               fill=0, width=size // 12)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


HEAVY_IMAGES = 160  # 2048x2048 drawings in one request: ~12 s of reading on this machine's cores
HEAVY = ("--max-images", str(HEAVY_IMAGES), "--max-request-pixels", str(HEAVY_IMAGES * 2048 * 2048))


def start_heavy_infer(url: str) -> socket.socket:
    """Send a /v1/infer of HEAVY_IMAGES 2048x2048 drawings (2.3 MB) on a raw socket; return it, the answer unread."""
    body = json.dumps({"images": [drawn_png(2048)] * HEAVY_IMAGES}).encode()
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=30)
    sock.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return sock


def test_work_for_a_client_that_went_away_is_dropped() -> None:
    """Issue 22 item 2: a heavy request went on for its whole length after its client disconnected, holding a slot.
    Now the reading stops at the next chunk and the slot is free again at once."""
    with serving("--max-concurrent", "1", "-v", *HEAVY) as (url, process):
        sock = start_heavy_infer(url)
        time.sleep(1.0)  # the reading is under way
        assert post_json(url + "/v1/generate", {"digits": 1})[0] == 503  # the only slot is taken
        sock.close()
        closed = time.monotonic()
        while post_json(url + "/v1/generate", {"digits": 1})[0] == 503:
            assert time.monotonic() - closed < 3, "the slot was still held 3 s after the client left"
            time.sleep(0.05)
        assert "the client went away; dropped the work" in log(process) and process.poll() is None


def test_sigterm_during_a_long_request_answers_json_503_and_exits_promptly() -> None:
    """Issue 22 item 4: requests still running 5 s after SIGTERM got uvicorn's plain-text 500 and the process ran on
    14-30 s. Now they answer the JSON error at the end of the grace period and the process exits soon after."""
    with serving(*HEAVY) as (url, process):
        sock = start_heavy_infer(url)
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        answer = read_until_closed(sock)
        answered = time.monotonic() - started
        code = process.wait(timeout=15)
        took = time.monotonic() - started
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"application/json" in head, answer[:300]
        assert json.loads(body)["error"] == "shutting_down"
        assert 4.5 < answered < 6.5 and code == 0 and took < 7.5, (answered, took, log(process))
        assert "Traceback" not in log(process)


def test_headers_over_the_limit_get_a_json_431_not_a_reset() -> None:
    with serving("--token", "s3cret") as (url, process):
        assert "warning: --token can be read by every user of this machine (ps); set INFOGAN_TOKEN" in log(process)
        parts = urlsplit(url)
        for size in (1_000_000, 100_000):
            sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10)
            try:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may close before the client is done sending; its answer is still readable
            answer = read_until_closed(sock)
            sock.close()
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 431") and json.loads(body)["error"] == "headers_too_large", answer
        broken = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10)
        broken.sendall(b"GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n")  # no colon: not HTTP
        head, _, body = read_until_closed(broken).partition(b"\r\n\r\n")
        broken.close()
        assert head.startswith(b"HTTP/1.1 400") and json.loads(body)["error"] == "bad_request"
        assert post_json(url + "/v1/generate", {"digits": 2})[0] == 401 and process.poll() is None  # still serving


def test_heavy_reads_have_their_own_smaller_limit_and_small_requests_pass_them() -> None:
    """--max-heavy 1: of 4 concurrent infer requests of 4 M pixels each, those finding the heavy slot taken get a
    503 naming --max-heavy, while one-image requests are answered meanwhile."""
    noise = np.random.default_rng(0).integers(0, 256, (1000, 2000), dtype=np.uint8)  # noise: compresses badly
    heavy = json.dumps({"images": [png_of(noise), png_of(noise)]}).encode()
    small = json.dumps({"images": [png_of(Generator("mnist", device="cpu").generate(digits=3, seed=0).images[0])]})
    with serving("--max-heavy", "1", "--max-body-bytes", str(16 << 20)) as (url, process):
        with ThreadPoolExecutor(4) as pool:
            heavy_answers = [pool.submit(call, connect(url), "/v1/infer", heavy) for _ in range(4)]
            small_statuses = [call(connect(url), "/v1/infer", small.encode())[0] for _ in range(5)]
            answers = [future.result() for future in heavy_answers]
        statuses = Counter(status for status, _ in answers)
        assert statuses[200] >= 1 and statuses[503] >= 1 and set(statuses) <= {200, 503}, statuses
        busy = next(body for status, body in answers if status == 503)
        assert isinstance(busy, dict) and busy["error"] == "busy" and "--max-heavy" in busy["detail"], busy
        assert small_statuses == [200] * 5
        assert process.poll() is None, log(process)
