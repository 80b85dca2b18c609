"""The model card's scores that every model shares, through the SDK: Q's reading of labelled test images, what Q
reads back of generated images, sample quality by a data set's evaluator, and how well a score separates the images
it should accept from other kinds (`separation`: MNIST's not-a-digit suite and any model's in-domain answer).
`describe` (MNIST models) and `general` (any other data set) build their cards from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from evaluate.classifier import Evaluator, classifier_score, frechet_distance
from infogan_sdk import Encoder, GenerateResult
from mnist_data.matching import confusion, hungarian_mapping, normalized_mutual_information


@dataclass(frozen=True)
class Sizes:
    """How many images each part uses: the defaults are the model card's; tests use `Sizes.quick()`."""

    mapping_images: int = 10_000  # labelled train images that name the categorical values
    samples: int = 10_000  # generated images for digit control and sample quality
    per_digit: int = 100  # images per digit at each end of a code sweep (1,000 per end)
    robustness_images: int = 2_000  # MNIST test images per robustness kind
    not_digit_per_kind: int = 200  # images per generated not-a-digit category
    spread_images: int = 10_000  # real MNIST test images that give each measure's sd
    edit_images: int = 2_000  # MNIST test images reconstructed and edited (models with a noise output)
    held_out_images: int = 0  # the first this many of each held-out not-a-digit kind (0: all of them)
    factor_points: int = 10_000  # data-set images per disentanglement metric (disentanglement.Sizes.scaled)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(mapping_images=500, samples=200, per_digit=5, robustness_images=40, not_digit_per_kind=10,
                   spread_images=200, edit_images=40, held_out_images=10, factor_points=200)


def class_mapping(encoder: Encoder, images: np.ndarray, labels: np.ndarray, classes: int | None = None) -> np.ndarray:
    """code_to_class (size of the first categorical code,): the one-to-one matching of the code's values to the
    labels' classes that agrees most with `labels` (values left over: their most frequent class)."""
    raw = encoder.infer(images, preprocess="none").codes[:, 0]
    return np.asarray(hungarian_mapping(confusion(raw, labels, encoder.spec.categorical_sizes[0], classes)))


def reading(encoder: Encoder, images: np.ndarray, labels: np.ndarray, code_to_class: np.ndarray,
            classes: int | None = None) -> dict[str, Any]:
    """Q accuracy on labelled test images (with the mapping, and under the test set's own best matching) and NMI."""
    raw = encoder.infer(images, preprocess="none").codes[:, 0]
    size = len(code_to_class)
    best = np.asarray(hungarian_mapping(confusion(raw, labels, size, classes)))
    return {"q_accuracy_test": float(np.mean(code_to_class[raw] == labels)),
            "q_accuracy_test_best_matching": float(np.mean(best[raw] == labels)),
            "nmi_test": normalized_mutual_information(raw, labels, size), "test_images": len(labels)}


def read_back(encoder: Encoder, made: GenerateResult, raw_codes: np.ndarray | None) -> dict[str, Any]:
    """What Q reads of generated images: the fraction whose first categorical value it reads back, the variational
    bound L_I of that code (max ln of its size) and the continuous codes' R^2."""
    back = encoder.infer(made.images, preprocess="none")
    found: dict[str, Any] = {}
    if raw_codes is not None:
        logits_q = np.log(back.probabilities + 1e-12)  # probabilities are in the encoder's own class order
        order = np.asarray(encoder.code_to_digit)
        columns = order[raw_codes] if len(order) else raw_codes
        cross_entropy = float(-np.mean(logits_q[np.arange(len(raw_codes)), columns]))
        found = {"read_back": float(np.mean(back.codes[:, 0] == raw_codes)),
                 "info_bound_categorical": math.log(encoder.spec.categorical_sizes[0]) - cross_entropy}
    residual = ((back.continuous - made.continuous) ** 2).sum(0)
    r2 = 1 - residual / (((made.continuous - made.continuous.mean(0)) ** 2).sum(0) + 1e-12)
    return {**found, "continuous_r2": [float(v) for v in r2]}


def quality(evaluator: Evaluator, made: np.ndarray, test_images: np.ndarray, train_images: np.ndarray,
            seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """(the evaluator's logits of the generated images, their Frechet distance to the test images beside the floor
    (as many train images as generated ones, a seeded sample, to the same test images) and the classifier score)."""
    logits, features = evaluator(made)
    _, test_features = evaluator(test_images)
    floor = train_images[np.random.default_rng(seed).permutation(len(train_images))[: len(made)]]
    _, floor_features = evaluator(floor)
    return logits, {"frechet_distance": frechet_distance(features, test_features),
                    "frechet_distance_real_floor": frechet_distance(floor_features, test_features),
                    "classifier_score": classifier_score(logits), "evaluator_test_accuracy": evaluator.test_accuracy}


def separation(positives: np.ndarray, scores: dict[str, np.ndarray], threshold: float) -> dict[str, dict[str, float]]:
    """Per kind of (N,) `scores` (higher: more like the (M,) `positives`): the fraction accepted at `threshold`, the
    AUROC of the positives vs the kind, and the fraction accepted at the threshold that keeps 95% of the positives
    (the literature's FPR at 95% TPR)."""
    at_95 = float(np.quantile(positives, 0.05))
    return {name: {"accepted": float(np.mean(values >= threshold)), "auroc": auroc(positives, values),
                   "fpr_at_95_tpr": float(np.mean(values >= at_95))} for name, values in scores.items()}


def auroc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U / n1 n2)."""
    ranks = stats.rankdata(np.concatenate([positives, negatives]))
    u = ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2
    return float(u / (len(positives) * len(negatives)))
