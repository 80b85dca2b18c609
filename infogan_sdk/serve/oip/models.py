"""Each loaded model's generator and encoder as Open Inference Protocol models, run through /v1's batchers.

`<model>-generator`: noise, categorical (one-hot per categorical code, in the network's code order) and continuous
(the SDK's values, as /v1 and `Generator.latents` take them), all FP32 (N, width) -> images UINT8 (N, H, W).
`<model>-encoder`: images UINT8 (N, H, W), or FP32 holding whole grey levels 0-255 (0 black background, 255 white
ink; read as they are, preprocess "none") -> what `Encoder.infer` reads: digit, codes, probabilities, continuous,
realness, and where the model has them its "one of mine" answer and noise. The answer comes under one pair of
names, as /v1 gives it: digit_score and is_digit on MNIST models, domain_score and in_domain on others. The answers
are the SDK's for the same latents and images (a batched image within 1 grey level of a lone one: see
serve.batching).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from infogan_sdk import GenerateResult, InferResult, InvalidInputError
from infogan_sdk.serve.batching import Job
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError
from infogan_sdk.serve.oip.tensors import TensorSpec, bad, check
from infogan_sdk.serve.registry import LoadedModel, Registry
from infogan_sdk.spec import CATEGORICAL, CONTINUOUS, DOMAIN_SCORE, IMAGES

VERSION = "1"  # each model has one version
PLATFORM = "onnx_onnxv1"  # the protocol's name for an ONNX model run by onnxruntime
Arrays = dict[str, NDArray[Any]]


@dataclass(frozen=True)
class OipModel:
    """One protocol model: its name, role, declared tensors and the loaded model that runs it."""

    name: str
    role: Literal["generator", "encoder"]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    loaded: LoadedModel

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "versions": [VERSION], "platform": PLATFORM,
                "inputs": [tensor.metadata() for tensor in self.inputs],
                "outputs": [tensor.metadata() for tensor in self.outputs]}

    def config(self, settings: ServeConfig) -> dict[str, Any]:
        """Triton's model configuration, as perf_analyzer and tritonclient's get_model_config read it."""
        return {"name": self.name, "platform": "onnxruntime_onnx", "backend": "onnxruntime", "version_policy":
                {"latest": {"num_versions": 1}}, "max_batch_size": self.max_rows(settings),
                "input": [tensor.config() for tensor in self.inputs],
                "output": [tensor.config() for tensor in self.outputs],
                "dynamic_batching": {"max_queue_delay_microseconds": round(settings.batch_wait_ms * 1000)}}

    def max_rows(self, settings: ServeConfig) -> int:
        return settings.max_generate if self.role == "generator" else settings.max_images

    async def infer(self, inputs: Mapping[str, NDArray[Any]], wanted: Sequence[str], settings: ServeConfig) -> Arrays:
        """The `wanted` outputs for checked `inputs` (by name), from a batch shared with concurrent requests."""
        rows = _rows(inputs, self.max_rows(settings), "--max-generate" if self.role == "generator" else "--max-images")
        if self.role == "generator":
            latents = _latents(self.loaded, inputs)
            drawn: Arrays = await self.loaded.drawing.submit(Job(latents, rows, lambda result: _drawn(result, wanted)))
            return drawn
        pixels = _pixels(inputs[IMAGES])
        read: Arrays = await self.loaded.reading.submit(Job(pixels, rows, lambda result: _read(result, wanted)))
        return read

    def input(self, name: str, where: str) -> TensorSpec:
        return _named(self.inputs, name, where, "input")

    def output(self, name: str, where: str) -> TensorSpec:
        return _named(self.outputs, name, where, "output")


def catalog(registry: Registry) -> dict[str, OipModel]:
    """Every loaded model's two protocol models by name (503 while the models load)."""
    found: dict[str, OipModel] = {}
    for description in registry.descriptions():
        loaded = registry.get(description["name"])
        for model in (generator_model(loaded), encoder_model(loaded)):
            found[model.name] = model
    return found


def generator_model(loaded: LoadedModel) -> OipModel:
    spec = loaded.generator.spec
    inputs = tuple(TensorSpec(name, "FP32", (-1, width)) for name, width in spec.generator_inputs().items())
    return OipModel(f"{loaded.name}-generator", "generator", inputs,
                    (TensorSpec(IMAGES, "UINT8", (-1, *spec.image_shape[1:])),), loaded)


def encoder_model(loaded: LoadedModel) -> OipModel:
    spec, encoder = loaded.encoder.spec, loaded.encoder
    outputs = []
    if spec.categorical_sizes:
        outputs += [TensorSpec("digit", "INT64", (-1,)),
                    TensorSpec("codes", "INT64", (-1, len(spec.categorical_sizes))),
                    TensorSpec("probabilities", "FP32", (-1, spec.categorical_sizes[0]))]
    if spec.n_continuous:
        outputs.append(TensorSpec(CONTINUOUS, "FP32", (-1, spec.n_continuous)))
    outputs.append(TensorSpec("realness", "FP32", (-1,)))
    if encoder.has_digit_score:
        outputs.append(TensorSpec("digit_score", "FP32", (-1,)))
        if encoder.digit_threshold is not None:
            outputs.append(TensorSpec("is_digit", "BOOL", (-1,)))
    elif encoder.has_domain_score:  # MNIST models' answer is their digit score, under its own names above
        outputs.append(TensorSpec(DOMAIN_SCORE, "FP32", (-1,)))
        if encoder.domain_threshold is not None:
            outputs.append(TensorSpec("in_domain", "BOOL", (-1,)))
    if encoder.has_noise:
        outputs.append(TensorSpec("noise", "FP32", (-1, spec.noise_size)))
    return OipModel(f"{loaded.name}-encoder", "encoder", (TensorSpec(IMAGES, "UINT8", (-1, *spec.image_shape[1:])),),
                    tuple(outputs), loaded)


def check_input(model: OipModel, name: str, datatype: str, shape: tuple[int, ...], where: str) -> None:
    """An input's name, datatype and shape against the model's metadata (the encoder's images may be FP32)."""
    spec = model.input(name, where)
    check(spec, datatype, shape, where, ("FP32",) if model.role == "encoder" else ())


def _named(tensors: tuple[TensorSpec, ...], name: str, where: str, kind: str) -> TensorSpec:
    for tensor in tensors:
        if tensor.name == name:
            return tensor
    raise bad(f"{where}: no {kind} named {name!r}; the model's {kind}s: {', '.join(t.name for t in tensors)}")


def _rows(inputs: Mapping[str, NDArray[Any]], limit: int, flag: str) -> int:
    counts = {len(array) for array in inputs.values()}
    if len(counts) != 1:
        raise bad(f"every input must have the same number of rows, got {({k: len(v) for k, v in inputs.items()})}")
    rows = counts.pop()
    if rows < 1:
        raise bad("the inputs have no rows")
    if rows > limit:
        raise ApiError(413, f"{rows} rows is more than the {limit} allowed per request ({flag})")
    return rows


def _latents(loaded: LoadedModel, inputs: Mapping[str, NDArray[Any]]) -> Any:
    """The SDK's latents for the generator's inputs: the one-hot categorical blocks back to code values."""
    generator = loaded.generator
    codes = None
    if CATEGORICAL in inputs:
        one_hot, columns, offset = inputs[CATEGORICAL], [], 0
        for index, size in enumerate(generator.spec.categorical_sizes):
            block = one_hot[:, offset:offset + size]
            if not (((block == 0) | (block == 1)).all() and (block.sum(axis=1) == 1).all()):
                raise bad(f"input 'categorical': columns {offset}-{offset + size - 1} (code {index}) must be one-hot "
                          "(a single 1, the rest 0, in each row)")
            columns.append(block.argmax(axis=1))
            offset += size
        codes = np.stack(columns, axis=1)
    try:
        return generator.latents(categorical=codes, continuous=inputs.get(CONTINUOUS), noise=inputs.get("noise"),
                                 count=len(next(iter(inputs.values()))), seed=0)
    except InvalidInputError as error:
        raise bad(str(error)) from error


def _pixels(images: NDArray[Any]) -> NDArray[np.uint8]:
    if images.dtype == np.uint8:
        return images
    if not (np.isfinite(images).all() and (images == np.round(images)).all() and images.min() >= 0
            and images.max() <= 255):
        raise bad("input 'images': FP32 images must hold whole grey levels from 0 to 255")
    return images.astype(np.uint8)


def _drawn(result: GenerateResult, wanted: Sequence[str]) -> Arrays:
    return {IMAGES: result.images}


def _read(result: InferResult, wanted: Sequence[str]) -> Arrays:
    values = {"digit": result.digits, "codes": result.codes, "probabilities": result.probabilities,
              CONTINUOUS: result.continuous, "realness": result.realness, "digit_score": result.digit_score,
              "is_digit": result.is_digit, DOMAIN_SCORE: result.domain_score, "in_domain": result.in_domain,
              "noise": result.noise}
    return {name: np.asarray(values[name]) for name in wanted}
