"""Lanes: a big batch split across one-thread sessions of the same file, run side by side.

The generator's small transposed convolutions scale poorly inside one onnxruntime call: on a 2-core AMD EPYC
(AVX2) batch 256 went from 7,964 to 11,033 images/s with 2 intra-op threads, and to 14,657 with two one-thread
sessions on half the batch each. So a `Generator` opened with threads >= 2 (or the default, one lane per usable
CPU) runs batches of LANE_ROWS or more in lanes; smaller ones (and the lone image) stay on its intra-op session,
which is quicker there. The encoder scales within one call (13,117 -> 21,712), so it has no lanes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.loading.sessions import Session

LANE_ROWS = 128  # rows from which lanes beat the intra-op session (measured: 0.9x at 64, 1.5x at 128)
MAX_LANES = 16  # each lane is a session (weights and buffers): more cores than this share them


def lane_count(threads: int | None) -> int:
    """Lanes for a model opened with `threads` (None: one per CPU this process may use), at most MAX_LANES."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(threads if threads is not None else usable, MAX_LANES))


class Lanes:
    """`count` one-thread sessions opened by `open_one`, and the threads that run them."""

    def __init__(self, open_one: Callable[[], Session], count: int) -> None:
        self.sessions = [open_one() for _ in range(count)]
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="infogan-lane")

    def run(self, outputs: Sequence[str], feeds: Mapping[str, NDArray[np.float32]],
            rows: int) -> list[NDArray[np.float32]]:
        """`Session.run` of `rows` rows, each lane a consecutive part; the parts' outputs joined in order."""
        edges = np.linspace(0, rows, len(self.sessions) + 1).astype(int)

        def part(lane: int) -> list[NDArray[np.float32]]:
            start, stop = edges[lane], edges[lane + 1]
            return self.sessions[lane].run(outputs, {name: value[start:stop] for name, value in feeds.items()})

        parts = list(self._pool.map(part, range(len(self.sessions))))
        return [np.concatenate([outputs_of[k] for outputs_of in parts]) for k in range(len(outputs))]
