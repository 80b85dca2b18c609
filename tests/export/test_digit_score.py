"""The exported not-a-digit score: an MLP on standardised encoder features, trained against non-digits."""

import numpy as np
import torch

from export.digit_score import fit_digit_score
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
