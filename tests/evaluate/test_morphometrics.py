"""The Morpho-MNIST measures on synthetic strokes whose width, angle and length are known."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import morphology

from evaluate.morphometrics import measure, measure_batch, medial_axis


def stroke(width: float, angle_deg: float = 0.0, length: float = 18.0, size: int = 28) -> np.ndarray:
    """A straight stroke through the centre, `width` px wide, leaning `angle_deg` to the right of vertical,
    drawn at 8x and reduced (anti-aliased), white on black."""
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 0)
    half = length * scale / 2
    dx, dy = half * np.sin(np.radians(angle_deg)), half * np.cos(np.radians(angle_deg))
    centre = size * scale / 2
    ImageDraw.Draw(image).line([(centre - dx, centre + dy), (centre + dx, centre - dy)], fill=255,
                               width=round(width * scale))
    return np.asarray(image.resize((size, size), Image.Resampling.BOX))


@pytest.mark.parametrize("width", [2.0, 3.0, 4.0, 5.0])
def test_thickness_of_a_vertical_stroke_is_its_width(width):
    assert measure(stroke(width))["thickness"] == pytest.approx(width, abs=0.35)


def test_thickness_grows_with_the_stroke():
    values = [measure(stroke(w))["thickness"] for w in (2.0, 3.0, 4.0, 5.0)]
    assert all(b > a + 0.5 for a, b in itertools.pairwise(values))


@pytest.mark.parametrize("angle", [-30.0, -15.0, 0.0, 15.0, 30.0])
def test_slant_of_a_straight_stroke_is_its_lean(angle):
    # arctan(-mu11/mu02) is the shear angle: for a thin straight line it is the line's angle from vertical
    assert np.degrees(measure(stroke(2.5, angle))["slant"]) == pytest.approx(angle, abs=2.0)


def test_positive_slant_means_the_top_leans_right():
    leaning = stroke(2.5, 20.0)
    rows = np.nonzero(leaning.max(axis=1))[0]
    top_ink = np.average(np.arange(28), weights=leaning[rows[0] + 1])
    bottom_ink = np.average(np.arange(28), weights=leaning[rows[-1] - 1])
    assert top_ink > bottom_ink  # the picture leans right...
    assert measure(leaning)["slant"] > 0  # ...and so does the measure


def test_length_of_a_stroke_is_close_to_its_drawn_length():
    for length in (10.0, 16.0, 22.0):
        # the strokes have square ends: the medial axis forks into their corners, so it runs about full length
        assert measure(stroke(2.0, 0.0, length))["length"] == pytest.approx(length, abs=2.5)
    assert measure(stroke(2.0, 0.0, 22.0))["length"] > measure(stroke(2.0, 0.0, 16.0))["length"] + 4


def test_width_of_an_upright_box_and_that_shearing_it_does_not_change_it():
    box = np.zeros((28, 28), dtype=np.uint8)
    box[6:22, 9:19] = 255  # 10 px wide
    sheared = np.zeros_like(box)
    for row in range(6, 22):
        shift = (row - 14) // 3  # the box leans: the sheared bounding box keeps its width
        sheared[row, 9 - shift : 19 - shift] = 255
    upright, leaning = measure(box)["width"], measure(sheared)["width"]
    assert upright == pytest.approx(10.0, abs=0.8)
    assert leaning == pytest.approx(upright, abs=0.8)
    assert measure(sheared)["slant"] > 0.2


def test_fast_medial_axis_equals_scikit_image():
    rng = np.random.default_rng(0)
    for width in (2.0, 3.5, 5.0):
        binary = np.kron(stroke(width, rng.uniform(-30, 30)) > 100, np.ones((4, 4), dtype=bool))
        expected = morphology.medial_axis(binary, return_distance=True, rng=42)
        got = medial_axis(binary)
        assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


def test_blank_images_have_no_measures_and_batches_match_single_images():
    assert all(np.isnan(v) for v in measure(np.zeros((28, 28), dtype=np.uint8)).values())
    images = np.stack([stroke(2.0), stroke(4.0, 10.0), np.zeros((28, 28), dtype=np.uint8)])
    batch = measure_batch(images)
    assert batch["thickness"][1] == measure(images[1])["thickness"] and np.isnan(batch["slant"][2])
    with pytest.raises(ValueError, match="uint8"):
        measure(images.astype(np.float32)[0])
