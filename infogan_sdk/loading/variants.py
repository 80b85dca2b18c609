"""`variant="auto"`: the fastest of a model folder's files for one network on the running machine.

Each candidate (the float32 file, and every variant file of the role: "int8", ...; "fp16" only where the
session runs on CUDA) is opened and timed on a batch of PROBE_BATCH inputs; the choice is cached per process
(folder, role, device, threads), so later models of that folder open only the chosen file. A folder with no
variant files costs nothing: there is nothing to choose.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from infogan_sdk.loading.manifest import Manifest
from infogan_sdk.loading.sessions import Session

AUTO = "auto"
PROBE_BATCH = 64  # inputs per timed call: between the lone image and the bulk job
PROBE_CALLS = 5  # timed calls per candidate (after one warm-up); the median counts

logger = logging.getLogger(__name__)
_chosen: dict[tuple[str, str, str, int | None], str | None] = {}
_lock = threading.Lock()


def variants_of(manifest: Manifest, role: str) -> list[str]:
    """The variant names a folder has for `role` ("int8", ...): files listed as <role>_<variant>."""
    prefix = f"{role}_"
    return sorted(key[len(prefix):] for key in manifest.data["files"] if key.startswith(prefix))


def fastest(manifest: Manifest, role: str, device: str, threads: int | None,
            open_file: Callable[[str], Session]) -> tuple[str | None, Session]:
    """(the chosen variant, None for float32; its open session). `open_file(file_role)` opens one file."""
    key = (str(manifest.path.resolve()), role, device, threads)
    with _lock:  # two models opening at once time the candidates once
        if key in _chosen:
            variant = _chosen[key]
            return variant, open_file(role if variant is None else f"{role}_{variant}")
        base = open_file(role)
        names = [name for name in variants_of(manifest, role) if name != "fp16" or base.device.startswith("cuda")]
        if not names:
            _chosen[key] = None
            return None, base
        sessions: dict[str | None, Session] = {None: base, **{name: open_file(f"{role}_{name}") for name in names}}
        seconds = {name: _median_call(session) for name, session in sessions.items()}
        variant = min(seconds, key=lambda name: seconds[name])
        _chosen[key] = variant
    logger.info("%s %s: variant %s chosen (%s per call of %d)", manifest.path.name, role, variant or "float32",
                ", ".join(f"{name or 'float32'} {1e3 * value:.2f} ms" for name, value in seconds.items()), PROBE_BATCH)
    return variant, sessions[variant]


def _median_call(session: Session) -> float:
    """Median seconds of a PROBE_BATCH call on zeros (every input is float, batch first)."""
    feeds = {name: np.zeros((PROBE_BATCH, *(1 if isinstance(size, str) or size is None else size
                                           for size in shape[1:])), dtype=np.float32)
             for name, shape in session.inputs.items()}
    outputs = session.outputs
    session.run(outputs, feeds)  # warm-up: allocations and kernel choices
    times = []
    for _ in range(PROBE_CALLS):
        started = time.perf_counter()
        session.run(outputs, feeds)
        times.append(time.perf_counter() - started)
    return float(np.median(times))
