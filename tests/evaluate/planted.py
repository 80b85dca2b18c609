"""A model folder whose generator draws a stroke that leans LEFT as continuous code 0 grows (code 1 does nothing):
what `describe` must name `rotation` with direction -1. Built with onnx.helper, no torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from infogan_sdk.loading.manifest import file_entry, write_manifest
from infogan_sdk.spec import LatentSpec
from tests.evaluate.test_morphometrics import stroke
from tests.sdk.tiny_models import _save as save_graph
from tests.sdk.tiny_models import _value as value_info
from tests.sdk.tiny_models import build_model

SPEC = LatentSpec(noise_size=4, categorical_sizes=(10,), n_continuous=2)
LEVELS = np.linspace(-2.0, 2.0, 17)  # code values with a drawn stroke; in between, strokes are blended
DEGREES_PER_UNIT = -12.0  # code +1 leans 12 degrees to the left


def build_generator(path: Path) -> None:
    """images = blend of the two strokes drawn nearest the code's value: w_k = relu(1 - |c0 - level_k| / step)."""
    bank = np.stack([stroke(3.0, DEGREES_PER_UNIT * level).astype(np.float32).ravel() / 255 for level in LEVELS])
    step = float(LEVELS[1] - LEVELS[0])
    nodes = [
        helper.make_node("Slice", ["continuous", "start", "end", "axis"], ["code"]),  # (N, 1)
        helper.make_node("Sub", ["code", "levels"], ["offset"]),  # (N, K)
        helper.make_node("Abs", ["offset"], ["distance"]),
        helper.make_node("Div", ["distance", "step"], ["scaled"]),
        helper.make_node("Sub", ["one", "scaled"], ["closeness"]),
        helper.make_node("Relu", ["closeness"], ["weights"]),
        helper.make_node("MatMul", ["weights", "bank"], ["ink"]),  # (N, 784) in [0, 1]
        helper.make_node("Mul", ["ink", "two"], ["doubled"]),
        helper.make_node("Sub", ["doubled", "one"], ["pixels"]),
        helper.make_node("Reshape", ["pixels", "shape"], ["images"]),
    ]
    constants = {"start": np.array([0], np.int64), "end": np.array([1], np.int64), "axis": np.array([1], np.int64),
                 "levels": LEVELS[None].astype(np.float32), "step": np.array(step, np.float32),
                 "one": np.array(1.0, np.float32), "two": np.array(2.0, np.float32), "bank": bank,
                 "shape": np.array([-1, 1, 28, 28], np.int64)}
    inputs = [value_info(name, TensorProto.FLOAT, ["N", width]) for name, width in SPEC.generator_inputs().items()]
    save_graph(path, nodes, inputs, [value_info("images", TensorProto.FLOAT, ["N", 1, 28, 28])],
               [numpy_helper.from_array(v, k) for k, v in constants.items()])


def planted_model(folder: Path, digit_score: bool = False) -> Path:
    """The tiny test model (its encoder, with the tiny digit score if asked) with the leaning-stroke generator."""
    build_model(folder, SPEC, list(range(10)), None, digit_threshold=0.0 if digit_score else None)
    build_generator(folder / "generator.onnx")
    data = __import__("json").loads((folder / "manifest.json").read_text())
    data["files"]["generator"] = file_entry(folder, "generator.onnx")
    write_manifest(folder, data)
    return folder


def planted_evaluator(path: Path, name: str = "tiny") -> Path:
    """An evaluator ONNX file (and its sidecar) that reads the tiny test models' classes: logit k is the ink of image
    row `code_row(k)`; its 128 features are fixed random projections of the pixels, through a ReLU."""
    from tests.sdk.tiny_models import code_row

    reader = np.zeros((28, 28, 10), dtype=np.float32)
    for k in range(10):
        reader[code_row(k), 4:24, k] = 1.0
    projection = np.random.default_rng(3).normal(0, 0.05, (784, 128)).astype(np.float32)
    nodes = [helper.make_node("Reshape", ["images", "flat"], ["x"]),
             helper.make_node("MatMul", ["x", "reader"], ["logits"]),
             helper.make_node("MatMul", ["x", "projection"], ["projected"]),
             helper.make_node("Relu", ["projected"], ["features"])]
    constants = {"flat": np.array([-1, 784], np.int64), "reader": reader.reshape(784, 10), "projection": projection}
    save_graph(path, nodes, [value_info("images", TensorProto.FLOAT, ["N", 1, 28, 28])],
               [value_info("logits", TensorProto.FLOAT, ["N", 10]), value_info("features", TensorProto.FLOAT,
                                                                                ["N", 128])],
               [numpy_helper.from_array(v, k) for k, v in constants.items()])
    sidecar = {"test_accuracy": 1.0, "data": {"name": name, "image_shape": [1, 28, 28], "classes": 10}}
    path.with_suffix(".json").write_text(__import__("json").dumps(sidecar))
    return path


RGB_SPEC = LatentSpec(noise_size=2, categorical_sizes=(3,), n_continuous=2, image_shape=(3, 32, 32))
SPOTS = ((2, 4), (2, 14), (2, 24))  # (row, column) of the white 4x4 spot that categorical value k lights


def _rgb_weights() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The colour generator's W (latent, 3, 32, 32) and bias (3, 32, 32) before tanh, and the scale of tanh's
    output (3, 32, 32): grey paper, a centre square whose blue rises and green falls with continuous code 0 (hue
    from green through cyan to blue at one luminance: green is scaled to 0.194 of full scale; code 1 does
    nothing), and a white spot where categorical value k says."""
    weights = np.zeros((RGB_SPEC.latent_size, 3, 32, 32), dtype=np.float32)
    bias = np.zeros((3, 32, 32), dtype=np.float32)
    bias[:] = -0.1  # grey paper
    bias[:, 10:22, 10:22] = np.array([-3.0, 0.0, 0.0], dtype=np.float32)[:, None, None]  # the square, no red
    offset = RGB_SPEC.noise_size
    for value, (row, column) in enumerate(SPOTS):
        weights[offset + value, :, row : row + 4, column : column + 4] = np.array([3.8, 3.6, 2.4])[:, None, None]
    offset += RGB_SPEC.categorical_size
    weights[offset, 2, 10:22, 10:22], weights[offset, 1, 10:22, 10:22] = 1.5, -1.5
    scale = np.ones((3, 32, 32), dtype=np.float32)
    scale[1, 10:22, 10:22] = 0.194  # 0.587 x 0.194 = 0.114: the green end as bright as the blue end
    return weights, bias, scale


def rgb_model(folder: Path) -> Path:
    """A format 2 folder of a 32x32 colour model (RGB_SPEC) with planted codes; its encoder reads the spot (logits:
    the ink at each spot) and code 0 (the square's blue minus green)."""
    from infogan_sdk.loading.manifest import FORMAT, FORMAT_VERSION

    folder.mkdir(parents=True)
    weights, bias, scale = _rgb_weights()
    pixels = 3 * 32 * 32
    names = list(RGB_SPEC.generator_inputs())
    nodes = [helper.make_node("Concat", names, ["latent"], axis=1), helper.make_node("MatMul", ["latent", "W"], ["h"]),
             helper.make_node("Add", ["h", "b"], ["h2"]), helper.make_node("Tanh", ["h2"], ["t"]),
             helper.make_node("Mul", ["t", "scale"], ["scaled"]),  # (1 + t) x scale - 1: scale of full range
             helper.make_node("Add", ["scaled", "shift"], ["shifted"]),
             helper.make_node("Reshape", ["shifted", "shape"], ["images"])]
    constants = {"W": weights.reshape(-1, pixels), "b": bias.reshape(pixels), "scale": scale.reshape(pixels),
                 "shift": (scale - 1).reshape(pixels), "shape": np.array([-1, 3, 32, 32])}
    inputs = [value_info(name, TensorProto.FLOAT, ["N", width]) for name, width in RGB_SPEC.generator_inputs().items()]
    save_graph(folder / "generator.onnx", nodes, inputs,
               [value_info("images", TensorProto.FLOAT, ["N", 3, 32, 32])],
               [numpy_helper.from_array(v, k) for k, v in constants.items()])
    reader = np.zeros((3, 32, 32, 6), dtype=np.float32)  # logits (3), continuous (2), realness (1)
    for value, (row, column) in enumerate(SPOTS):
        reader[:, row : row + 4, column : column + 4, value] = 1.0
    reader[2, 10:22, 10:22, 3], reader[1, 10:22, 10:22, 3] = 1 / 288, -1 / 288  # mean of (blue - green) / 2
    reader[..., 5] = 1 / pixels
    nodes = [helper.make_node("Reshape", ["images", "flat"], ["x"]), helper.make_node("MatMul", ["x", "W"], ["h"]),
             helper.make_node("Split", ["h", "splits"], ["categorical_logits", "continuous_mean", "realness_2d"],
                              axis=1),
             helper.make_node("Reshape", ["realness_2d", "vector"], ["realness"])]
    constants = {"flat": np.array([-1, pixels]), "W": reader.reshape(pixels, 6), "splits": np.array([3, 2, 1]),
                 "vector": np.array([-1])}
    save_graph(folder / "encoder.onnx", nodes, [value_info("images", TensorProto.FLOAT, ["N", 3, 32, 32])],
               [value_info("categorical_logits", TensorProto.FLOAT, ["N", 3]),
                value_info("continuous_mean", TensorProto.FLOAT, ["N", 2]), value_info("realness", TensorProto.FLOAT,
                                                                                       ["N"])],
               [numpy_helper.from_array(v, k) for k, v in constants.items()])
    write_manifest(folder, {
        "format": FORMAT, "format_version": max(2, FORMAT_VERSION), "name": folder.name, "provisional": True,
        "description": "tiny planted colour model for tests", "spec": RGB_SPEC.to_dict(),
        "files": {role: file_entry(folder, f"{role}.onnx") for role in ("generator", "encoder")},
        "categorical_codes": [{"name": "spot", "labels": ["0", "1", "2"]}], "preprocess": "resize",
        "data": {"name": "spots", "source": "spots", "image_shape": [3, 32, 32]}, "training": {"mode": "supervised"}})
    return folder


def rgb_evaluator(path: Path) -> Path:
    """An evaluator of the colour model's spots: logit k is the ink at spot k; features random projections."""
    reader = np.zeros((3, 32, 32, 3), dtype=np.float32)
    for value, (row, column) in enumerate(SPOTS):
        reader[:, row : row + 4, column : column + 4, value] = 1.0
    projection = np.random.default_rng(4).normal(0, 0.03, (3 * 32 * 32, 128)).astype(np.float32)
    nodes = [helper.make_node("Reshape", ["images", "flat"], ["x"]),
             helper.make_node("MatMul", ["x", "reader"], ["logits"]),
             helper.make_node("MatMul", ["x", "projection"], ["projected"]),
             helper.make_node("Relu", ["projected"], ["features"])]
    constants = {"flat": np.array([-1, 3 * 32 * 32]), "reader": reader.reshape(-1, 3), "projection": projection}
    save_graph(path, nodes, [value_info("images", TensorProto.FLOAT, ["N", 3, 32, 32])],
               [value_info("logits", TensorProto.FLOAT, ["N", 3]), value_info("features", TensorProto.FLOAT,
                                                                               ["N", 128])],
               [numpy_helper.from_array(v, k) for k, v in constants.items()])
    sidecar = {"test_accuracy": 1.0, "data": {"name": "spots", "image_shape": [3, 32, 32], "classes": 3}}
    path.with_suffix(".json").write_text(__import__("json").dumps(sidecar))
    return path
