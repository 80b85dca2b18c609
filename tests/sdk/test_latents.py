"""Latent building without a model: one-hot layout, broadcasting, draw order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infogan_sdk import InvalidInputError, LatentSpec
from infogan_sdk.latents.draw import batch_size, draw


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.integers(2, 6), min_size=1, max_size=3), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_one_hot_feeds_follow_the_spec_layout(sizes: list[int], n: int, seed: int) -> None:
    spec = LatentSpec(noise_size=2, categorical_sizes=tuple(sizes), n_continuous=1)
    latents = draw(spec, n, seed, None, {}, None)
    feeds = latents.feeds(spec, slice(0, n))
    assert list(feeds) == ["noise", "categorical", "continuous"]
    one_hot = feeds["categorical"]
    assert one_hot.shape == (n, sum(sizes)) and one_hot.dtype == np.float32
    offsets = np.cumsum([0, *sizes])
    for column, size in enumerate(sizes):
        group = one_hot[:, offsets[column]:offsets[column] + size]
        np.testing.assert_array_equal(group.sum(axis=1), 1.0)
        np.testing.assert_array_equal(group.argmax(axis=1), latents.codes[:, column])


def test_inputs_of_width_zero_are_left_out() -> None:
    spec = LatentSpec(noise_size=0, categorical_sizes=(10,), n_continuous=0)
    feeds = draw(spec, 3, 0, None, {}, None).feeds(spec, slice(1, 3))
    assert list(feeds) == ["categorical"] and feeds["categorical"].shape == (2, 10)


def test_given_parts_are_used_and_broadcast() -> None:
    spec = LatentSpec(noise_size=2, categorical_sizes=(10, 3), n_continuous=2)
    latents = draw(spec, 4, 0, np.array([[7]]), {1: np.float32([0.5])}, np.float32([[1.0, 2.0]]))
    assert latents.codes[:, 0].tolist() == [7] * 4
    assert latents.continuous[:, 1].tolist() == [0.5] * 4
    assert latents.noise.tolist() == [[1.0, 2.0]] * 4


@pytest.mark.parametrize("codes", [np.array([[7, 2]]), {0: np.array([7]), 1: np.array([2])}])
def test_a_batch_given_whole_is_the_same_whatever_the_seed(codes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every code and the noise given: nothing is drawn (no generator is made), and the seed changes nothing."""
    spec = LatentSpec(noise_size=2, categorical_sizes=(10, 3), n_continuous=2)
    basis = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)  # turned: drawn values would be turned, given ones not
    continuous, noise = {0: np.array([-0.5], np.float32), 1: np.array([0.5], np.float32)}, np.ones((1, 2), np.float32)
    alone = draw(spec, 3, 0, codes, continuous, noise, basis)
    monkeypatch.setattr(np.random, "default_rng", None)  # a draw would fail now
    for seed in (None, 1, 2**40):
        again = draw(spec, 3, seed, codes, continuous, noise, basis)
        for part in ("codes", "continuous", "noise"):
            np.testing.assert_array_equal(getattr(again, part), getattr(alone, part))
    assert alone.codes.tolist() == [[7, 2]] * 3 and alone.continuous.tolist() == [[-0.5, 0.5]] * 3
    assert alone.noise.tolist() == [[1.0, 1.0]] * 3
    with pytest.raises(TypeError):  # one continuous code left to draw: the generator is made
        draw(spec, 3, 0, codes, {0: continuous[0]}, noise, basis)


def test_batch_size_rules() -> None:
    assert batch_size(None, {}) == 1
    assert batch_size(None, {"digits": 5, "noise": 1}) == 5
    assert batch_size(3, {"digits": 1}) == 3
    with pytest.raises(InvalidInputError, match=r"expected every argument to have 5 rows .* digits has 5, noise has 2"):
        batch_size(None, {"digits": 5, "noise": 2})
