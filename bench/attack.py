"""The attacks of issue 22 on a real `infogan serve` (127.0.0.1), each measured: `python -m bench.attack`.

Per attack: how many requests, what they were answered, how long until an ordinary `/v1/generate` is served again
(from the attack's start), and the server's resident memory before, at its peak (sampled every 20 ms) and after
(SETTLE_SECONDS after it is served again).
Prints a Markdown table (docs/RELIABILITY.md's, from `--json docs/results/attack.json`); every answer must be a JSON
4xx or 2xx, never a 5xx or a reset.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bench.service import server
from bench.timing import describe, finished, machine
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.loading.folders import resolve_model

SETTLE_SECONDS = 2.0  # "after" is the memory this long after the API is served again
CLIENTS = 8  # the default --max-heavy (reads of over 2 M pixels in flight)


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m bench.attack", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", default=None, help="also write the rows and the machine to this file "
                                                      "(docs/results/attack.json is docs/RELIABILITY.md's)")
    args = parser.parse_args(argv)
    meta = machine(["python", "-m", "bench.attack", *(sys.argv[1:] if argv is None else argv)])
    rows = []
    with server(resolve_model("mnist"), 1) as (port, process):
        for name, attack in ATTACKS:
            rows.append({"attack": name, **_measured(port, process.pid, attack)})
    # a server of its own: abandoned reads of the attacks above may still hold heavy slots for a moment
    with server(resolve_model("mnist"), 1) as (port, process):
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:  # SIGTERM with requests at the pixel limit in flight
            answers = [pool.submit(_send, port, "/v1/infer", _images(4, 2048)) for _ in range(CLIENTS)]
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            statuses = Counter(answer.result()[0] for answer in answers)
        process.wait(timeout=30)
        rows.append({"attack": "SIGTERM with 8 requests at the pixel limit in flight", "requests": CLIENTS,
                     "answers": _counts(statuses), "exit_code": process.returncode,
                     "exit_after_s": time.monotonic() - started})
    results = {"meta": finished(meta), "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {describe(results['meta'])}")
    print(render(results))
    bad = failures(rows)
    if bad:
        print(f"FAILED: a 5xx, a reset or a non-JSON error in: {bad}")
    return 1 if bad else 0


def render(results: dict[str, Any]) -> str:
    """The Markdown table of docs/RELIABILITY.md: one row per attack."""
    lines = ["| attack | requests | answers | API served again after | RSS before | peak | after |",
             "|---|---:|---|---|---:|---:|---:|"]
    for row in results["rows"]:
        if "exit_code" in row:
            cells = [f"exit {row['exit_code']} after {row['exit_after_s']:.1f} s", "", "", ""]
        else:
            cells = [f"{row['served_after_s']:.2f} s", *(f"{row[key]:.0f} MB" for key in
                                                          ("rss_before_mb", "rss_peak_mb", "rss_after_mb"))]
        lines.append("| " + " | ".join([row["attack"], str(row["requests"]), row["answers"], *cells]) + " |")
    return "\n".join(lines) + "\n"


def failures(rows: list[dict[str, Any]]) -> list[str]:
    """The attacks whose answers ("8 x 413 too_large, ...") hold a 5xx other than a shutdown's 503, a reset or an
    error that is not JSON."""
    def bad(part: str) -> bool:
        status = part.split(" x ", 1)[-1]
        return (status[:1] == "5" and "shutting_down" not in status) or status == "reset" or "not JSON" in status
    return [row["attack"] for row in rows if any(bad(part) for part in str(row["answers"]).split(", "))]


V1 = ("/v1/generate", b'{"digits": 1}')
V2 = ("/v2/models/mnist-generator/infer", json.dumps({"inputs": [
    {"name": name, "datatype": "FP32", "shape": [1, width], "data": [1.0] + [0.0] * (width - 1)}
    for name, width in (("noise", 62), ("categorical", 10), ("continuous", 3))]}).encode())


def slow_bodies(port: int, route: tuple[str, bytes] = V1) -> Counter[str]:
    """8 connections that send their headers and one byte of a 100-byte body to route's path, then nothing;
    meanwhile one ordinary request (route's body)."""
    path, ordinary = route
    sockets = []
    for _ in range(CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{".encode())
        sockets.append(sock)
    served = _send(port, path, ordinary)[0]  # while they hang
    statuses = Counter(_status(_read_all(sock)) for sock in sockets)
    return statuses + Counter({f"{served} (a generate meanwhile)": 1})


def heavy_pngs(port: int) -> Counter[str]:
    """8 requests of 64 RGBA 2048x2048 PNGs each (the issue's 9.8 s of CPU per request)."""
    body = _images(64, 2048, "RGBA")
    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(status for status, _ in pool.map(lambda _: _send(port, "/v1/infer", body), range(CLIENTS)))


def huge_noise(port: int) -> Counter[str]:
    """8 generate bodies of 7.8 MB: a noise list of 3.9 million numbers."""
    body = b'{"noise": [' + b"0," * 3_900_000 + b'0]}'
    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(status for status, _ in pool.map(lambda _: _send(port, "/v1/generate", body), range(CLIENTS)))


def abandoned(port: int) -> Counter[str]:
    """8 infer requests at the pixel limit (4 x 2048x2048), whose clients hang up 0.3 s after sending."""
    body = _images(4, 2048)

    def one(_: int) -> str:
        sock = _open(port, "/v1/infer", body)
        time.sleep(0.3)
        sock.close()
        return "closed by the client"
    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(pool.map(one, range(CLIENTS)))


def odd_values(port: int) -> Counter[str]:
    """Digits that `str.isdigit` accepts and `int` refuses, a 5000-digit index, a 1 MB code name."""
    bodies = [{"code": "\u00b2"}, {"code": "\u2460"}, {"code": "9" * 5000}, {"code": "x" * 1_000_000}]
    return Counter(_send(port, "/v1/traverse", json.dumps(body).encode())[0] for body in bodies)


def wrong_host_and_huge_header(port: int) -> Counter[str]:
    """DNS rebinding (Host: evil.example) and a 1 MB header."""
    rebinding = _status(_raw(port, b"GET /v1/models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"))
    header = _status(_raw(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 1_000_000
                          + b"\r\n\r\n"))
    return Counter([rebinding, header])


GENERATE_V2 = "/v2/models/mnist-generator/infer"
ENCODER_V2 = "/v2/models/mnist-encoder/infer"


def v2_lying_binary(port: int) -> Counter[str]:
    """Triton binary bodies that lie: binary_data_size past the body's end, a tensor a byte short, a header length
    past the body, and a tiny body declaring 10^9 images (2 of each, 8 in all)."""
    def body(size: int, shape: list[int], raw: bytes, extra: int = 0) -> tuple[bytes, str]:
        head = json.dumps({"inputs": [{"name": "images", "datatype": "UINT8", "shape": shape,
                                       "parameters": {"binary_data_size": size}}]}).encode()
        return head + raw, str(len(head) + extra)
    cases = [body(10**12, [1, 28, 28], bytes(784)), body(784, [1, 28, 28], bytes(783)),
             body(784, [1, 28, 28], bytes(784), extra=10**6), body(784, [10**9, 28, 28], bytes(784))] * 2
    return Counter(_send(port, ENCODER_V2, content, {"Inference-Header-Content-Length": header})[0]
                   for content, header in cases)


def v2_huge_json_tensor(port: int) -> Counter[str]:
    """8 x 7.8 MB /v2 JSON generate bodies: a noise tensor of 3.9 M numbers, shape [62903, 62]."""
    body = (b'{"inputs": [{"name": "noise", "datatype": "FP32", "shape": [62903, 62], "data": ['
            + b"0," * 3_899_985 + b"0]}]}")
    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(status for status, _ in pool.map(lambda _: _send(port, GENERATE_V2, body), range(CLIENTS)))


def v2_huge_binary_tensor(port: int) -> Counter[str]:
    """8 x 8 MB /v2 binary encoder bodies: one UINT8 tensor of 10,700 images."""
    raw = bytes(10_700 * 784)
    head = json.dumps({"inputs": [{"name": "images", "datatype": "UINT8", "shape": [10_700, 28, 28],
                                   "parameters": {"binary_data_size": len(raw)}}]}).encode()
    headers = {"Inference-Header-Content-Length": str(len(head))}
    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(status for status, _ in pool.map(lambda _: _send(port, ENCODER_V2, head + raw, headers),
                                                        range(CLIENTS)))


ATTACKS: list[tuple[str, Callable[[int], Counter[str]]]] = [
    ("8 connections sending a body byte and stalling (a generate is sent meanwhile; the row ends at their 408s)",
     slow_bodies),
    ("8 x 64 RGBA 2048x2048 PNGs (2.2 MB of JSON each)", heavy_pngs),
    ("8 x 7.8 MB generate bodies (3.9 M noise numbers)", huge_noise),
    ("8 x infer at the pixel limit, client gone after 0.3 s", abandoned),
    ("traverse code '²', '①', 5000 digits, 1 MB name", odd_values),
    ("Host: evil.example; a 1 MB header", wrong_host_and_huge_header),
    ("8 connections stalling a /v2 body (a /v2 generate is sent meanwhile)", lambda port: slow_bodies(port, V2)),
    ("/v2 binary bodies that lie: binary_data_size past the end, a byte short, header length past the body, "
     "10^9 images declared", v2_lying_binary),
    ("8 x 7.8 MB /v2 JSON generate bodies (a [62903, 62] noise tensor)", v2_huge_json_tensor),
    ("8 x 8 MB /v2 binary encoder bodies (10,700 images)", v2_huge_binary_tensor)]


def _measured(port: int, pid: int, attack: Callable[[int], Counter[str]]) -> dict[str, Any]:
    before, peak, done = _rss(pid), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss(pid))
    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    statuses = attack(port)
    while _send(port, "/v1/generate", b'{"digits": 2}')[0] != "200":
        time.sleep(0.05)
    served = time.monotonic() - started
    time.sleep(SETTLE_SECONDS)  # work the attack left behind (abandoned reads stop at their next chunk) ends
    done.set()
    sampler.join()
    return {"requests": sum(statuses.values()), "answers": _counts(statuses), "served_after_s": served,
            "rss_before_mb": before, "rss_peak_mb": max(peak[0], before), "rss_after_mb": _rss(pid)}


def _images(count: int, size: int, mode: str = "L") -> bytes:
    """A JSON infer body of `count` copies of one drawing (a line on paper), size x size, as base64 PNG."""
    image = Image.new(mode, (size, size), "white")
    ImageDraw.Draw(image).line([(0.3 * size, 0.2 * size), (0.7 * size, 0.2 * size), (0.4 * size, 0.8 * size)],
                               fill="black", width=size // 12)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return json.dumps({"images": [base64.b64encode(buffer.getvalue()).decode()] * count}).encode()


def _open(port: int, path: str, body: bytes, headers: dict[str, str] | None = None) -> socket.socket:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {"Content-Type": "application/json"}).items())
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Content-Length: {len(body)}\r\n"
                 "Connection: close\r\n\r\n".encode() + body)
    return sock


def _send(port: int, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[str, bytes]:
    """(status, answer) of one POST on its own connection (Content-Type JSON unless `headers` say otherwise);
    "reset" if the connection broke."""
    try:
        answer = _read_all(_open(port, path, body, headers))
    except OSError:
        return "reset", b""
    return _status(answer), answer


def _raw(port: int, request: bytes) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        sock.sendall(request)
    except OSError:
        pass  # the server may refuse before the request is all sent; its answer is still there to read
    return _read_all(sock)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except OSError:
        return b"reset"
    finally:
        sock.close()
    return b"".join(chunks)


def _status(answer: bytes) -> str:
    """ "413 too_large": the status and the JSON error code, "reset" for no answer."""
    if not answer.startswith(b"HTTP/1.1 "):
        return "reset"
    head, _, body = answer.partition(b"\r\n\r\n")
    code = head[9:12].decode()
    if code == "200":
        return code
    try:
        problem = json.loads(body)
        error = problem["error"]
    except (ValueError, KeyError, TypeError):
        return f"{code} (not JSON)"
    if not isinstance(error, str):
        return f"{code} (not JSON)"
    return f"{code} {error}" if error.isidentifier() else f"{code} {{error}}"  # /v2's error is a whole sentence


def _counts(statuses: Counter[str]) -> str:
    return ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))


def _rss(pid: int) -> float:
    """Resident memory of the process in MB (0 once it has exited)."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except OSError:
        return 0.0
    return int(fields["VmRSS"].split()[0]) / 1024


if __name__ == "__main__":
    raise SystemExit(main())
