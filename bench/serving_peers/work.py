"""The job every peer runs, on a batch of requests' tensors: Open Inference Protocol inputs (the names, datatypes
and shapes of `infogan serve`'s `<model>-generator` / `<model>-encoder`) -> the same outputs, by the SDK's own
calls on one shared onnxruntime session per network. Imports numpy and infogan_sdk only (it runs in peers' venvs).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk import Encoder, Generator
from infogan_sdk.latents.draw import Latents
from infogan_sdk.spec import CATEGORICAL, CONTINUOUS, IMAGES, NOISE

Arrays = dict[str, NDArray[Any]]
DATATYPES: dict[np.dtype[Any], str] = {np.dtype(np.float32): "FP32", np.dtype(np.uint8): "UINT8",
                                       np.dtype(np.int64): "INT64", np.dtype(np.bool_): "BOOL"}
NUMPY: dict[str, np.dtype[Any]] = {name: dtype for dtype, name in DATATYPES.items()}


class Work:
    """The model's generator and encoder, loaded once with `threads` onnxruntime threads."""

    def __init__(self, model_dir: str | Path, threads: int) -> None:
        self.generator = Generator(model_dir, device="cpu", threads=threads)
        self.encoder = Encoder(model_dir, device="cpu", threads=threads)

    def generate(self, inputs: Mapping[str, NDArray[Any]]) -> Arrays:
        """noise, categorical (one-hot blocks), continuous: FP32 (N, width) -> images UINT8 (N, H, W)."""
        spec = self.generator.spec
        one_hot, codes, offset = inputs[CATEGORICAL], [], 0
        for size in spec.categorical_sizes:
            codes.append(one_hot[:, offset:offset + size].argmax(axis=1))
            offset += size
        rows = len(one_hot)
        latents = Latents(np.stack(codes, axis=1).astype(np.int64),
                          np.asarray(inputs.get(CONTINUOUS, np.zeros((rows, 0))), np.float32),
                          np.asarray(inputs[NOISE], np.float32))
        return {IMAGES: self.generator.render(latents).images}

    def infer(self, inputs: Mapping[str, NDArray[Any]]) -> Arrays:
        """images UINT8 (N, H, W) -> digit, codes, probabilities, continuous, realness (+ digit_score, is_digit,
        noise where the model has them), as `infogan serve`'s encoder model answers."""
        read = self.encoder.infer(np.asarray(inputs[IMAGES], np.uint8), preprocess="none")
        values = {"digit": read.digits, "codes": read.codes, "probabilities": read.probabilities,
                  CONTINUOUS: read.continuous, "realness": read.realness, "digit_score": read.digit_score,
                  "is_digit": read.is_digit, "noise": read.noise}
        return {name: np.asarray(value) for name, value in values.items() if value is not None}

    def run(self, role: str, inputs: Mapping[str, NDArray[Any]]) -> Arrays:
        return self.generate(inputs) if role == "generator" else self.infer(inputs)


def from_request(request: Mapping[str, Any]) -> Arrays:
    """A JSON inference request's inputs ({"inputs": [{name, shape, datatype, data}]}) as arrays."""
    return {entry["name"]: np.asarray(entry["data"], NUMPY[entry["datatype"]]).reshape(entry["shape"])
            for entry in request["inputs"]}


def to_response(model: str, outputs: Arrays) -> dict[str, Any]:
    """The JSON inference response for `outputs`."""
    return {"model_name": model, "outputs": [
        {"name": name, "datatype": DATATYPES[array.dtype], "shape": list(array.shape), "data": array.ravel().tolist()}
        for name, array in outputs.items()]}


def split(outputs: Arrays, sizes: list[int]) -> list[Arrays]:
    """A batch's outputs back per request, `sizes` rows each."""
    ends = np.cumsum(sizes)[:-1]
    parts = {name: np.split(array, ends) for name, array in outputs.items()}
    return [{name: parts[name][index] for name in outputs} for index in range(len(sizes))]


def join(requests: list[Arrays]) -> Arrays:
    """Several requests' inputs as one batch (their rows in order)."""
    return {name: np.concatenate([request[name] for request in requests]) for name in requests[0]}


MAX_BATCH = 64  # every peer's batch limit (infogan serve's --max-batch default too)


def arguments(description: str) -> Any:
    """What every peer script takes: the model folder, onnxruntime threads, the HTTP port (and a second port)."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spare-ports", default="", help="comma-separated ports for a peer's other listeners")
    return parser.parse_args()
