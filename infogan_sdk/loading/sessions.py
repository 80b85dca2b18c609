"""onnxruntime sessions: device and provider selection, created once per model and reused.

The only module that talks to onnxruntime. It never changes onnxruntime's global state (no default
logger severity, no environment); every setting goes through the session's own options. onnxruntime is
imported on first use, not with the package: importing it writes a cache folder under ~/.cache.
"""

from __future__ import annotations

import logging
import platform
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import PIL
from numpy.typing import NDArray

from infogan_sdk.errors import (
    CorruptModelError,
    DeviceUnavailableError,
    IncompatibleModelError,
    InvalidInputError,
    shown,
)

logger = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}
# idle intra-op threads sleep instead of busy-waiting for the next parallel section (onnxruntime spins by default)
NO_SPINNING = ("session.intra_op.allow_spinning", "0")


class Session:
    """One onnxruntime session plus what the SDK needs to know about it; `run` is thread-safe."""

    def __init__(self, session: Any, name: str) -> None:
        self._session = session
        self.name = name  # the role and file, for messages
        self.providers: list[str] = list(session.get_providers())
        cuda = session.get_provider_options().get(CUDA, {}) if self.providers[:1] == [CUDA] else None
        self.device = "cpu" if cuda is None else f"cuda:{cuda.get('device_id', 0)}"  # "cpu" or "cuda:N"
        self.outputs = [output.name for output in session.get_outputs()]
        self.inputs: dict[str, tuple[Any, ...]] = {}  # name -> shape, e.g. ("batch", 62)
        self._dtypes: dict[str, Any] = {}
        for node in session.get_inputs():
            if node.type not in _DTYPES:
                raise IncompatibleModelError(f"{name}: input {node.name!r} must be a float tensor, got {node.type}")
            self.inputs[node.name] = tuple(node.shape)
            self._dtypes[node.name] = _DTYPES[node.type]
        self._float32 = all(output.type == "tensor(float)" for output in session.get_outputs())

    def run(self, outputs: Sequence[str], feeds: Mapping[str, NDArray[np.float32]]) -> list[NDArray[np.float32]]:
        """Run the named outputs on float32 feeds (cast to the model's input dtype); outputs come back float32."""
        cast = {name: np.ascontiguousarray(value, dtype=self._dtypes[name]) for name, value in feeds.items()}
        results = self._session.run(outputs, cast)
        if self._float32:  # the usual case: nothing to convert
            return results  # type: ignore[no-any-return]
        return [np.asarray(value, dtype=np.float32) for value in results]


def chunks(count: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most `size` rows covering range(count), so big batches use bounded memory."""
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


def parse_device(device: str) -> tuple[str, int]:
    """"auto" | "cpu" | "cuda" | "cuda:N" -> (kind, cuda index); raises InvalidInputError otherwise."""
    match = re.fullmatch(r"(auto|cpu|cuda)(?::(\d+))?", device) if isinstance(device, str) else None
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise InvalidInputError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {shown(device)}")
    return match.group(1), int(match.group(2) or 0)


def open_session(model: bytes, name: str, device: str = "auto", providers: Sequence[Any] | None = None,
                 provider_options: Mapping[str, Any] | None = None, session_options: Any = None,
                 threads: int | None = None, spinning: bool = True) -> Session:
    """Create the session for one ONNX model on the requested device.

    "auto" takes CUDA only when onnxruntime offers it and the created session really uses it, else the CPU;
    an explicit "cuda[:N]" that cannot be honoured raises DeviceUnavailableError (never a silent fallback).
    `providers` (raw onnxruntime provider list) bypasses device selection; `provider_options` go to the
    chosen provider; `threads` and `spinning` go to the session's options (see `ModelBase`). Raises
    InvalidInputError, DeviceUnavailableError or CorruptModelError.
    """
    options = _session_options(session_options, threads, spinning)
    if providers is not None:
        if device != "auto" or provider_options is not None:
            raise InvalidInputError("providers= is the raw onnxruntime list: pass it without device= and "
                                    "provider_options= (put options in (name, options) pairs), got "
                                    f"device={shown(device)}")
        session = Session(_create(model, name, options, list(providers)), name)
    else:
        session = Session(_select(model, name, options, parse_device(device), dict(provider_options or {})), name)
    logger.info("%s runs on %s (onnxruntime %s, providers %s)", name, session.device, _ort().__version__,
                session.providers)
    return session


def _select(model: bytes, name: str, options: Any, device: tuple[str, int], extra: dict[str, Any]) -> Any:
    ort = _ort()
    kind, index = device
    available = ort.get_available_providers()
    if kind == "cpu" or (kind == "auto" and CUDA not in available):
        return _create(model, name, options, [(CPU, extra)])
    if CUDA not in available:
        raise DeviceUnavailableError(
            f"device 'cuda:{index}' needs onnxruntime's {CUDA}, but this onnxruntime {ort.__version__} offers "
            f"{available}; install onnxruntime-gpu (and not onnxruntime) with a matching CUDA, or use device='cpu'")
    requested = [(CUDA, {"device_id": index, **extra}), (CPU, {})]
    try:
        session = _create(model, name, options, requested)
    except CorruptModelError as error:
        if kind == "cuda":
            raise DeviceUnavailableError(f"{name}: could not create a CUDA session on cuda:{index}: {error}") from error
        logger.warning("%s: CUDA session failed (%s); using the CPU", name, error)
        return _create(model, name, options, [(CPU, {})])
    in_use = list(session.get_providers())
    if kind == "cuda" and (not in_use or in_use[0] != CUDA):
        raise DeviceUnavailableError(
            f"{name}: asked for cuda:{index}, but onnxruntime fell back to {in_use} (CUDA/cuDNN libraries missing or "
            f"mismatched?); expected {CUDA} first")
    return session


def _create(model: bytes, name: str, options: Any, providers: list[Any]) -> Any:
    ort = _ort()
    try:
        return ort.InferenceSession(model, sess_options=options, providers=providers)
    except Exception as error:  # onnxruntime's own exception types are not importable in a stable way
        raise CorruptModelError(f"onnxruntime {ort.__version__} could not load {name}: {error}") from error


def _session_options(session_options: Any, threads: int | None, spinning: bool = True) -> Any:
    ort = _ort()
    if not isinstance(spinning, bool):
        raise InvalidInputError(f"spinning must be True or False, got {shown(spinning)}")
    if session_options is not None:
        if threads is not None:
            raise InvalidInputError("pass either threads= or session_options= (set intra_op_num_threads there), "
                                    "not both")
        if not spinning:
            raise InvalidInputError("pass either spinning=False or session_options= (set its config entry "
                                    f"{NO_SPINNING[0]!r} to '0'), not both")
        return session_options
    options = ort.SessionOptions()
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 1024:
            raise InvalidInputError(f"threads must be an integer from 1 to 1024, got {shown(threads)}")
        options.intra_op_num_threads = threads
    if not spinning:
        options.add_session_config_entry(*NO_SPINNING)
    return options


def environment() -> dict[str, Any]:
    """Versions and onnxruntime providers of this machine, for bug reports (`infogan info`)."""
    ort = _ort()
    return {"python": sys.version.split()[0], "platform": platform.platform(), "numpy": np.__version__,
            "onnxruntime": ort.__version__, "pillow": PIL.__version__, "onnxruntime_device": ort.get_device(),
            "available_providers": list(ort.get_available_providers())}


def _ort() -> Any:
    """onnxruntime, imported on first use (tests fake its attributes on the module object)."""
    import onnxruntime

    return onnxruntime
