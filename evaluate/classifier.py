"""The evaluator: a small classifier of one data set (trained on its train split only) that scores generated images.

It reads generated images' classes (digit or class control), and its 128-d penultimate features give the Frechet
distance and the classifier ("inception") score. Each ships as a small ONNX file with a sidecar JSON (its test
accuracy, the data set it read) and runs on onnxruntime like the SDK: `evaluator.onnx` for MNIST,
`evaluator-<data set>.onnx` for the others; `python -m evaluate.train_classifier --data SOURCE` trains one (torch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy import linalg

from infogan_sdk.loading.sessions import open_session

ASSETS = Path(__file__).parent / "assets"
ASSET = ASSETS / "evaluator.onnx"  # MNIST's
FEATURES = 128


def evaluator_path(data_set: str) -> Path:
    """Where the evaluator of a data set (by its name, as `DataSet.name`) ships: assets/evaluator-<name>.onnx, or
    assets/evaluator.onnx for MNIST. The file may not exist (python -m evaluate.train_classifier makes one)."""
    return ASSET if data_set == "mnist" else ASSETS / f"evaluator-{data_set}.onnx"


class Evaluator:
    """The classifier on onnxruntime (CPU): logits (N, classes) and features (N, 128) of uint8 (N, H, W) grey or
    (N, H, W, 3) RGB images of its data set's shape (MNIST's: (N, 28, 28))."""

    def __init__(self, path: Path = ASSET) -> None:
        self.path = path
        self.session = open_session(path.read_bytes(), f"evaluator {path}", device="cpu")
        record = json.loads(path.with_suffix(".json").read_text())
        self.test_accuracy = float(record["test_accuracy"])
        self.data: dict[str, Any] = record.get("data") or {"name": "mnist", "image_shape": [1, 28, 28],
                                                           "classes": 10}  # MNIST's sidecar predates the key
        self.image_shape = tuple(int(side) for side in self.data["image_shape"])

    def __call__(self, images: np.ndarray, batch: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        channels, height, width = self.image_shape
        expected = (height, width) if channels == 1 else (height, width, 3)
        if images.dtype != np.uint8 or images.shape[1:] != expected:
            raise ValueError(f"evaluator {self.path} reads uint8 (N, {', '.join(map(str, expected))}) images, got "
                             f"{images.dtype} {images.shape}")
        logits, features = [], []
        for start in range(0, len(images), batch):
            chunk = images[start : start + batch]
            pixels = (chunk[:, None] if channels == 1 else chunk.transpose(0, 3, 1, 2)).astype(np.float32) / 255
            out = self.session.run(["logits", "features"], {"images": pixels})
            logits.append(out[0])
            features.append(out[1])
        return np.concatenate(logits), np.concatenate(features)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two (N, D) feature sets."""
    mean_a, mean_b = a.mean(0), b.mean(0)
    # a tiny ridge: some ReLU features are always 0, which makes the covariances singular
    ridge = np.eye(a.shape[1]) * 1e-6
    cov_a, cov_b = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))


def classifier_score(logits: np.ndarray) -> float:
    """exp E_x KL(p(y|x) || p(y)), the 'inception score' with the evaluator as the classifier (max 10)."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    marginal = p.mean(0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), axis=1))))
