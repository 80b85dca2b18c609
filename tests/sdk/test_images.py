"""The image convention and MNIST-style preprocessing (infogan_sdk.images.convention, infogan_sdk.images.preprocess)."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from infogan_sdk.images.convention import from_model, to_model
from infogan_sdk.images.decode import read_images
from infogan_sdk.images.preprocess import border, has_light_background, is_mnist_form, normalise

SIZE = (28, 28)


def seven(height: int, width: int, top: int, left: int, scale: float, light_ink: bool = True) -> np.ndarray:
    """A thick "7" drawn into a height x width canvas: white on black, or black on white."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    stroke = max(1, round(3 * scale))
    draw.line([(left, top), (left + 12 * scale, top)], fill=255, width=stroke)
    draw.line([(left + 12 * scale, top), (left + 4 * scale, top + 18 * scale)], fill=255, width=stroke)
    pixels = np.asarray(canvas)
    return pixels if light_ink else 255 - pixels


def ink_box(image: np.ndarray, threshold: int = 64) -> tuple[int, int, int, int]:
    rows = np.flatnonzero((image >= threshold).any(axis=1))
    columns = np.flatnonzero((image >= threshold).any(axis=0))
    return int(rows[0]), int(rows[-1]), int(columns[0]), int(columns[-1])


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    weights = image.astype(np.float64)
    y = float(weights.sum(axis=1) @ (np.arange(image.shape[0]) + 0.5)) / weights.sum()
    x = float(weights.sum(axis=0) @ (np.arange(image.shape[1]) + 0.5)) / weights.sum()
    return y, x


def assert_mnist_like(image: np.ndarray) -> None:
    assert image.shape == SIZE and image.dtype == np.uint8
    top, bottom, left, right = ink_box(image, threshold=1)
    assert max(bottom - top + 1, right - left + 1) in (19, 20, 21)  # fits the 20x20 box (antialiased edge)
    y, x = centre_of_mass(image)
    assert abs(y - 14) <= 0.75 and abs(x - 14) <= 0.75
    assert image.max() >= 200 and np.median(image) == 0  # white ink on black


def test_uint8_float_round_trip_is_exact_for_every_value() -> None:
    values = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    model = to_model(values, (-1.0, 1.0))
    assert model.dtype == np.float32 and model.shape == (1, 1, 16, 16)
    assert model.min() == -1.0 and model.max() == 1.0
    np.testing.assert_array_equal(from_model(model, (-1.0, 1.0)), values)
    np.testing.assert_array_equal(from_model(to_model(values, (0.0, 1.0)), (0.0, 1.0)), values)


@settings(max_examples=50, deadline=None, database=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8))),
       st.sampled_from([(-1.0, 1.0), (0.0, 1.0), (-0.5, 2.0)]))
def test_round_trip_property(images: np.ndarray, pixel_range: tuple[float, float]) -> None:
    np.testing.assert_array_equal(from_model(to_model(images, pixel_range), pixel_range), images)


def test_from_model_clips_and_blacks_out_nan() -> None:
    values = np.array([-3.0, -1.0, 0.0, 1.0, 7.0, np.nan], dtype=np.float32).reshape(1, 1, 1, 6)
    assert from_model(values, (-1.0, 1.0)).tolist() == [[[0, 0, 128, 255, 255, 0]]]


def test_mnist_form_arrays_pass_through_bit_exact() -> None:
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    images[:, :2, :] = 0
    images[:, -2:, :] = 0
    images[:, :, :2] = 0
    images[:, :, -2:] = 0  # a dark border: already white on black
    out = read_images(images, SIZE)
    np.testing.assert_array_equal(out, images)
    np.testing.assert_array_equal(read_images(list(images), SIZE, "none"), images)


def test_inverted_polarity_is_detected() -> None:
    white_on_black = seven(28, 28, 6, 8, 1.0)
    black_on_white = 255 - white_on_black
    assert is_mnist_form(white_on_black, SIZE) and not is_mnist_form(black_on_white, SIZE)
    fixed = read_images(black_on_white, SIZE)[0]
    np.testing.assert_array_equal(fixed, read_images(white_on_black, SIZE, "mnist")[0])
    assert_mnist_like(fixed)


def test_off_centre_digits_are_centred_by_mass() -> None:
    corner = seven(28, 28, 0, 0, 0.6)  # small, in the top-left corner
    assert_mnist_like(read_images(corner, SIZE, "mnist")[0])
    np.testing.assert_array_equal(read_images(corner, SIZE, "auto")[0], corner)  # auto trusts 28x28 white-on-black
    far = seven(300, 200, 220, 150, 2.5)  # not 28x28: auto normalises
    assert_mnist_like(read_images(far, SIZE)[0])


def test_aspect_ratio_is_kept() -> None:
    bar = np.zeros((100, 100), np.uint8)
    bar[10:90, 40:60] = 255  # 80 tall, 20 wide
    out = read_images(bar, SIZE)[0]
    top, bottom, left, right = ink_box(out)
    assert bottom - top + 1 == 20 and 4 <= right - left + 1 <= 6


def test_large_photo_like_rgb_image() -> None:
    gray = seven(1500, 2000, 300, 500, 40.0, light_ink=False).astype(np.float64)
    gray = np.clip(gray * 0.8 + 30 + np.random.default_rng(0).normal(0, 5, gray.shape), 0, 255)  # grey paper
    rgb = np.stack([gray, gray * 0.9, gray * 0.95], axis=-1).astype(np.uint8)
    out = read_images(Image.fromarray(rgb, mode="RGB"), SIZE)[0]
    assert_mnist_like(out)
    reference = read_images(seven(28, 28, 4, 8, 0.8), SIZE, "mnist")[0]
    assert np.corrcoef(out.ravel().astype(float), reference.ravel().astype(float))[0, 1] > 0.8


@pytest.mark.parametrize("ink", [0, 255])
def test_rgba_ink_on_transparent_background(ink: int) -> None:
    alpha = seven(60, 60, 10, 10, 2.0)
    rgba = np.zeros((60, 60, 4), np.uint8)
    rgba[..., :3] = ink
    rgba[..., 3] = alpha  # the digit is the opaque part, whatever the ink colour
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")
    out = read_images(buffer.getvalue(), SIZE)[0]
    assert_mnist_like(out)
    np.testing.assert_array_equal(out, read_images(alpha, SIZE, "mnist")[0])


def test_sixteen_bit_grayscale_is_scaled() -> None:
    pixels = seven(40, 40, 8, 8, 1.5).astype(np.uint16) * 257
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).mode.startswith("I")
    out = read_images(buffer.getvalue(), SIZE)[0]
    np.testing.assert_array_equal(out, read_images(seven(40, 40, 8, 8, 1.5), SIZE)[0])


def test_float_arrays_are_read_in_zero_one() -> None:
    image = seven(28, 28, 6, 8, 1.0)
    np.testing.assert_array_equal(read_images(image / 255.0, SIZE)[0], image)


def test_blank_images_become_black_with_one_warning_naming_them(caplog: pytest.LogCaptureFixture) -> None:
    blank, inked = np.full((50, 50), 255, np.uint8), seven(28, 28, 6, 8, 1.0)
    batch = np.stack([inked, np.zeros(SIZE, np.uint8), inked])
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        out = read_images([inked, blank, batch, blank], SIZE)
    assert out.shape == (6, *SIZE) and out[1].max() == 0 and out[5].max() == 0 and out[0].max() == 255
    warned = [record.getMessage() for record in caplog.records if "no ink" in record.getMessage()]
    assert warned == ["no ink (uniform, or all paper): the encoder sees black images: input 1, input 2 (1 of its 3 "
                      "images), input 3"]


def test_an_empty_array_among_images_adds_nothing() -> None:
    """(0, H, W) of any H, W is no images: it must not stop the others from joining (a fuzzer found a crash)."""
    image = seven(28, 28, 6, 8, 1.0)
    for empty in (np.zeros((0, 1, 1), np.uint8), np.zeros((0, 40, 30), np.float32)):
        np.testing.assert_array_equal(read_images([image, empty, image], SIZE), np.stack([image, image]))


@pytest.mark.parametrize("shape", [(28, 28), (5, 28, 28), (3, 64, 40), (2, 4, 1, 9)])
def test_light_background_check_agrees_with_the_border_median(shape):
    """The fast count ("most of the border is light") equals "the border's median > 127" off exact ties."""
    rng = np.random.default_rng(sum(shape))
    images = rng.choice(np.array([0, 90, 127, 128, 200, 255], dtype=np.uint8), size=(200, *shape))
    ring = border(images)
    median_says = np.median(ring, axis=-1) > 127
    tie = (ring > 127).sum(axis=-1) * 2 == ring.shape[-1]
    fast = has_light_background(images)
    assert fast.shape == images.shape[:-2]
    assert np.array_equal(fast[~tie], median_says[~tie]) and (~tie).sum() > 100
    assert not fast[tie].any()  # a tie counts as a dark border: the image passes through unchanged


@pytest.mark.parametrize("preprocess", ["auto", "none", "mnist"])
def test_model_ready_batch_takes_the_fast_path_with_the_same_result(preprocess):
    rng = np.random.default_rng(5)
    batch = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    batch[:, :2], batch[:, -2:], batch[:, :, :2], batch[:, :, -2:] = 0, 0, 0, 0  # dark borders: model-ready
    batch[5] = 255 - batch[5]  # except one, dark ink on paper: "auto" normalises it
    fast = read_images(batch, (28, 28), preprocess)
    general = read_images(list(batch), (28, 28), preprocess)  # a list never takes the fast path
    assert np.array_equal(fast, general) and fast.dtype == np.uint8
    assert not np.shares_memory(fast, batch)


def test_grey_ink_on_grey_noisy_paper_normalises_like_the_clean_digit() -> None:
    clean = Image.new("L", (112, 112), 0)
    ImageDraw.Draw(clean).line([(40, 20), (70, 20), (50, 95)], fill=255, width=9)  # a 7
    ink = np.asarray(clean, dtype=np.float64) / 255
    noise = np.random.default_rng(0).normal(0, 20, ink.shape)
    paper = np.clip(np.round(170 - ink * 80 + noise), 0, 255).astype(np.uint8)  # grey ink (90) on grey paper (170)
    expected, got = normalise(np.asarray(clean), (28, 28)), normalise(paper, (28, 28))
    assert np.corrcoef(expected.ravel(), got.ravel())[0, 1] > 0.95
    assert np.count_nonzero(got[expected == 0] > 60) <= 10  # the paper's noise does not come through as ink
    assert got.max() >= 240  # the strokes' cores reach (nearly, after resizing) full white, as in MNIST


def test_clean_images_skip_the_noise_handling() -> None:
    clean = Image.new("L", (60, 60), 255)
    ImageDraw.Draw(clean).ellipse([15, 10, 45, 50], outline=0, width=5)  # a 0, dark on white, no noise
    pixels = np.asarray(clean)
    inverted = normalise(255 - pixels, (28, 28))
    assert np.array_equal(normalise(pixels, (28, 28)), inverted)  # polarity only; no filtering happened
