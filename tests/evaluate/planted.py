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
