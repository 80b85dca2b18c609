"""evaluate.domain: how well a model's in-domain answer tells its own test images from held-out kinds, through the
SDK, on a tiny planted model whose domain score is its mean pixel in [-1, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluate import domain
from evaluate.card import general_headline
from evaluate.scores import auroc
from imagedata import DataSet, Split
from infogan_sdk import Encoder
from mnist_data.files import MnistError, load_mnist
from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model

THRESHOLD = -0.5  # mean pixel: a quarter of the pixels at full brightness


def scored_model(folder: Path) -> Path:
    """The tiny model with a domain_score output (a copy of realness, the mean pixel) and THRESHOLD."""
    return build_model(folder, MAIN_SPEC, REVERSED, None, domain_threshold=THRESHOLD)


def own_images(count: int, seed: int) -> np.ndarray:
    """Bright images (mean pixel about 0.5): what the planted score accepts, but for the darkest few."""
    return np.random.default_rng(seed).integers(120, 256, (count, 28, 28), dtype=np.uint8)


def test_own_test_accepted_and_each_kind_rejected_auroc_and_fpr(tmp_path: Path) -> None:
    encoder = Encoder(scored_model(tmp_path / "scored"), device="cpu", threads=1)
    test = own_images(50, 1)
    test[:5] = 0  # five black images: below the threshold
    data = DataSet("shapes", "shapes", Split(own_images(100, 0)), Split(test))
    report = domain.in_domain(encoder, data, held_out_images=40, seed=0)
    assert report is not None and report["threshold"] == THRESHOLD
    assert report["own_test"] == {"images": 50, "accepted": pytest.approx(0.9)}
    assert set(report["held_out"]) == {"uniform_noise", "gaussian_noise"}  # no pair for this data set
    kinds = domain.held_out("shapes", (1, 28, 28), 40, 0)
    for kind, figures in report["held_out"].items():
        scores = kinds[kind].reshape(40, -1).mean(axis=1) / 127.5 - 1  # the planted score, in numpy
        own = test.reshape(50, -1).mean(axis=1) / 127.5 - 1
        assert figures["images"] == 40
        assert figures["rejected"] == pytest.approx(np.mean(scores < THRESHOLD))
        assert figures["auroc"] == pytest.approx(auroc(own, scores), abs=1e-6)
        assert figures["fpr_at_95_tpr"] == pytest.approx(np.mean(scores >= np.quantile(own, 0.05)))
    # mean pixel about 0 against 0.5: every bright own image scores higher, the five black ones lower
    assert report["held_out"]["uniform_noise"]["auroc"] == pytest.approx(0.9)
    rows = general_headline({"data": {"name": "shapes"}, "mean_pixel": 0.5, "mean_pixel_real": 0.5,
                             "continuous_r2": [1.0], "in_domain": report})
    assert "| in_domain: shapes test accepted | 90.00% |" in rows and "| in_domain: uniform noise rejected" in rows


def test_a_model_without_an_answer_reports_none(tmp_path: Path) -> None:
    encoder = Encoder(build_model(tmp_path / "plain", MAIN_SPEC, REVERSED, None), device="cpu", threads=1)
    assert domain.in_domain(encoder, DataSet("x", "x", Split(own_images(4, 0)), Split(own_images(4, 1)))) is None


def test_colour_noise_is_channels_last_and_a_pair_of_another_shape_is_left_out(caplog) -> None:
    kinds = domain.held_out("fashion", (3, 32, 32), 3)
    assert set(kinds) == {"uniform_noise", "gaussian_noise"} and kinds["uniform_noise"].shape == (3, 32, 32, 3)
    assert "MNIST test digits are 28x28 grey" in caplog.text


def test_a_fashion_model_is_held_against_mnist_test_digits() -> None:
    try:
        load_mnist("test", download=False)
    except MnistError:  # not installed here: the pair is then left out, as the test above shows for another shape
        pytest.skip("MNIST is not installed ($INFOGAN_MNIST_DIR)")
    kinds = domain.held_out("fashion", (1, 28, 28), 7)
    assert kinds["mnist_test"].shape == (7, 28, 28) and kinds["mnist_test"].dtype == np.uint8
