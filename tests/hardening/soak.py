"""Concurrency soak: threads mixing `generate` and `infer` on one shared Generator and one shared Encoder.

Every result must equal the single-threaded result for the same inputs (bit for bit), and the resident memory
after warm-up must stay flat. Reports calls per second and latency percentiles.

    python -m tests.hardening.soak --seconds 600 --threads 8 --json soak.json
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from infogan_sdk import Encoder, Generator

Call = Callable[[], tuple[np.ndarray, ...]]


def rss_mb() -> float:
    """Resident set size of this process (VmRSS), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def build_requests(generator: Generator, encoder: Encoder, count: int, seed: int) -> list[tuple[str, Call]]:
    """`count` seeded requests, half generate and half infer (28x28 arrays, larger inverted arrays, PNG bytes)."""
    rng = np.random.default_rng(seed)
    requests: list[tuple[str, Call]] = []
    for index in range(count):
        n = int(rng.integers(1, 17))
        if index % 2 == 0:
            digits, request_seed = rng.integers(0, 10, n).tolist(), int(rng.integers(0, 2**31))
            thickness = rng.uniform(-1, 1, n).astype(np.float32)
            requests.append(("generate", lambda d=digits, s=request_seed, r=thickness: (
                generator.generate(d, thickness=r, seed=s).images,)))
            continue
        images = generator.generate(count=n, seed=int(rng.integers(0, 2**31))).images
        kind = index // 2 % 3
        inputs: Any = images
        if kind == 1:  # dark ink on paper, 40x40: the MNIST normalisation runs
            inputs = [255 - np.asarray(Image.fromarray(image).resize((40, 40))) for image in images]
        elif kind == 2:  # encoded files: decoding runs
            inputs = [_png(image) for image in images]
        requests.append(("infer", lambda x=inputs: _infer_arrays(encoder, x)))
    return requests


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def _infer_arrays(encoder: Encoder, inputs: Any) -> tuple[np.ndarray, ...]:
    result = encoder.infer(inputs)
    return result.digits, result.probabilities, result.continuous, result.realness, result.images


@dataclass
class SoakResult:
    seconds: float
    threads: int
    calls: int = 0
    calls_per_second: float = 0.0
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # kind -> p50, p99, max
    mismatches: int = 0
    errors: list[str] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)  # start, after warm-up, end, max after warm-up
    rss_growth_percent: float = 0.0


def run_soak(seconds: float, threads: int = 8, requests: int = 24, seed: int = 0,
             generator: Generator | None = None, encoder: Encoder | None = None) -> SoakResult:
    """Run the soak for `seconds`; the first fifth (at least 2 s) is warm-up, not counted in the memory check."""
    generator = generator or Generator("mnist", device="cpu")
    encoder = encoder or Encoder("mnist", device="cpu")
    result = SoakResult(seconds=seconds, threads=threads)
    start_rss = rss_mb()
    work = build_requests(generator, encoder, requests, seed)
    expected = [call() for _, call in work]  # single-threaded reference results
    latencies: dict[str, list[float]] = {"generate": [], "infer": []}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        rng = np.random.default_rng([seed, index])
        while time.perf_counter() < deadline:
            pick = int(rng.integers(0, len(work)))
            kind, call = work[pick]
            started = time.perf_counter()
            try:
                outputs = call()
            except Exception as error:  # recorded and reported: the soak must see every failure
                with lock:
                    result.errors.append(f"{kind} request {pick}: {type(error).__name__}: {error}")
                continue
            elapsed = time.perf_counter() - started
            same = all(np.array_equal(a, b) for a, b in zip(outputs, expected[pick], strict=True))
            with lock:
                latencies[kind].append(elapsed)
                result.mismatches += not same

    pool = [threading.Thread(target=worker, args=(index,), daemon=True) for index in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    warm_until, samples, warm_rss = began + max(2.0, seconds / 5), [], None
    while any(thread.is_alive() for thread in pool):
        time.sleep(0.25)
        if warm_rss is None and time.perf_counter() >= warm_until:
            warm_rss = rss_mb()
        elif warm_rss is not None:
            samples.append(rss_mb())
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    end_rss = rss_mb()
    warm_rss = warm_rss if warm_rss is not None else end_rss
    result.calls = len(latencies["generate"]) + len(latencies["infer"])
    result.calls_per_second = round(result.calls / elapsed, 1)
    latencies["all"] = latencies["generate"] + latencies["infer"]
    for kind, values in latencies.items():
        if values:
            ms = np.asarray(values) * 1e3
            result.latency_ms[kind] = {"p50": round(float(np.percentile(ms, 50)), 2),
                                       "p99": round(float(np.percentile(ms, 99)), 2), "max": round(float(ms.max()), 2)}
    result.rss_mb = {"start": round(start_rss, 1), "after_warmup": round(warm_rss, 1), "end": round(end_rss, 1),
                     "max_after_warmup": round(max(samples, default=end_rss), 1)}
    result.rss_growth_percent = round(100 * (end_rss - warm_rss) / warm_rss, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hardening.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the result to this file")
    args = parser.parse_args(argv)
    result = run_soak(args.seconds, args.threads, seed=args.seed)
    text = json.dumps(asdict(result), indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(text + "\n")
    failed = result.mismatches or result.errors or result.rss_growth_percent >= 5.0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
