"""Tiny model folders built with onnx.helper (no torch), once per test session.

The weights are planted, not random, where a test needs to read something back:
- generator: categorical code k of the first categorical lights image row `code_row(k)` (columns 4-23);
  continuous code j sets row 26, columns 14j .. 14j+13 to tanh(value); the noise adds small random
  changes elsewhere (so different seeds give different pixels).
- encoder: logit k of the first categorical is the sum of row `code_row(k)`; continuous mean j is the
  mean of its row-26 segment (so about tanh(value)); log std is -1; realness is the mean pixel.
So encoder(generator(code k)) reads code k back, and a test can see which one-hot column was hot.
With `invertible_noise`: noise value j sets row 0, columns 7j .. 7j+6 to tanh(value) instead (and nothing
else), and the encoder has a `noise` output, atanh of that segment's mean: it reads the noise back, to the
rounding of uint8 pixels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from infogan_sdk.loading.manifest import FORMAT, file_entry, write_manifest
from infogan_sdk.spec import LatentSpec

SIZE = 28
PIXELS = SIZE * SIZE
MAIN_SPEC = LatentSpec(noise_size=4, categorical_sizes=(10,), n_continuous=2)
PLAIN_SPEC = LatentSpec(noise_size=3, categorical_sizes=(10, 3), n_continuous=1, noise_distribution="uniform")
REVERSED = list(range(9, -1, -1))  # code k draws digit 9 - k


def code_row(code: int) -> int:
    """The image row the tiny generator lights for first-categorical value `code`."""
    return 4 + 2 * code


def continuous_slice(column: int) -> tuple[int, slice]:
    return 26, slice(14 * column, 14 * column + 14)


def noise_slice(index: int) -> tuple[int, slice]:
    """Where the invertible tiny generator writes tanh(noise value `index`)."""
    return 0, slice(7 * index, 7 * index + 7)


def generator_weights(spec: LatentSpec, invertible_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """W (latent, 784) and bias (784,) of the tiny generator."""
    rng = np.random.default_rng(1)
    weights = np.zeros((spec.latent_size, SIZE, SIZE), dtype=np.float32)
    weights[:spec.noise_size] = rng.normal(0, 0.3, (spec.noise_size, SIZE, SIZE))
    if invertible_noise:
        weights[:spec.noise_size] = 0.0
        for index in range(spec.noise_size):
            weights[index][noise_slice(index)] = 1.0
    offset = spec.noise_size
    for code in range(spec.digit_code_size):
        weights[offset + code, code_row(code), 4:24] = 8.0
    offset += spec.categorical_size
    bias = np.full((SIZE, SIZE), -3.0, dtype=np.float32)
    for column in range(spec.n_continuous):  # pixel = tanh(code value): no noise, no bias
        row, columns = continuous_slice(column)
        weights[:, row, columns] = 0.0
        weights[offset + column, row, columns] = 1.0
        bias[row, columns] = 0.0
    if invertible_noise:
        for index in range(spec.noise_size):
            bias[noise_slice(index)] = 0.0
    return weights.reshape(spec.latent_size, PIXELS), bias.reshape(PIXELS)


def encoder_weights(spec: LatentSpec, log_std: bool) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """W (784, outputs), bias and the split sizes of the tiny encoder."""
    splits = [spec.categorical_size, spec.n_continuous, *([spec.n_continuous] if log_std else []), 1]
    weights = np.zeros((SIZE, SIZE, sum(splits)), dtype=np.float32)
    weights[..., spec.digit_code_size:spec.categorical_size] = np.random.default_rng(2).normal(
        0, 0.01, (SIZE, SIZE, spec.categorical_size - spec.digit_code_size))
    for code in range(spec.digit_code_size):
        weights[code_row(code), 4:24, code] = 1.0
    for column in range(spec.n_continuous):
        row, columns = continuous_slice(column)
        weights[row, columns, spec.categorical_size + column] = 1.0 / 14
    weights[..., -1] = 1.0 / PIXELS
    bias = np.zeros(sum(splits), dtype=np.float32)
    if log_std:
        bias[spec.categorical_size + spec.n_continuous:-1] = -1.0
    return weights.reshape(PIXELS, sum(splits)), bias, splits


def _value(name: str, dtype: int, shape: list[Any]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def _save(path: Path, nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
          outputs: list[onnx.ValueInfoProto], initializers: list[onnx.TensorProto]) -> None:
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def build_generator(path: Path, spec: LatentSpec, half: bool = False, invertible_noise: bool = False) -> None:
    """Concat(inputs) -> MatMul -> Add -> Tanh -> Reshape (N, 1, 28, 28); `half`: float16 inputs and output."""
    weights, bias = generator_weights(spec, invertible_noise)
    io_type = TensorProto.FLOAT16 if half else TensorProto.FLOAT
    names = list(spec.generator_inputs())
    nodes = [helper.make_node("Cast", [name], [f"{name}_f"], to=TensorProto.FLOAT) for name in names] if half else []
    nodes += [
        helper.make_node("Concat", [f"{n}_f" if half else n for n in names], ["latent"], axis=1),
        helper.make_node("MatMul", ["latent", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["h2"]),
        helper.make_node("Tanh", ["h2"], ["t"]),
        helper.make_node("Reshape", ["t", "shape"], ["images_f" if half else "images"]),
    ]
    if half:
        nodes.append(helper.make_node("Cast", ["images_f"], ["images"], to=TensorProto.FLOAT16))
    inputs = [_value(name, io_type, ["N", width]) for name, width in spec.generator_inputs().items()]
    initializers = [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b"),
                    numpy_helper.from_array(np.array([-1, 1, SIZE, SIZE], dtype=np.int64), "shape")]
    _save(path, nodes, inputs, [_value("images", io_type, ["N", 1, SIZE, SIZE])], initializers)


def build_encoder(path: Path, spec: LatentSpec, log_std: bool = True, digit_score: bool = False,
                  noise: bool = False, domain_score: bool = False) -> None:
    """Reshape (N, 784) -> MatMul -> Add -> Split into the encoder's outputs; realness reshaped to (N,);
    with `digit_score` or `domain_score`, that output too: a copy of realness (the mean pixel, -1 for a black
    image); with
    `noise`, atanh of the mean of each noise segment (`noise_slice`), clipped to +-0.999 first."""
    weights, bias, splits = encoder_weights(spec, log_std)
    names = ["categorical_logits", "continuous_mean", *(["continuous_log_std"] if log_std else []), "realness_2d"]
    nodes = [
        helper.make_node("Reshape", ["images", "flat"], ["x"]),
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["h2"]),
        helper.make_node("Split", ["h2", "splits"], names, axis=1),
        helper.make_node("Reshape", ["realness_2d", "vector"], ["realness"]),
    ]
    outputs = [_value(name, TensorProto.FLOAT, ["N", width]) for name, width in zip(names[:-1], splits[:-1],
                                                                                      strict=True)]
    outputs.append(_value("realness", TensorProto.FLOAT, ["N"]))
    if digit_score:
        nodes.append(helper.make_node("Identity", ["realness"], ["digit_score"]))
        outputs.append(_value("digit_score", TensorProto.FLOAT, ["N"]))
    if domain_score:
        nodes.append(helper.make_node("Identity", ["realness"], ["domain_score"]))
        outputs.append(_value("domain_score", TensorProto.FLOAT, ["N"]))
    initializers = []
    if noise:
        readout = np.zeros((SIZE, SIZE, spec.noise_size), dtype=np.float32)
        for index in range(spec.noise_size):
            readout[(*noise_slice(index), index)] = 1.0 / 7
        nodes += [helper.make_node("MatMul", ["x", "Wn"], ["segment_means"]),
                  helper.make_node("Clip", ["segment_means", "low", "high"], ["clipped"]),
                  helper.make_node("Atanh", ["clipped"], ["noise"])]
        outputs.append(_value("noise", TensorProto.FLOAT, ["N", spec.noise_size]))
        initializers += [numpy_helper.from_array(readout.reshape(PIXELS, spec.noise_size), "Wn"),
                         numpy_helper.from_array(np.array(-0.999, dtype=np.float32), "low"),
                         numpy_helper.from_array(np.array(0.999, dtype=np.float32), "high")]
    initializers += [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b"),
                    numpy_helper.from_array(np.array([-1, PIXELS], dtype=np.int64), "flat"),
                    numpy_helper.from_array(np.array(splits, dtype=np.int64), "splits"),
                    numpy_helper.from_array(np.array([-1], dtype=np.int64), "vector")]
    _save(path, nodes, [_value("images", TensorProto.FLOAT, ["N", 1, SIZE, SIZE])], outputs, initializers)


def build_model(folder: Path, spec: LatentSpec, code_to_digit: list[int], names: list[str] | None,
                log_std: bool = True, half: bool = False, digit_threshold: float | None = None,
                invertible_noise: bool = False, domain_threshold: float | None = None) -> Path:
    """A complete model folder: generator.onnx, encoder.onnx (+ fp16 variants), manifest.json. A threshold gives
    the encoder that score (the mean pixel, see build_encoder) and the manifest its not_a_digit or in_domain entry."""
    folder.mkdir(parents=True)
    build_generator(folder / "generator.onnx", spec, invertible_noise=invertible_noise)
    build_encoder(folder / "encoder.onnx", spec, log_std, digit_score=digit_threshold is not None,
                  noise=invertible_noise, domain_score=domain_threshold is not None)
    files = {"generator": file_entry(folder, "generator.onnx"), "encoder": file_entry(folder, "encoder.onnx")}
    if half:
        build_generator(folder / "generator_fp16.onnx", spec, half=True)
        files["generator_fp16"] = file_entry(folder, "generator_fp16.onnx")
    data: dict[str, Any] = {
        "format": FORMAT, "format_version": 1, "name": folder.name, "provisional": True,
        "description": "tiny planted-weight model for tests", "spec": spec.to_dict(), "files": files,
        "code_to_digit": code_to_digit, "evaluation": {"accuracy": 0.5}, "training": {"epochs": 0},
    }
    if digit_threshold is not None:
        data["not_a_digit"] = {"threshold": digit_threshold, "score": "digit_score"}
    if domain_threshold is not None:
        data["in_domain"] = {"threshold": domain_threshold, "score": "domain_score"}
    if names is not None:
        data["continuous_codes"] = [{"name": name, "range": list(spec.continuous_range)} for name in names]
    write_manifest(folder, data)
    return folder
