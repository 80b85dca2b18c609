"""Any model's domain score (`export.domain_score`): a class-conditional Mahalanobis density of the encoder's features,
fitted on the train split's fit rows alone; its rows and the calibration rows never meet."""

from __future__ import annotations

import numpy as np
import torch

from export.domain_score import CALIBRATION_SHARE, RIDGE, DomainScore, class_whitening, fit, split
from imagedata import DataSet
from imagedata.dataset import Split
from infogan_sdk.spec import LatentSpec
from train.config import architecture
from train.networks import Density, body_shape, build


def test_the_score_is_minus_the_squared_mahalanobis_distance_to_the_nearest_class() -> None:
    """Planted: two classes with a shared, correlated covariance; the score against numpy's own distances."""
    rng = np.random.default_rng(2)
    covariance, centres = np.array([[2.0, 1.2], [1.2, 1.0]]), np.array([[4.0, 0.0], [-4.0, 1.0]])
    classes = rng.integers(0, 2, 4000)
    features = centres[classes] + rng.multivariate_normal([0, 0], covariance, 4000)
    whitened, whitening = class_whitening(torch.from_numpy(features), torch.from_numpy(classes))
    score = DomainScore(torch.zeros(2), torch.ones(2), density=Density(whitened, whitening, (0.0, 0.0, 1.0)))
    means = np.stack([features[classes == k].mean(axis=0) for k in (0, 1)])
    precision = np.linalg.inv(np.cov((features - means[classes]).T, bias=True) + RIDGE * np.eye(2))
    points = rng.normal(scale=5.0, size=(100, 2))
    expected = -np.min([np.einsum("ij,jk,ik->i", points - c, precision, points - c) for c in means], axis=0)
    with torch.no_grad():
        got = score(torch.from_numpy(points).float()).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)


def test_a_convolutional_body_is_averaged_over_positions_and_q_kept() -> None:
    score = DomainScore(torch.zeros(3), torch.ones(3), pooled=(2, 4))
    body = torch.arange(8.0).reshape(1, 8)  # channel 0: 0..3, channel 1: 4..7
    reduced = score.reduce(torch.cat([body, torch.tensor([[9.0]])], dim=1))
    assert reduced.tolist() == [[1.5, 5.5, 9.0]]


def test_fit_and_calibration_rows_split_the_train_split_and_repeat() -> None:
    fit_rows, calibration = split(600)
    assert len(calibration) == 100 and len(fit_rows) == 500 and len(np.intersect1d(fit_rows, calibration)) == 0
    assert abs(len(calibration) / 600 - CALIBRATION_SHARE) < 0.01
    assert np.array_equal(split(600)[1], calibration)


def _data(labels: bool) -> DataSet:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (120, 32, 32, 3), dtype=np.uint8)
    classes = rng.integers(0, 3, 120)
    return DataSet("planted", "planted", Split(images[:100], classes[:100] if labels else None),
                   Split(images[100:], classes[100:] if labels else None))


def test_fit_reads_the_data_sets_labels_or_the_first_codes_reading() -> None:
    spec = LatentSpec(noise_size=4, categorical_sizes=(3,), n_continuous=1, image_shape=(3, 32, 32))
    config = architecture("tiny", spec)
    _, discriminator = build(config, seed=0)
    discriminator.eval()
    score, record = fit(discriminator, config, _data(labels=True))
    channels = body_shape(config)[0]
    assert record == {"fit_images": len(split(100)[0]), "classes": "the data set's labels",
                      "features": channels + config.q_fc}
    assert score.pooled is not None and score.density is not None and score.density.centres.shape[1] == 3
    with torch.no_grad():
        values = score(discriminator.forward_with_features(torch.zeros(2, 3, 32, 32))[4])
    assert values.shape == (2,) and bool((values <= 0).all())  # minus a squared distance
    assert fit(discriminator, config, _data(labels=False))[1]["classes"] == "the first categorical code's reading"
