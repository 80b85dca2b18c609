"""How well a model's "is this one of mine" answer (`InferResult.domain_score` and `in_domain`, at the threshold its
manifest ships) tells its own images from other kinds, through the SDK; `general.describe_any` reports it.

The model's own test split, which the score never saw, is what it should accept: the fraction accepted. Held-out
kinds come from sources that nothing trains, calibrates or tunes the score on (export fits it on the model's train
split alone, without negatives, and calibrates it on a held-out part of that split); each reports the fraction
rejected at the shipped threshold, the AUROC of own test vs the kind and the fraction accepted where 95% of own
test is (FPR at 95% TPR), as the literature reports them (`scores.separation`):
- every model: uniform and Gaussian noise at its image shape (Hendrycks and Gimpel 2017, Liang et al. 2018).
- by the data set's name (PAIRS): the literature's pairs. fashion -> MNIST test digits (the standard pair for
  Fashion-MNIST models; $INFOGAN_MNIST_DIR or the cache, never downloaded here).
A source that is not installed is left out with a warning, never replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from evaluate.scores import separation
from imagedata import DataSet
from infogan_sdk import Encoder
from mnist_data.files import MnistError, load_mnist

logger = logging.getLogger(__name__)
NOISE_IMAGES = 1_000  # images per noise kind


def _mnist_test(shape: tuple[int, ...]) -> np.ndarray | None:
    """MNIST's 10,000 test digits, uint8 (N, 28, 28), for a model of that shape; None where they are not installed."""
    if shape != (1, 28, 28):
        logger.warning("MNIST test digits are 28x28 grey; this model reads %s images: left out", list(shape))
        return None
    try:
        return load_mnist("test", download=False)[0]
    except MnistError as error:
        logger.warning("MNIST test digits left out of the in-domain report: %s", error)
        return None


PAIRS: dict[str, dict[str, Callable[[tuple[int, ...]], np.ndarray | None]]] = {"fashion": {"mnist_test": _mnist_test}}


def in_domain(encoder: Encoder, data: DataSet, held_out_images: int = 0, seed: int = 0) -> dict[str, Any] | None:
    """The manifest's `evaluation.in_domain`: own test accepted, and each held-out kind's figures (its first
    `held_out_images` images, 0: all; the noise kinds NOISE_IMAGES); None for a model without an answer and
    threshold."""
    threshold = encoder.domain_threshold
    if not encoder.has_domain_score or threshold is None:
        return None
    own = encoder.infer(np.asarray(data.test.images), preprocess="none")
    assert own.domain_score is not None and own.in_domain is not None
    kinds = held_out(data.name, tuple(encoder.spec.image_shape), held_out_images, seed)
    scores = {}
    for name, images in kinds.items():
        read = encoder.infer(images, preprocess="none").domain_score
        assert read is not None
        scores[name] = read
    found = separation(own.domain_score, scores, threshold)
    return {"threshold": threshold, "own_test": {"images": len(own), "accepted": float(np.mean(own.in_domain))},
            "held_out": {name: {"images": len(kinds[name]), "rejected": 1.0 - figures["accepted"],
                                "auroc": figures["auroc"], "fpr_at_95_tpr": figures["fpr_at_95_tpr"]}
                         for name, figures in found.items()}}


def held_out(name: str, shape: tuple[int, ...], count: int = 0, seed: int = 0) -> dict[str, np.ndarray]:
    """The held-out kinds for a model of data set `name` and image `shape` (channels, height, width), each uint8
    (N, H, W) or (N, H, W, 3): the data set's PAIRS that are installed (the first `count`, 0: all), then noise."""
    kinds: dict[str, np.ndarray] = {}
    for kind, load in PAIRS.get(name, {}).items():
        images = load(shape)
        if images is not None:
            kinds[kind] = images[: count or None]
    rng = np.random.default_rng(seed)
    size = (count or NOISE_IMAGES, *shape[1:]) + ((3,) if shape[0] == 3 else ())  # channels last, as users give
    kinds["uniform_noise"] = rng.integers(0, 256, size, dtype=np.uint8)
    kinds["gaussian_noise"] = np.clip(rng.normal(128, 50, size), 0, 255).astype(np.uint8)
    return kinds
