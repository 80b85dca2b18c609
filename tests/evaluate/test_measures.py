"""The generic image measures on drawn shapes of known place, size, brightness, lean and hue, and codes named after
them by the same rule as MNIST's (evaluate.codes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from evaluate.codes import class_values, describe_codes, generic, measurable, name_codes, real_spread
from evaluate.measures import COLOUR, GREY, measure_batch
from infogan_sdk.spec import LatentSpec


def square(left: int = 10, top: int = 10, side: int = 8, value: int = 255, size: int = 28) -> np.ndarray:
    image = np.zeros((size, size), dtype=np.uint8)
    image[top : top + side, left : left + side] = value
    return image


def bar(lean: float, size: int = 28) -> np.ndarray:
    """A 3-pixel-wide upright bar whose top is shifted `lean` pixels right per pixel of height."""
    image = np.zeros((size, size), dtype=np.uint8)
    for row in range(4, 24):
        centre = round(14 + lean * (14 - row))
        image[row, centre - 1 : centre + 2] = 255
    return image


def test_each_measure_reads_what_was_drawn():
    found = measure_batch(np.stack([square(), square(left=14), square(top=14), square(side=12), square(value=128)]))
    assert set(found) == set(GREY)
    assert found["x_position"][0] == pytest.approx(14.0) and found["y_position"][0] == pytest.approx(14.0)
    assert found["x_position"][1] - found["x_position"][0] == pytest.approx(4.0)
    assert found["y_position"][2] - found["y_position"][0] == pytest.approx(4.0)
    assert found["size"][0] == pytest.approx(64 / 784) and found["size"][3] == pytest.approx(144 / 784)
    assert found["brightness"][0] == pytest.approx(255) and found["brightness"][4] == pytest.approx(128)
    assert found["size"][4] == pytest.approx(found["size"][0])  # a dimmer square is as big
    assert abs(found["orientation"][0]) < 1e-9
    leans = measure_batch(np.stack([bar(-0.3), bar(0.0), bar(0.3)]))["orientation"]
    assert leans[0] < -0.2 and abs(leans[1]) < 1e-9 and leans[2] > 0.2  # positive: the top leans right


def test_colour_measures_hue_and_ignore_a_coloured_background():
    background = np.array([40, 40, 200], dtype=np.uint8)  # blue paper
    images = np.broadcast_to(background, (3, 28, 28, 3)).copy()
    for image, colour in zip(images, ([255, 0, 0], [0, 255, 0], [255, 255, 0]), strict=True):
        image[10:18, 12:20] = colour
    found = measure_batch(images)
    assert set(found) == set(COLOUR)
    assert found["hue"][0] == pytest.approx(0.0, abs=1e-6) or found["hue"][0] == pytest.approx(360.0)
    assert found["hue"][1] == pytest.approx(120.0, abs=1e-6) and found["hue"][2] == pytest.approx(60.0, abs=1e-6)
    assert found["size"] == pytest.approx([64 / 784] * 3)  # the paper is background, not ink
    assert found["x_position"] == pytest.approx([16.0] * 3)


def test_a_blank_image_measures_nan_and_bad_input_is_refused():
    found = measure_batch(np.stack([np.zeros((28, 28), np.uint8), square()]))
    assert all(np.isnan(values[0]) and np.isfinite(values[1]) for values in found.values())
    with pytest.raises(ValueError, match=r"uint8 \(N, H, W\)"):
        measure_batch(np.zeros((2, 28, 28), dtype=np.float32))


@dataclass
class Drawn:
    images: np.ndarray
    noise: np.ndarray


class SquareGenerator:
    """Code 0 moves a square right (2 px per unit), code 1 dims it when positive (a negative-direction brightness),
    code 2 grows it at both ends (a U: never named); the categorical value shifts it down by its value."""

    spec = LatentSpec(noise_size=2, categorical_sizes=(3,), n_continuous=3)
    basis = np.eye(3)

    def generate(self, categorical=None, count=None, continuous=None, noise=None, seed=None, beyond_range=False):
        n = len(categorical) if categorical is not None else count
        values = np.zeros((n, 3)) if continuous is None else np.asarray(continuous) @ self.basis
        rows = np.zeros(n, dtype=int) if categorical is None else np.asarray(categorical)
        images = np.stack([square(left=round(10 + 2 * v[0]), top=8 + row, side=6 + round(abs(v[2])),
                                  value=round(180 - 30 * v[1])) for v, row in zip(values, rows, strict=True)])
        return Drawn(images, np.zeros((n, 2), dtype=np.float32) if noise is None else noise)


def test_codes_of_any_data_set_are_named_after_the_generic_measures_by_mnists_rule():
    generator = SquareGenerator()
    real = np.stack([square(left=left, top=top, value=value, side=side) for left in (8, 10, 12) for top in (8, 10)
                     for value in (150, 200) for side in (6, 8)])
    spread = real_spread(real, family=generic(1))
    assert spread["x_position"]["sd"] == pytest.approx(np.std([11.0, 12.0, 13.0, 14.0, 15.0, 16.0]))
    family = measurable(generic(1), spread)
    assert "orientation" not in family.names and "orientation" not in family.named  # always 0: no unit
    codes = describe_codes(generator, spread, per_digit=2, family=family)
    assert [c["name"] for c in codes] == ["x_position", "brightness", "c2"]
    assert [c["direction"] for c in codes] == [1, -1, 1]  # brightness=+1 makes the square brighter
    assert codes[1]["effects"]["brightness"] > 1 and codes[1]["curve"]["monotonic"] is True
    assert codes[0]["effects"]["x_position"] == pytest.approx(8 / spread["x_position"]["sd"], rel=0.05)
    assert codes[2]["effects"]["size"] == pytest.approx(0.0, abs=1e-9)  # as big at -2 as at +2: a U, unnamed
    assert class_values(generator, 2).tolist() == [0, 0, 1, 1, 2, 2]  # no code_to_digit: values in order
    # the rule is MNIST's: a code moving two measures alike is named after neither
    assert name_codes([{"x_position": 2.0, "size": 1.5, **dict.fromkeys(GREY[:1] + GREY[3:], 0.0)}],
                      family) == ["c0"]
