"""The evaluator: a small MNIST classifier (trained on the train split only) that scores generated images.

It reads generated digits (digit control), and its 128-d penultimate features give the Frechet
distance and the classifier ("inception") score. It ships as a small ONNX file and runs on
onnxruntime like the SDK; `python -m evaluate.train_classifier` retrains it (torch).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import linalg

from infogan_sdk.loading.sessions import open_session

ASSET = Path(__file__).parent / "assets" / "evaluator.onnx"
FEATURES = 128


class Evaluator:
    """The classifier on onnxruntime (CPU): logits (N, 10) and features (N, 128) of uint8 (N, 28, 28) images."""

    def __init__(self, path: Path = ASSET) -> None:
        self.session = open_session(path.read_bytes(), f"evaluator {path}", device="cpu")
        self.test_accuracy = float(json.loads(path.with_suffix(".json").read_text())["test_accuracy"])

    def __call__(self, images: np.ndarray, batch: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        logits, features = [], []
        for start in range(0, len(images), batch):
            pixels = images[start : start + batch, None].astype(np.float32) / 255
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
