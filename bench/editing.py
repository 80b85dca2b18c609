"""Section 9: editing real digits, `Generator.edit` and `Generator.reconstruct` (encoder, then generator).

Uint8 MNIST test digits in, 28x28 images out: one call reads the codes and noise and redraws, so a row costs about
one infer plus one generate. Latency at batch 1 (one user's digit) and throughput at each of the budget's
batches; models without a noise output have no rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.timing import Budget, latency, throughput
from infogan_sdk import Generator

TARGETS = {"latency_ms": 2.0, "images_per_s": 3000.0, "batch": 256, "threads": 1}  # issue 20's, one core


def editing(model_dir: Path, images: np.ndarray, threads: tuple[int, ...], budget: Budget) -> list[dict[str, Any]]:
    """Rows of (call, threads, batch) with p50/p99 ms at batch 1 and images/s at larger batches."""
    rows: list[dict[str, Any]] = []
    for count in threads:
        generator = Generator(model_dir, device="cpu", threads=count)
        if not generator.can_edit:
            return []
        calls = {"edit": lambda n, g=generator: g.edit(images[:n], thickness=1.0, preprocess="none"),
                 "reconstruct": lambda n, g=generator: g.reconstruct(images[:n], preprocess="none")}
        for name, call in calls.items():
            rows.append({"call": name, "threads": count, "batch": 1,
                         **latency(lambda call=call: call(1), budget.latency_calls)})
            for batch in budget.batches:
                rows.append({"call": name, "threads": count, "batch": batch,
                             **throughput(lambda call=call, batch=batch: call(batch), batch, budget)})
    return rows


def render(results: dict[str, Any]) -> list[str]:
    rows = results.get("editing")
    if not rows:
        return []
    lines = ["", "9. Generator.edit / reconstruct (uint8 28x28 in: encoder, noise included, then generator); target "
             f"one image <= {TARGETS['latency_ms']:g} ms and >= {TARGETS['images_per_s']:,.0f} images/s at batch "
             f"{TARGETS['batch']}, {TARGETS['threads']} thread",
             f"{'call':<12} {'threads':>7} {'batch':>5} {'p50 ms':>8} {'p99 ms':>8} {'images/s':>10}"]
    for row in rows:
        if row["batch"] == 1:
            lines.append(f"{row['call']:<12} {row['threads']:>7} {1:>5} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f} "
                         f"{1e3 / row['p50_ms']:>10.0f}")
        else:
            lines.append(f"{row['call']:<12} {row['threads']:>7} {row['batch']:>5} {'':>8} {'':>8} "
                         f"{row['images_per_s']:>10.0f}")
    return lines
