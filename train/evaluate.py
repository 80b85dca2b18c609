"""`python -m train.evaluate MODEL_DIR`: score an exported model folder through the SDK, as users run it.

Metrics (the model card's): Q accuracy on the 10,000 MNIST test images (shipped mapping and best
one-to-one matching) with NMI; digit control read by the evaluator classifier; the Frechet distance
of evaluator features (generated vs test, next to the real-train floor) and the classifier score;
the categorical bound L_I = H(c) - CE; R^2 of the continuous codes; and each continuous code's
effect on slant and width. `--write` stores them in the folder's manifest.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from scipy import linalg

from infogan_sdk import Encoder, Generator
from infogan_sdk.manifest import load_manifest, write_manifest
from train.data import load_mnist
from train.evaluator import ASSET
from train.measures import continuous_effects, meets_target, name_codes
from train.metrics import confusion, hungarian_mapping, mapped_accuracy, normalized_mutual_information


class Evaluator:
    """The repository's MNIST classifier on onnxruntime: logits and 128-d features of uint8 images."""

    def __init__(self, path: Path = ASSET) -> None:
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, features = [], []
        for start in range(0, len(images), 1000):
            batch = images[start : start + 1000, None].astype(np.float32) / 255
            out = self.session.run(["logits", "features"], {"images": batch})
            logits.append(out[0])
            features.append(out[1])
        return np.concatenate(logits), np.concatenate(features)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
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


def evaluate(model: str | Path, samples: int = 10_000, data_dir: str | Path | None = None,
             seed: int = 0) -> dict[str, Any]:
    started = time.perf_counter()
    generator, encoder, evaluator = Generator(model, device="cpu"), Encoder(model, device="cpu"), Evaluator()
    test_images, test_labels = load_mnist("test", data_dir)
    train_images, _ = load_mnist("train", data_dir)

    # 1. Q accuracy on real test images (the SDK applies the shipped code-to-digit mapping)
    read = encoder.infer(test_images, preprocess="none")
    digits = read.digits
    best = hungarian_mapping(confusion(digits, test_labels, 10))
    # 2-4. generated images: digit control, Frechet distance, classifier score, L_I
    wanted = np.arange(samples) % 10
    made = generator.generate(digits=wanted, seed=seed)
    logits, features = evaluator(made.images)
    said = logits.argmax(1)
    _, test_features = evaluator(test_images)
    _, floor_features = evaluator(train_images[np.random.default_rng(seed).permutation(len(train_images))[:samples]])
    back = encoder.infer(made.images, preprocess="none")
    cross_entropy = float(-np.mean(np.log(back.probabilities[np.arange(samples), wanted] + 1e-12)))
    # 5. continuous codes: recovery inside [-1, 1], and what each moves
    residual = ((back.continuous - made.continuous) ** 2).sum(0)
    r2 = 1 - residual / ((made.continuous - made.continuous.mean(0)) ** 2).sum(0)

    def draw(d: np.ndarray, continuous: np.ndarray, s: int) -> np.ndarray:
        return generator.generate(digits=d, continuous=continuous, seed=s).images

    effects = continuous_effects(draw, generator.spec.n_continuous, test_images, per_digit=100, seed=seed)
    return {
        "q_accuracy_test": float(np.mean(digits == test_labels)),
        "q_accuracy_test_best_matching": mapped_accuracy(digits, test_labels, best),
        "nmi_test": normalized_mutual_information(digits, test_labels, 10),
        "digit_control": float(np.mean(said == wanted)),
        "digit_control_per_digit": [float(np.mean(said[wanted == d] == d)) for d in range(10)],
        "frechet_distance": frechet_distance(features, test_features),
        "frechet_distance_real_floor": frechet_distance(floor_features, test_features),
        "classifier_score": classifier_score(logits),
        "info_bound_categorical": math.log(10) - cross_entropy,
        "continuous_r2": [float(v) for v in r2],
        "continuous_effects": effects,
        "continuous_names": name_codes(effects),
        "continuous_target_met": meets_target(effects),
        "evaluator_test_accuracy": json.loads(ASSET.with_suffix(".json").read_text())["test_accuracy"],
        "generated_images": samples, "test_images": len(test_labels), "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__)
    parser.add_argument("model", help="a model folder (or a bundled model name)")
    parser.add_argument("--samples", type=int, default=10_000, help="generated images per metric")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--write", action="store_true", help="store the results in the model's manifest")
    args = parser.parse_args(argv)
    results = evaluate(args.model, args.samples, args.data_dir, args.seed)
    print(json.dumps(results, indent=2))
    if args.write:
        manifest = load_manifest(Generator(args.model, device="cpu").path)
        data = dict(manifest.data)
        data["evaluation"] = {**data.get("evaluation", {}), **results,
                              "command": "python -m train.evaluate " + " ".join(argv or sys.argv[1:])}
        for entry, name, effect in zip(data["continuous_codes"], results["continuous_names"],
                                       results["continuous_effects"], strict=True):
            entry.update(name=name, effects=effect)
        write_manifest(manifest.path, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
