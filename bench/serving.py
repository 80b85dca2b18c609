"""Section 11: one image per request through `infogan serve` (/v1, /v2 JSON and binary, gRPC) and its peers
(PyTriton, MLServer, Ray Serve, LitServe: `bench.serving_peers`), at 1, 4 and 16 concurrent clients, all with the
same generator and encoder (the SDK's calls) and onnxruntime threads. Floors: the in-process SDK call on the
same tensors, and an ASGI app that does nothing under the same uvicorn.

HTTP load comes from wrk (`bench.load`: C, one thread, N keep-alive connections, one request at a time each);
gRPC load from Python threads on a raw stub with one serialized request (no gRPC load generator runs on Debian 12:
perf_analyzer's wheel needs glibc 2.38, ghz is not packaged). CPU seconds per 1,000 requests count the server's
whole process tree (the clients' CPU is not in it; the SDK rows count their own process). A peer that is not
installed or fails to start gives rows saying why.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import load, payloads, processes
from bench.load import Body
from bench.processes import ROOT, free_port
from bench.service import _load
from bench.serving_peers import envs
from bench.serving_peers.work import Arrays, Work

CLIENTS = (1, 4, 16)
PEERS = tuple(envs.PEERS)
Route = tuple[str, str, str, Body]  # (protocol, call, path, body)


@dataclass(frozen=True)
class Setup:
    """What every server is given and asked."""

    model_dir: Path
    threads: int
    seconds: float  # of load per row
    work: Work
    inputs: dict[str, Arrays]


def serving(model_dir: Path, threads: int, seconds: float, peers: tuple[str, ...] = PEERS) -> dict[str, Any]:
    """Every row of the section: the floors, `infogan serve`'s protocols, then each peer in `peers`."""
    work = Work(model_dir, threads)
    setup = Setup(model_dir, threads, seconds, work, payloads.inputs(work))
    rows = sdk_rows(setup)
    if reason := load.missing():
        return {"threads": threads, "seconds": seconds, "rows": [*rows, {"server": "HTTP", "skipped": reason}]}
    nothing: list[Route] = [("HTTP", "none", "/", payloads.oip_json(setup.inputs["generate"], ["images"]))]
    with _peer_process(setup, None, "null_app", nothing) as (url, pid):
        rows += _http(setup, "ASGI app doing nothing", url, pid, nothing)
    rows += infogan_rows(setup)
    for peer in peers:
        rows += peer_rows(setup, peer)
    return {"threads": threads, "seconds": seconds, "rows": rows}


def sdk_rows(setup: Setup) -> list[dict[str, Any]]:
    """The in-process floor: Work.run on the same tensors from 1, 4, 16 threads; CPU is this process's."""
    rows = []
    for call in payloads.CALLS:
        role, inputs = payloads.ROLES[call], setup.inputs[call]
        def make(role: str = role, inputs: Arrays = inputs) -> Callable[[int], object]:
            return lambda _: setup.work.run(role, inputs)

        for clients in CLIENTS:
            figures = _threads(make, clients, setup.seconds, None)
            rows.append({"server": "SDK in-process", "protocol": "call", "call": call, "clients": clients, **figures})
    return rows


def infogan_rows(setup: Setup) -> list[dict[str, Any]]:
    """`infogan serve` with its defaults: /v1, /v2 JSON, /v2 binary (wrk) and gRPC (Python threads)."""
    grpc_port, name = free_port(), "infogan serve"
    model = f"{load_name(setup)}-"
    routes: list[Route] = []
    for call in payloads.CALLS:
        routes += [("/v1", call, f"/v1/{call}", payloads.v1(call, setup.inputs["infer"]["images"])),
                   *_oip_routes(setup, call, f"/v2/models/{model}{payloads.ROLES[call]}/infer", binary=True)]
    with processes.serving("--model", str(setup.model_dir), "--device", "cpu", "--threads", str(setup.threads),
                 "--grpc-port", str(grpc_port)) as (url, process):
        return _http(setup, name, url, process.pid, routes) + _grpc(setup, name, grpc_port, model, process.pid)


def peer_rows(setup: Setup, peer: str) -> list[dict[str, Any]]:
    """A peer's rows: JSON (and binary, gRPC where it speaks them) for both calls, or one row saying why not."""
    if reason := envs.missing(peer):
        return [{"server": peer, "skipped": reason}]
    oip = peer in ("pytriton", "mlserver")
    routes: list[Route] = []
    for call in payloads.CALLS:
        role = payloads.ROLES[call]
        routes += _oip_routes(setup, call, f"/v2/models/{role}/infer" if oip else f"/{role}", peer == "pytriton")
    spare: tuple[int, ...] = (free_port(), free_port()) if oip else ()
    try:
        with _peer_process(setup, peer, envs.PEERS[peer].script, routes, spare) as (url, pid):
            rows = _http(setup, peer, url, pid, routes)
            return rows + (_grpc(setup, peer, spare[0], "", pid) if oip else [])
    except RuntimeError as error:
        return [{"server": peer, "skipped": f"failed: {error}"[:300]}]


def load_name(setup: Setup) -> str:
    """The model's name in `infogan serve` (its folder's name)."""
    return setup.model_dir.name


def _oip_routes(setup: Setup, call: str, path: str, binary: bool) -> list[Route]:
    inputs = setup.inputs[call]
    outputs = list(setup.work.run(payloads.ROLES[call], inputs))  # every output, named
    routes: list[Route] = [("/v2 JSON", call, path, payloads.oip_json(inputs, outputs))]
    if binary:
        routes.append(("/v2 binary", call, path, payloads.oip_binary(inputs, outputs)))
    return routes


def _http(setup: Setup, server: str, url: str, pid: int, routes: list[Route]) -> list[dict[str, Any]]:
    rows = []
    for protocol, call, path, body in routes:
        for clients in CLIENTS:
            row: dict[str, Any] = {"server": server, "protocol": protocol, "call": call, "clients": clients}
            try:
                row.update(load.wrk(url + path, body, clients, setup.seconds, pid))
            except RuntimeError as error:
                row["failed"] = str(error)[:300]
            rows.append(row)
    return rows


def _grpc(setup: Setup, server: str, port: int, prefix: str, pid: int) -> list[dict[str, Any]]:
    rows = []
    for call in payloads.CALLS:
        request = payloads.grpc_request(prefix + payloads.ROLES[call], setup.inputs[call])
        for clients in CLIENTS:
            figures = _threads(payloads.grpc_client(port, request), clients, setup.seconds, pid)
            rows.append({"server": server, "protocol": "gRPC (Python clients)", "call": call, "clients": clients,
                         **figures})
    return rows


def _threads(make: Callable[[], Callable[[int], object]], clients: int, seconds: float,
             pid: int | None) -> dict[str, Any]:
    """bench.service's thread clients, sized to last about `seconds`; CPU of `pid`'s tree (else this process)."""
    probe, started = make(), time.perf_counter()
    for index in range(20):
        probe(index)
    per_call = (time.perf_counter() - started) / 20
    per_client = max(10, int(seconds / per_call / max(1, clients // 2)))
    cpu: Callable[[], float] = (lambda: load.tree_cpu_seconds(pid)) if pid else time.process_time
    before = cpu()
    figures = _load(make, clients, per_client)
    requests_made = per_client * clients
    return {"requests": requests_made, **figures, "cpu_s_per_1000": 1e3 * (cpu() - before) / requests_made}


@contextlib.contextmanager
def _peer_process(setup: Setup, peer: str | None, script: str, routes: list[Route],
                  spare_ports: tuple[int, ...] = ()) -> Iterator[tuple[str, int]]:
    """`python -m bench.serving_peers.SCRIPT` in the peer's venv (None: this one), in a session of its own; yields
    (base URL, pid) once every route answers 200; then the whole session is stopped."""
    port = free_port()
    python = str(envs.python(peer)) if peer else sys.executable
    command = [python, "-m", f"bench.serving_peers.{script}", "--model-dir", str(setup.model_dir), "--threads",
               str(setup.threads), "--port", str(port), "--spare-ports", ",".join(map(str, spare_ports))]
    log = (Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-peer-{script}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, routes, process, log.name)
        yield url, process.pid
    finally:
        _stop_session(process)
        log.close()


def _wait(url: str, routes: list[Route], process: subprocess.Popen[bytes], log: str, seconds: float = 300) -> None:
    """Until every route answers its body with 200 (a peer may deploy its models one after the other)."""
    deadline, waiting = time.monotonic() + seconds, {(path, body.content): body for _, _, path, body in routes}
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before answering; its log: {log}")
        for (path, content), body in list(waiting.items()):
            request = urllib.request.Request(url + path, content, body.headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        del waiting[(path, content)]
            except urllib.error.HTTPError as error:
                if error.code not in (404, 503):  # 404, 503: not deployed or loaded yet
                    raise RuntimeError(f"{path} answered {error.code}: {error.read()[:200]!r}") from error
            except OSError:  # not listening yet
                pass
        time.sleep(0.5 if waiting else 0)
    if waiting:
        raise RuntimeError(f"no answer within {seconds:.0f} s; its log: {log}")


def _stop_session(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's session (a peer's workers too), 15 s, then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def render(results: dict[str, Any]) -> list[str]:
    """Section 11's table; `over SDK`: the row's p50 minus the in-process call's at the same call and clients."""
    figures = results.get("serving")
    if not figures:
        return []
    rows = figures["rows"]
    sdk = {(row["call"], row["clients"]): row["p50_ms"] for row in rows if row["server"] == "SDK in-process"}
    lines = ["", f"11. Serving, one image per request: infogan serve and its peers, same generator / encoder, "
                 f"onnxruntime threads {figures['threads']}, {figures['seconds']:g} s of load per row (HTTP: wrk)",
             f"{'server':<24} {'protocol':<22} {'call':<9} {'clients':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
             f"{'over SDK':>8} {'CPU s/1k':>8}"]
    for row in rows:
        if "skipped" in row:
            lines.append(f"{row['server']:<24} skipped: {row['skipped']}")
            continue
        head = f"{row['server']:<24} {row['protocol']:<22} {row['call']:<9} {row['clients']:>7}"
        if "failed" in row:
            lines.append(f"{head} failed: {row['failed']}")
            continue
        over = row["p50_ms"] - sdk[(row["call"], row["clients"])] if (row["call"], row["clients"]) in sdk else None
        cpu = row.get("cpu_s_per_1000")
        lines.append(f"{head} {row['requests_per_s']:>8.0f} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} "
                     f"{'' if over is None else f'{over:+.2f}':>8} {'' if cpu is None else f'{cpu:.2f}':>8}")
    return lines
