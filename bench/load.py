"""Load from a non-Python generator: `wrk` (Debian's package, C) POSTing one fixed body on N keep-alive
connections, one request at a time each, and the CPU a server's processes spent meanwhile.

    figures = load.wrk(url, Body(b"{...}", {"Content-Type": "application/json"}), clients=4, seconds=5,
                       server_pid=process.pid)
    -> {"requests_per_s", "p50_ms", "p99_ms", "cpu_s_per_1000", "requests", "errors"}
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "post.lua"
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Body:
    """One request: its bytes and headers (Content-Length is wrk's)."""

    content: bytes
    headers: dict[str, str] = field(default_factory=dict)


def missing() -> str | None:
    """Why wrk cannot run here, or None."""
    return None if shutil.which("wrk") else "wrk is not installed (apt-get install wrk)"


def wrk(url: str, body: Body, clients: int, seconds: float, server_pid: int | None = None) -> dict[str, Any]:
    """`clients` connections POSTing `body` to `url` for `seconds`; latency percentiles from wrk's histogram, and
    the CPU seconds the process tree under `server_pid` spent per 1,000 answered requests."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        body_file, header_file = Path(folder) / "body", Path(folder) / "headers"
        body_file.write_bytes(body.content)
        header_file.write_text("".join(f"{name}\t{value}\n" for name, value in body.headers.items()))
        before = tree_cpu_seconds(server_pid) if server_pid else 0.0
        command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(SCRIPT),
                   url]  # wrk takes whole seconds only
        run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60,
                             env={**os.environ, "BENCH_BODY": str(body_file), "BENCH_HEADERS": str(header_file)})
        spent = tree_cpu_seconds(server_pid) - before if server_pid else None
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}")
    return figures(run.stdout, spent)


def figures(output: str, cpu_seconds: float | None) -> dict[str, Any]:
    """wrk's output (its last line: post.lua's JSON) -> the row's figures; refuses a run with any error."""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk printed no summary: {output[-500:]!r}")
    summary = json.loads(lines[-1])
    errors = {kind: count for kind, count in summary["errors"].items() if count}
    if errors or not summary["requests"]:
        raise RuntimeError(f"wrk: {summary['requests']} requests answered, errors {errors}")
    requests = summary["requests"]
    return {"requests": requests, "requests_per_s": requests / summary["seconds"],
            "p50_ms": summary["p50_us"] / 1e3, "p99_ms": summary["p99_us"] / 1e3,
            "cpu_s_per_1000": None if cpu_seconds is None else 1e3 * cpu_seconds / requests}


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and every live descendant (children that were waited for included)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        number = int(entry.name)
        children.setdefault(int(fields[1]), []).append(number)  # fields[1]: the parent's pid
        times[number] = sum(int(value) for value in fields[11:15]) / TICKS  # utime stime cutime cstime
    total, stack = 0.0, [pid]
    while stack:
        number = stack.pop()
        total += times.get(number, 0.0)
        stack += children.get(number, [])
    return total
