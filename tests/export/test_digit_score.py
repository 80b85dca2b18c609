"""The exported not-a-digit score: an MLP on standardised encoder features, trained against non-digits, and a
class-conditional Mahalanobis density fitted on digits alone."""

import numpy as np
import pytest
import torch

from export.digit_score import FALSE_REJECTS, RIDGE, fit_density, fit_digit_score
from train.networks import DigitScore


def test_digit_score_is_the_mlp_logit_of_standardised_features():
    rng = np.random.default_rng(0)
    mean, scale = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    score = DigitScore(torch.from_numpy(mean), torch.from_numpy(scale), hidden=3)
    features = rng.normal(size=(50, 4))
    first, second = score.net[0], score.net[2]
    z = (features - mean) / scale
    expected = np.maximum(z @ first.weight.detach().numpy().T + first.bias.detach().numpy(), 0) \
        @ second.weight.detach().numpy().T + second.bias.detach().numpy()
    got = score(torch.from_numpy(features).float())
    assert got.shape == (50,)  # one score per image, the encoder's digit_score output
    np.testing.assert_allclose(got.detach().numpy(), expected[:, 0], rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # 4 s: keeps the bare suite under a minute
def test_fitted_score_ranks_held_out_digits_above_held_out_others_and_repeats_for_a_seed():
    rng = np.random.default_rng(1)

    def digits(n):  # two digit clusters
        return np.array([[5.0, 0.0], [-5.0, 0.0]])[rng.integers(0, 2, n)] + rng.normal(scale=0.5, size=(n, 2))

    def others(n):  # non-digits: a ring around them
        angle = rng.uniform(0, 2 * np.pi, n)
        return 9.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1) + rng.normal(scale=0.5, size=(n, 2))

    train_digits, train_others = torch.from_numpy(digits(2000)), torch.from_numpy(others(500))
    score = fit_digit_score(train_digits, train_others, epochs=20)
    with torch.no_grad():
        inside, outside = score(torch.from_numpy(digits(200)).float()), score(torch.from_numpy(others(200)).float())
    assert np.quantile(inside.numpy(), 0.01) > np.quantile(outside.numpy(), 0.99)  # separated at the tails
    again = fit_digit_score(train_digits, train_others, epochs=20)
    assert all(torch.equal(a, b) for a, b in zip(score.state_dict().values(), again.state_dict().values(),
                                                 strict=True))
    assert not score.training  # fitted in train mode, returned ready for export


def test_density_is_minus_the_squared_mahalanobis_distance_to_the_nearest_class() -> None:
    """Planted: two classes with a shared, correlated covariance; the score against numpy's own distances."""
    rng = np.random.default_rng(2)
    covariance = np.array([[2.0, 1.2], [1.2, 1.0]])
    centres = np.array([[4.0, 0.0], [-4.0, 1.0]])
    classes = rng.integers(0, 2, 4000)
    features = centres[classes] + rng.multivariate_normal([0, 0], covariance, 4000)
    score = DigitScore(torch.zeros(2), torch.ones(2), hidden=3)
    calibration = torch.from_numpy(centres[rng.integers(0, 2, 2000)] + rng.multivariate_normal([0, 0], covariance,
                                                                                                2000)).float()
    density = fit_density(score, torch.from_numpy(features).float(), torch.from_numpy(classes), calibration)
    points = rng.normal(scale=5.0, size=(100, 2))
    means = np.stack([features[classes == k].mean(axis=0) for k in (0, 1)])
    precision = np.linalg.inv(np.cov((features - means[classes]).T, bias=True) + RIDGE * np.eye(2))
    expected = -np.min([np.einsum("ij,jk,ik->i", points - c, precision, points - c) for c in means], axis=0)
    with torch.no_grad():
        got = density(torch.from_numpy(points).float()).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)


def test_the_combined_score_rejects_the_budget_of_calibration_digits_and_what_lies_far_from_every_class() -> None:
    """A point far from both clusters is rejected by the density even where the MLP (trained against a ring of
    non-digits on one side only) accepts it; calibration digits are rejected at FALSE_REJECTS."""
    rng = np.random.default_rng(3)

    def digits(n: int) -> torch.Tensor:
        return torch.from_numpy(np.array([[5.0, 0.0], [-5.0, 0.0]])[rng.integers(0, 2, n)]
                                + rng.normal(scale=0.5, size=(n, 2))).float()

    others = torch.from_numpy(np.array([0.0, 9.0]) + rng.normal(scale=0.5, size=(500, 2))).float()  # above only
    fitted = digits(4000)
    score = fit_digit_score(fitted, others, epochs=20)
    classes = (fitted[:, 0] < 0).long()
    calibration = digits(4000)
    score.density = fit_density(score, fitted, classes, calibration)
    far_below = torch.tensor([[0.0, -30.0], [40.0, 0.0]])
    with torch.no_grad():
        assert float((score(calibration) < 0).float().mean()) == pytest.approx(FALSE_REJECTS, abs=0.002)
        assert (score.net((far_below - score.mean) / score.scale).flatten(0) > 0).all()  # the MLP alone accepts them
        assert (score(far_below) < 0).all()  # the density rejects them
        assert float((score(digits(2000)) >= 0).float().mean()) > 0.97  # fresh digits still accepted
