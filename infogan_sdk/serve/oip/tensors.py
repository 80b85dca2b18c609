"""Tensors of the Open Inference Protocol: datatypes, declared shapes, and arrays from JSON data or raw bytes.

Raw bytes are little-endian and row-major, BOOL one byte each (Triton's binary tensor extension, and gRPC's
raw_input_contents / raw_output_contents). BYTES tensors are refused: no model here takes or gives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import shown
from infogan_sdk.serve.errors import ApiError

DTYPES: dict[str, np.dtype[Any]] = {name: np.dtype(kind).newbyteorder("<") for name, kind in (
    ("BOOL", np.bool_), ("UINT8", np.uint8), ("UINT16", np.uint16), ("UINT32", np.uint32), ("UINT64", np.uint64),
    ("INT8", np.int8), ("INT16", np.int16), ("INT32", np.int32), ("INT64", np.int64), ("FP16", np.float16),
    ("FP32", np.float32), ("FP64", np.float64))}
JSON_KINDS = {"b": "b", "u": "iu", "i": "iu", "f": "iuf"}  # numpy kinds of JSON values each datatype's kind takes
MAX_DIMS = 8


@dataclass(frozen=True)
class TensorSpec:
    """A model's input or output as its metadata declares it: -1 is the batch (any number of rows)."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}

    def config(self) -> dict[str, Any]:
        """The tensor in Triton's model configuration (the batch dimension left out, as max_batch_size > 0 says)."""
        return {"name": self.name, "data_type": f"TYPE_{'STRING' if self.datatype == 'BYTES' else self.datatype}",
                "dims": list(self.shape[1:])}


def bad(detail: str) -> ApiError:
    """A 400 for a request the protocol or the model's metadata refuses."""
    return ApiError(400, detail)


def shape_of(value: Any, where: str) -> tuple[int, ...]:
    """A request's "shape": up to MAX_DIMS non-negative integers."""
    if not isinstance(value, (list, tuple)) or len(value) > MAX_DIMS or not all(
            isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 1 << 40 for size in value):
        raise bad(f"{where}: shape must be a list of at most {MAX_DIMS} non-negative integers, got {shown(value)}")
    return tuple(value)


def check(spec: TensorSpec, datatype: str, shape: tuple[int, ...], where: str,
          datatypes: tuple[str, ...] = ()) -> None:
    """The datatype must be the declared one (or one of `datatypes`), the shape the declared one, -1 any size."""
    allowed = (spec.datatype, *datatypes)
    if datatype not in allowed:
        raise bad(f"{where}: datatype must be {' or '.join(allowed)}, got {shown(datatype)}")
    if len(shape) != len(spec.shape) or any(want not in (-1, got) for want, got in zip(spec.shape, shape, strict=True)):
        raise bad(f"{where}: shape must be {list(spec.shape)} (-1: any), got {list(shape)}")


def from_bytes(raw: bytes | memoryview, datatype: str, shape: tuple[int, ...], where: str) -> NDArray[Any]:
    """A tensor from its raw little-endian bytes; their length must be the shape's."""
    dtype = _dtype(datatype, where)
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise bad(f"{where}: {datatype} {list(shape)} is {expected} bytes, got {len(raw)}")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape)
    if datatype == "BOOL" and array.view(np.uint8).max(initial=0) > 1:
        raise bad(f"{where}: BOOL bytes must be 0 or 1")
    return array


def from_json(data: Any, datatype: str, shape: tuple[int, ...], where: str) -> NDArray[Any]:
    """A tensor from its JSON "data" (flat or nested, row-major); numbers of the datatype's kind only."""
    dtype = _dtype(datatype, where)
    if not isinstance(data, list):
        raise bad(f"{where}: data must be a JSON array of numbers, got {shown(data)}")
    try:
        values = np.asarray(data)
    except (ValueError, TypeError, OverflowError) as error:
        raise bad(f"{where}: data must be a flat or rectangular array of numbers ({error})") from error
    if values.size and values.dtype.kind not in JSON_KINDS[dtype.kind]:
        raise bad(f"{where}: data of a {datatype} tensor must hold {_kind_words(dtype)}, got {values.dtype} values")
    if values.size != math.prod(shape):
        raise bad(f"{where}: shape {list(shape)} has {math.prod(shape)} elements, data has {values.size}")
    if dtype.kind in "iu" and values.size:
        info = np.iinfo(dtype)
        if values.min() < info.min or values.max() > info.max:
            raise bad(f"{where}: {datatype} values must be from {info.min} to {info.max}")
    with np.errstate(over="ignore"):
        array = values.astype(dtype).reshape(shape)
    if dtype.kind == "f" and values.size and not np.isfinite(array.ravel()[np.isfinite(values.ravel())]).all():
        raise bad(f"{where}: values overflow {datatype}")
    return array


def to_json(array: NDArray[Any]) -> list[Any]:
    """A tensor's "data": flat, row-major."""
    flat: list[Any] = array.ravel().tolist()
    return flat


def to_bytes(array: NDArray[Any]) -> bytes:
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def datatype_of(array: NDArray[Any]) -> str:
    for name, dtype in DTYPES.items():
        if array.dtype == dtype:
            return name
    raise AssertionError(f"no protocol datatype for {array.dtype}")


def _dtype(datatype: str, where: str) -> np.dtype[Any]:
    if datatype not in DTYPES:
        raise bad(f"{where}: datatype must be one of {', '.join(DTYPES)}, got {shown(datatype)}")
    return DTYPES[datatype]


def _kind_words(dtype: np.dtype[Any]) -> str:
    return {"b": "true or false", "u": "integers", "i": "integers", "f": "numbers"}[dtype.kind]
