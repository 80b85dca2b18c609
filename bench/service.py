"""Section 7: `infogan serve` over HTTP against the direct SDK call, at 1, 4 and 16 concurrent clients, with the
server's default settings (dynamic batching, nothing waited for), batching off, and batches held up to 1 ms.

The server is a real `python -m infogan_sdk serve` subprocess on 127.0.0.1; each client is a thread of this process
with its own keep-alive connection, sending one request after the other. The direct rows run the same number of
threads calling one shared Generator / Encoder, so the difference is what HTTP, JSON, base64 and PNG cost:
    generate: POST /v1/generate {"digits": [d], "seed": i}  vs  Generator.generate(digits=[d], seed=i)
    infer:    POST /v1/infer {"images": [<base64 PNG>]}    vs  Encoder.infer(<PNG bytes>)
Clients and server share the machine's cores, as they would on one host.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import io
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.processes import serving
from infogan_sdk import Encoder, Generator

CLIENTS = (1, 4, 16)
WARMUP = 3  # untimed requests per client first
SETTINGS = (("default", ()), ("no batching", ("--max-batch", "1")),  # the server's flags per set of rows
            ("wait 1 ms", ("--batch-wait-ms", "1")))


def service(model_dir: Path, threads: int, requests_per_row: int) -> dict[str, Any]:
    """Rows of (call, clients) with requests/s and p50/p99 latency, through HTTP and direct."""
    generator = Generator(model_dir, device="cpu", threads=threads)
    encoder = Encoder(model_dir, device="cpu", threads=threads)
    png = _png(generator)
    encoded = base64.b64encode(png).decode()
    direct: dict[str, Callable[[int], object]] = {
        "generate": lambda i: generator.generate(digits=[i % 10], seed=i), "infer": lambda i: encoder.infer(png)}
    bodies: dict[str, Callable[[int], dict[str, Any]]] = {
        "generate": lambda i: {"digits": [i % 10], "seed": i}, "infer": lambda i: {"images": [encoded]}}
    rows = []
    sdk = {(call, clients): _load(lambda same=direct[call]: same, clients, max(10, requests_per_row // clients))
           for call in direct for clients in CLIENTS}
    for setting, flags in SETTINGS:
        with server(model_dir, threads, *flags) as (port, _):
            for call in ("generate", "infer"):
                for clients in CLIENTS:
                    per_client = max(10, requests_per_row // clients)
                    http_client = functools.partial(_http_client, port, f"/v1/{call}", bodies[call])
                    rows.append({"setting": setting, "call": call, "clients": clients,
                                 "requests": per_client * clients, "http": _load(http_client, clients, per_client),
                                 "sdk": sdk[(call, clients)]})
    return {"threads": threads, "rows": rows}


def _png(generator: Generator) -> bytes:
    buffer = io.BytesIO()
    generator.generate(digits=7, seed=0).to_pil()[0].save(buffer, format="PNG")
    return buffer.getvalue()


def _http_client(port: int, path: str, body: Callable[[int], dict[str, Any]]) -> Callable[[int], object]:
    """One client's call: a POST on its own keep-alive connection; anything but 200 is an error."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(index: int) -> object:
        connection.request("POST", path, body=json.dumps(body(index)), headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{path}: HTTP {answer.status}: {data[:200]!r}")
        return data
    return send


def _load(make_client: Callable[[], Callable[[int], object]], clients: int, per_client: int) -> dict[str, float]:
    """`clients` threads, each making its own caller and calling it `per_client` times in a row (after WARMUP)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def run(number: int) -> None:
        call = make_client()
        for index in range(WARMUP):
            call(index)
        barrier.wait()
        for step in range(per_client):
            begin = time.perf_counter()
            call(number * per_client + step)
            latencies[number].append(time.perf_counter() - begin)

    workers = [threading.Thread(target=run, args=(number,)) for number in range(clients)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    samples = np.concatenate([np.asarray(row) for row in latencies])
    if len(samples) != clients * per_client:
        raise RuntimeError(f"a client failed: {len(samples)} of {clients * per_client} requests answered")
    return {"requests_per_s": len(samples) / elapsed, "p50_ms": 1e3 * float(np.percentile(samples, 50)),
            "p99_ms": 1e3 * float(np.percentile(samples, 99))}


@contextlib.contextmanager
def server(model_dir: Path, threads: int, *flags: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`infogan serve FLAGS` on a free port of 127.0.0.1 (`bench.processes.serving`): yields (port, process)."""
    with serving("--model", str(model_dir), "--device", "cpu", "--threads", str(threads), *flags) as (url, process):
        yield int(url.rsplit(":", 1)[1]), process
