"""A model's "is this one of mine" answer: which encoder output scores it, and the manifest's threshold.

Any model exported with a `domain_score` output (higher: more like its training images) has the manifest's
`in_domain` threshold, calibrated at export; `Encoder.infer` reports both as `domain_score` and `in_domain`. The
MNIST layer (`loading.mnist`) gives MNIST models their own score and threshold under its own names, as an `Answer`
too.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import IncompatibleModelError
from infogan_sdk.spec import DOMAIN_SCORE

ENTRY = "in_domain"  # the manifest's key for the domain_score threshold


@dataclass(frozen=True)
class Answer:
    """Which encoder output scores the images (`output`), the score at and above which one is accepted
    (`threshold`; None: the manifest has none, so scores come without a decision) and `ink`: the brightest pixel an
    accepted image must reach, as the encoder saw it (0: any image)."""

    output: str
    threshold: float | None
    ink: int = 0

    def decide(self, score: NDArray[np.float32], pixels: NDArray[np.uint8]) -> NDArray[np.bool_] | None:
        """bool (N,): the (N,) score at or above the threshold (and, with `ink`, some pixel of the (N, H, W[, 3])
        uint8 images at least that bright); None without a threshold."""
        if self.threshold is None:
            return None
        accepted = score >= self.threshold
        if self.ink:
            accepted &= pixels.reshape(len(pixels), -1).max(axis=1) >= self.ink
        return np.asarray(accepted)


def domain_answer(manifest_path: Path, data: dict[str, Any], outputs: list[str]) -> Answer | None:
    """The answer of an encoder with a domain_score output, its threshold the manifest's `in_domain` one; None
    without the output. Raises IncompatibleModelError as `threshold` does."""
    found = threshold(manifest_path, data, ENTRY, DOMAIN_SCORE, DOMAIN_SCORE in outputs)
    return Answer(DOMAIN_SCORE, found) if DOMAIN_SCORE in outputs else None


def domain_name(data: dict[str, Any]) -> str:
    """What a model's images are, as its warnings name them: the manifest's data set name (`data.name`, e.g.
    "fashion"), else "training"."""
    described = data.get("data")
    name = described.get("name") if isinstance(described, dict) else None
    return name if isinstance(name, str) and name else "training"


def threshold(manifest_path: Path, data: dict[str, Any], entry: str, output: str, has_score: bool) -> float | None:
    """The manifest's `entry`.threshold for the encoder's `output` score (None when the encoder has no such output,
    or the manifest no such entry). Raises IncompatibleModelError for an entry without the output, or whose threshold
    is not a finite number."""
    found = data.get(entry)
    if not has_score:
        if found is not None:
            raise IncompatibleModelError(f"{manifest_path}: the manifest has a threshold ({entry}) but the encoder "
                                         f"has no {output} output")
        return None
    if found is None:
        return None
    value = found.get("threshold") if isinstance(found, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
            or value in (float("inf"), float("-inf")):
        raise IncompatibleModelError(f"{manifest_path}: {entry} must be an object with a finite 'threshold', "
                                     f"got {reprlib.repr(found)}")
    return float(value)
