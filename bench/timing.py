"""Timing a call: latency percentiles at batch 1, throughput at a batch, the run's time budget, and the machine
that every figure is recorded beside."""

from __future__ import annotations

import datetime
import gc
import os
import platform
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Budget:
    """How long to time each measurement; --quick shrinks all of it."""

    latency_calls: int  # timed batch-1 calls per latency row (after WARMUP)
    throughput_seconds: float  # keep calling at least this long per throughput row...
    throughput_calls: int  # ...and at least this many times
    batches: tuple[int, ...]  # throughput rows
    cold_runs: int  # fresh subprocesses per cold-start path (median reported)
    ceiling_sizes: tuple[int, ...]  # square sgemm sizes for the ceiling
    train_steps: int  # timed training steps per architecture (after one warm-up step)
    accuracy_images: int  # MNIST test images for the int8 accuracy check

    @classmethod
    def make(cls, quick: bool) -> Budget:
        if quick:
            return cls(latency_calls=50, throughput_seconds=0.15, throughput_calls=1, batches=(16, 256, 4096),
                       cold_runs=1, ceiling_sizes=(1024,), train_steps=3, accuracy_images=2000)
        return cls(latency_calls=300, throughput_seconds=1.0, throughput_calls=5, batches=(16, 256, 4096),
                   cold_runs=5, ceiling_sizes=(1024, 2048), train_steps=10, accuracy_images=2000)


WARMUP = 3  # untimed calls first: onnxruntime and torch allocate and pick kernels on the first runs


def latency(call: Callable[[], Any], calls: int) -> dict[str, float]:
    """p50 / p99 / mean of `calls` timed calls, in milliseconds."""
    for _ in range(WARMUP):
        call()
    samples = _timed(call, calls, 0.0)
    return {"p50_ms": 1e3 * float(np.percentile(samples, 50)), "p99_ms": 1e3 * float(np.percentile(samples, 99)),
            "mean_ms": 1e3 * float(np.mean(samples)), "calls": len(samples)}


def throughput(call: Callable[[], Any], batch: int, budget: Budget) -> dict[str, float]:
    """Images per second: `batch` over the median call time (robust to a noisy neighbour)."""
    call()  # warm-up
    samples = _timed(call, budget.throughput_calls, budget.throughput_seconds)
    return {"images_per_s": batch / float(np.median(samples)), "best_images_per_s": batch / float(np.min(samples)),
            "calls": len(samples)}


def _timed(call: Callable[[], Any], calls: int, seconds: float) -> list[float]:
    """Seconds per call: at least `calls` calls and at least `seconds` in all; the GC kept out of the timings."""
    samples: list[float] = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        while len(samples) < calls or time.perf_counter() - started < seconds:
            begin = time.perf_counter()
            call()
            samples.append(time.perf_counter() - begin)
    finally:
        if enabled:
            gc.enable()
    return samples


def cpu_name() -> str:
    """The processor's model name (/proc/cpuinfo), else what `platform` says."""
    info = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in (info.read_text().splitlines() if info.is_file() else [])
             if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def machine(command: list[str]) -> dict[str, Any]:
    """The machine a run measures on, at its start: the command that ran, the date, the CPU, the usable cores and
    the load average (`finished` adds the load at the end). Every results file carries it; every table shows it."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"command": shlex.join(command), "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "cpu": cpu_name(), "usable_cores": cores, "load_start": os.getloadavg()[0]}


def finished(meta: dict[str, Any]) -> dict[str, Any]:
    """`meta` with the load average at the end of the run."""
    return {**meta, "load_end": os.getloadavg()[0]}


def describe(meta: dict[str, Any]) -> str:
    """One line: the date, the CPU, its usable cores and the load average at start and end (high: noisy figures)."""
    load = f"load average {meta['load_start']:.2f} at start"
    if "load_end" in meta:
        load += f", {meta['load_end']:.2f} at end"
    return f"{meta['date']}, {meta['cpu']} ({meta['usable_cores']} usable cores), {load}"
