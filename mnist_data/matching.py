"""Scores for the categorical code: code-to-digit matching, accuracy and NMI.

In unsupervised training the categorical values come out in arbitrary order; the Hungarian
assignment on the confusion matrix finds the one-to-one code -> digit mapping that agrees most
with the labels.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def confusion(codes: np.ndarray, labels: np.ndarray, size: int, classes: int | None = None) -> np.ndarray:
    """(size, classes) counts: row = predicted code, column = true digit (classes None: 10, or more if the labels
    go higher, as another data set's do)."""
    classes = max(10, int(labels.max(initial=-1)) + 1) if classes is None else classes
    matrix = np.zeros((size, classes), dtype=np.int64)
    np.add.at(matrix, (codes, labels), 1)
    return matrix


def hungarian_mapping(matrix: np.ndarray) -> list[int]:
    """code_to_digit[k] for the one-to-one assignment that maximises agreement.

    With more codes than digits, the codes left over map to their most frequent digit.
    """
    codes, digits = linear_sum_assignment(-matrix)
    mapping = [int(v) for v in matrix.argmax(axis=1)]
    for code, digit in zip(codes, digits, strict=True):
        mapping[int(code)] = int(digit)
    return mapping


def mapped_accuracy(codes: np.ndarray, labels: np.ndarray, code_to_digit: list[int]) -> float:
    return float(np.mean(np.asarray(code_to_digit)[codes] == labels))


def normalized_mutual_information(codes: np.ndarray, labels: np.ndarray, size: int) -> float:
    """NMI (arithmetic normalisation) between predicted codes and labels."""
    joint = confusion(codes, labels, size) / len(codes)
    p_code, p_label = joint.sum(axis=1), joint.sum(axis=0)
    nonzero = joint > 0
    mutual = float(np.sum(joint[nonzero] * np.log(joint[nonzero] / np.outer(p_code, p_label)[nonzero])))

    def entropy(p: np.ndarray) -> float:
        return float(-np.sum(p[p > 0] * np.log(p[p > 0])))

    denominator = (entropy(p_code) + entropy(p_label)) / 2
    return max(mutual / denominator, 0.0) if denominator > 0 else 0.0


def score_codes(codes: np.ndarray, labels: np.ndarray, size: int) -> dict[str, object]:
    """Accuracy under the best one-to-one mapping, the mapping itself, NMI and the confusion matrix."""
    matrix = confusion(codes, labels, size)
    mapping = hungarian_mapping(matrix)
    return {
        "accuracy": mapped_accuracy(codes, labels, mapping),
        "code_to_digit": mapping,
        "nmi": normalized_mutual_information(codes, labels, size),
        "confusion": matrix.tolist(),
    }
