"""REST inference bodies: the JSON request and Triton's binary tensor extension, both ways.

A body is JSON, or, with the `Inference-Header-Content-Length: n` header, n bytes of JSON followed by the raw
tensors of the inputs whose parameters give `binary_data_size`, in the order of the inputs. The header decides,
never the Content-Type (tritonclient sends none). An output goes back raw when its request asks
`"binary_data": true`, or the request's parameters say `"binary_data_output": true` and the output does not say
otherwise; the answer then carries the same header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from numpy.typing import NDArray

from infogan_sdk.errors import shown
from infogan_sdk.serve.oip import tensors
from infogan_sdk.serve.oip.models import VERSION, OipModel, check_input
from infogan_sdk.serve.oip.tensors import bad

HEADER = "inference-header-content-length"


@dataclass(frozen=True)
class Request:
    """A parsed inference request: its id, its inputs by name and the outputs asked for (name, binary)."""

    id: str | None
    inputs: dict[str, NDArray[Any]]
    outputs: list[tuple[str, bool]]


def parse(body: bytes, header: str | None, model: OipModel) -> Request:
    """Parse and check a request body against the model's metadata (400 naming what is wrong)."""
    if header is None:
        head, rest = body, memoryview(b"")
    else:
        if not (header.isascii() and header.isdigit() and len(header) < 19):
            raise bad(f"Inference-Header-Content-Length must be a number of bytes, got {shown(header)}")
        if int(header) > len(body):
            raise bad(f"Inference-Header-Content-Length is {int(header)} bytes, beyond the body's {len(body)}")
        head, rest = body[:int(header)], memoryview(body)[int(header):]
    try:
        request = orjson.loads(head)
    except orjson.JSONDecodeError as error:
        raise bad(f"the inference request's JSON header is not valid JSON ({error})") from error
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list) or not request["inputs"]:
        raise bad('the inference request must be a JSON object with "inputs": a non-empty list')
    request_id = request.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise bad(f'"id" must be a string, got {shown(request_id)}')
    inputs, used = _inputs(request["inputs"], rest, model)
    if used != len(rest):
        raise bad(f"the body has {len(rest) - used} bytes after the binary inputs it declares")
    missing = [tensor.name for tensor in model.inputs if tensor.name not in inputs]
    if missing:
        raise bad(f"model {model.name!r} needs the inputs {', '.join(missing)}")
    default = _parameters(request, "the request").get("binary_data_output", False)
    return Request(request_id, inputs, _outputs(request.get("outputs"), model, default is True))


def answer(model: OipModel, request_id: str | None, outputs: dict[str, NDArray[Any]],
           wanted: Sequence[tuple[str, bool]]) -> tuple[bytes, dict[str, str]]:
    """The response body and its headers: JSON, then the raw outputs asked for in binary."""
    entries, raw = [], []
    for name, binary in wanted:
        array = outputs[name]
        entry: dict[str, Any] = {"name": name, "datatype": tensors.datatype_of(array), "shape": list(array.shape)}
        if binary:
            raw.append(tensors.to_bytes(array))
            entry["parameters"] = {"binary_data_size": len(raw[-1])}
        else:
            entry["data"] = tensors.to_json(array)
        entries.append(entry)
    head = orjson.dumps({"model_name": model.name, "model_version": VERSION,
                         **({"id": request_id} if request_id is not None else {}), "outputs": entries})
    if not raw:
        return head, {"content-type": "application/json"}
    return b"".join([head, *raw]), {"content-type": "application/octet-stream", HEADER: str(len(head))}


def _inputs(entries: list[Any], rest: memoryview, model: OipModel) -> tuple[dict[str, NDArray[Any]], int]:
    inputs: dict[str, NDArray[Any]] = {}
    used = 0
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise bad(f'inputs[{index}] must be an object with a "name", got {shown(entry)}')
        name, where = entry["name"], f"input {entry['name']!r}"
        if name in inputs:
            raise bad(f"{where} is given twice")
        datatype, shape = entry.get("datatype"), tensors.shape_of(entry.get("shape"), where)
        if not isinstance(datatype, str):
            raise bad(f'{where}: "datatype" must be a string, got {shown(datatype)}')
        check_input(model, name, datatype, shape, where)
        size = _parameters(entry, where).get("binary_data_size")
        if size is None:
            inputs[name] = tensors.from_json(entry.get("data"), datatype, shape, where)
            continue
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise bad(f"{where}: binary_data_size must be a non-negative integer, got {shown(size)}")
        if used + size > len(rest):
            raise bad(f"{where}: binary_data_size is {size} bytes, but only {len(rest) - used} are left in the body")
        inputs[name] = tensors.from_bytes(rest[used:used + size], datatype, shape, where)
        used += size
    return inputs, used


def _outputs(entries: Any, model: OipModel, default: bool) -> list[tuple[str, bool]]:
    if entries is None:
        return [(tensor.name, default) for tensor in model.outputs]
    if not isinstance(entries, list) or not entries:
        raise bad(f'"outputs" must be a non-empty list of {{"name": ...}} objects, got {shown(entries)}')
    wanted: list[tuple[str, bool]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise bad(f'outputs[{index}] must be an object with a "name", got {shown(entry)}')
        model.output(entry["name"], f"outputs[{index}]")
        binary = _parameters(entry, f"output {entry['name']!r}").get("binary_data", default)
        if entry["name"] in (name for name, _ in wanted):
            raise bad(f"output {entry['name']!r} is asked for twice")
        wanted.append((entry["name"], binary is True))
    return wanted


def _parameters(entry: dict[str, Any], where: str) -> dict[str, Any]:
    parameters = entry.get("parameters", {})
    if not isinstance(parameters, dict):
        raise bad(f'{where}: "parameters" must be an object, got {shown(parameters)}')
    return parameters
