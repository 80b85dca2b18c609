"""The exported not-a-digit score: minus the Mahalanobis distance to the nearest class mean, computed in the graph."""

import numpy as np
import torch

from export.graphs import DigitScore, fit_digit_score


def test_digit_score_is_minus_the_distance_to_the_nearest_mean():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, 4))
    a = rng.normal(size=(4, 4))
    precision = a @ a.T + np.eye(4)
    features = rng.normal(size=(50, 4))
    distances = np.stack([np.einsum("ij,jk,ik->i", features - m, precision, features - m) for m in means], axis=1)
    expected = -np.sqrt(distances.min(axis=1))
    got = DigitScore(torch.from_numpy(means), torch.from_numpy(precision))(torch.from_numpy(features).float())
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_fitted_score_prefers_the_training_clusters_to_points_away_from_them():
    rng = np.random.default_rng(1)
    centres = np.array([[5.0, 0.0], [-5.0, 0.0]])
    codes = rng.integers(0, 2, 400)
    features = centres[codes] + rng.normal(scale=0.5, size=(400, 2))
    score = fit_digit_score(torch.from_numpy(features), torch.from_numpy(codes), size=2)
    np.testing.assert_allclose(score.means.numpy(), [features[codes == k].mean(axis=0) for k in range(2)], atol=1e-5)
    inside = score(torch.tensor([[5.0, 0.2], [-4.8, 0.0]]))
    outside = score(torch.tensor([[0.0, 0.0], [0.0, 6.0]]))
    assert inside.min() > outside.max()
    assert inside.max() <= 0  # a distance, negated
