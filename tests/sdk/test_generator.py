"""Generator.generate / traverse on the tiny planted models: API, code_to_digit mapping, seeds, chunking, errors."""

from __future__ import annotations

import dataclasses
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from infogan_sdk import GenerateResult, Generator, InvalidInputError

from .tiny_models import MAIN_SPEC, REVERSED, code_row, continuous_slice


def lit_row(image: np.ndarray) -> int:
    """Which row the tiny generator lit: the categorical value it was fed."""
    return int(np.argmax(image[:, 4:24].mean(axis=1)))


def test_generate_returns_uint8_images_and_the_codes_used(generator: Generator) -> None:
    out = generator.generate(digits=[7, 7, 1], seed=0)
    assert isinstance(out, GenerateResult) and len(out) == 3
    assert out.images.dtype == np.uint8 and out.images.shape == (3, 28, 28)
    assert out.digits.dtype == np.int64 and out.digits.tolist() == [7, 7, 1]
    assert out.codes.shape == (3, 1) and out.codes.dtype == np.int64
    assert out.continuous.shape == (3, 2) and out.continuous.dtype == np.float32
    assert out.noise.shape == (3, MAIN_SPEC.noise_size) and out.noise.dtype == np.float32
    # white digit on black: the lit row is near 255, the background near 0
    assert out.images[0, code_row(out.codes[0, 0]), 4:24].min() > 240
    assert np.median(out.images[0]) < 20


def test_digits_are_mapped_to_codes_through_code_to_digit(generator: Generator) -> None:
    digits = list(range(10))
    out = generator.generate(digits=digits, seed=1)
    expected_codes = [REVERSED.index(d) for d in digits]  # reversed mapping: code = 9 - digit
    assert out.codes[:, 0].tolist() == expected_codes == [9 - d for d in digits]
    assert [lit_row(image) for image in out.images] == [code_row(code) for code in expected_codes]


def test_raw_codes_bypass_the_mapping(generator: Generator) -> None:
    out = generator.generate(categorical=[2, 0], seed=0)
    assert out.codes[:, 0].tolist() == [2, 0]
    assert out.digits.tolist() == [REVERSED[2], REVERSED[0]] == [7, 9]
    assert [lit_row(image) for image in out.images] == [code_row(2), code_row(0)]


def test_count_repeats_a_single_digit_with_different_noise(generator: Generator) -> None:
    out = generator.generate(digits=7, count=5, seed=0)
    assert out.digits.tolist() == [7] * 5
    assert len({row.tobytes() for row in out.noise}) == 5


def test_count_alone_draws_uniform_random_digits(generator: Generator) -> None:
    out = generator.generate(count=500, seed=0)
    counts = np.bincount(out.digits, minlength=10)
    assert counts.sum() == 500 and counts.min() > 25  # every digit, roughly uniform (50 expected)
    low, high = MAIN_SPEC.continuous_range
    assert out.continuous.min() >= low and out.continuous.max() <= high
    assert np.abs(out.noise).max() > 2  # normal noise, not uniform
    assert generator.generate(seed=0).images.shape == (1, 28, 28)  # default count 1


def test_seed_reproduces_exactly_and_different_seeds_differ(generator: Generator) -> None:
    first = generator.generate(count=6, seed=123)
    again = generator.generate(count=6, seed=123)
    other = generator.generate(count=6, seed=124)
    for name in ("images", "digits", "codes", "continuous", "noise"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.images, other.images)
    assert not np.array_equal(first.noise, other.noise)


def test_drawn_noise_does_not_depend_on_the_digits_asked_for(generator: Generator) -> None:
    ones = generator.generate(digits=[1, 1], seed=5)
    fives = generator.generate(digits=[5, 5], seed=5)
    np.testing.assert_array_equal(ones.noise, fives.noise)
    np.testing.assert_array_equal(ones.continuous, fives.continuous)


def test_continuous_as_array_dict_and_named_keywords(generator: Generator) -> None:
    full = generator.generate(digits=[3, 4], continuous=[[0.5, -0.5], [0.25, 0.75]], seed=0)
    np.testing.assert_array_equal(full.continuous, np.float32([[0.5, -0.5], [0.25, 0.75]]))
    broadcast = generator.generate(digits=[3, 4], continuous=np.array([0.1, 0.2]), seed=0)
    np.testing.assert_array_equal(broadcast.continuous, np.float32([[0.1, 0.2], [0.1, 0.2]]))
    by_name = generator.generate(digits=[3, 4], continuous={"width": [0.3, -0.3]}, rotation=0.7, seed=0)
    np.testing.assert_array_equal(by_name.continuous, np.float32([[0.7, 0.3], [0.7, -0.3]]))
    only_width = generator.generate(digits=[3, 4], width=0.9, seed=0)
    assert only_width.continuous[:, 1].tolist() == pytest.approx([0.9, 0.9])
    drawn = generator.generate(digits=[3, 4], seed=0)
    np.testing.assert_array_equal(only_width.continuous[:, 0], drawn.continuous[:, 0])  # rotation still drawn


def test_continuous_codes_change_their_pixels(generator: Generator) -> None:
    row, columns = continuous_slice(0)
    low = generator.generate(digits=5, rotation=-1.0, seed=0).images[0, row, columns]
    high = generator.generate(digits=5, rotation=1.0, seed=0).images[0, row, columns]
    expected = np.round((np.tanh(np.float32([-1.0, 1.0])) + 1) / 2 * 255)
    assert low.mean() == pytest.approx(expected[0], abs=1) and high.mean() == pytest.approx(expected[1], abs=1)


def test_noise_is_used_as_given_and_broadcasts(generator: Generator) -> None:
    noise = np.arange(8, dtype=np.float32).reshape(2, 4) / 10
    out = generator.generate(digits=[1, 2], noise=noise, seed=0)
    np.testing.assert_array_equal(out.noise, noise)
    single = generator.generate(digits=[1, 2], noise=noise[0], seed=0)
    np.testing.assert_array_equal(single.noise, np.stack([noise[0], noise[0]]))
    np.testing.assert_array_equal(single.images[0], out.images[0])
    noise[0, 0] = 5.0  # the caller's array stays writable and is not shared with the result
    assert out.noise[0, 0] == 0.0


def test_chunked_generation_equals_one_batch(model_dir: Path, generator: Generator) -> None:
    small_chunks = Generator(model_dir, device="cpu", chunk_size=7)
    expected = generator.generate(count=50, seed=9)
    got = small_chunks.generate(count=50, seed=9)
    np.testing.assert_array_equal(got.images, expected.images)


def test_generate_is_thread_safe(generator: Generator) -> None:
    seeds = list(range(32))
    expected = [generator.generate(count=4, seed=seed).images for seed in seeds]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda seed: generator.generate(count=4, seed=seed).images, seeds))
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_array_equal(have, want)


def test_traverse_sweeps_one_code_with_shared_noise(generator: Generator) -> None:
    out = generator.traverse(digit=3, code=0, seed=0)
    assert len(out) == 10 and out.digits.tolist() == [3] * 10
    np.testing.assert_allclose(out.continuous[:, 0], np.linspace(-2, 2, 10), atol=1e-6)
    assert out.continuous[:, 1].tolist() == [0.0] * 10
    assert all(np.array_equal(row, out.noise[0]) for row in out.noise)
    np.testing.assert_array_equal(out.noise[0], generator.generate(digits=3, seed=0).noise[0])
    row, columns = continuous_slice(0)
    assert np.all(np.diff(out.images[:, row, columns].mean(axis=1)) > 0)  # brighter as the code grows
    named = generator.traverse(digit=3, code="width", values=[-1.0, 1.0], seed=0)
    assert named.continuous.tolist() == [[0.0, -1.0], [0.0, 1.0]]


def test_traverse_rejects_unknown_codes(generator: Generator) -> None:
    for code in (2, -1, "slant", True):
        with pytest.raises(InvalidInputError, match=r"index from 0 to 1 or one of \['rotation', 'width'\].*got"):
            generator.traverse(digit=3, code=code)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="values must be numbers with 1 dimension"):
        generator.traverse(digit=3, values=[[1.0]])


def test_results_are_frozen_and_read_only(generator: Generator) -> None:
    out = generator.generate(digits=1, seed=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.images = out.images  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        out.images[0, 0, 0] = 1


def test_to_pil_and_grid(generator: Generator) -> None:
    out = generator.generate(digits=[0, 1, 2], seed=0)
    images = out.to_pil()
    assert [image.mode for image in images] == ["L"] * 3 and images[0].size == (28, 28)
    np.testing.assert_array_equal(np.asarray(images[2]), out.images[2])
    grid = out.grid(columns=2, padding=1)
    assert grid.mode == "L" and grid.size == (2 * 29 + 1, 2 * 29 + 1)
    pixels = np.asarray(grid)
    np.testing.assert_array_equal(pixels[1:29, 30:58], out.images[1])
    np.testing.assert_array_equal(pixels[30:58, 1:29], out.images[2])
    assert pixels[30:58, 30:58].max() == 0  # the empty cell is black
    assert out.grid().size == (2 * 30 + 2, 2 * 30 + 2)  # default: ceil(sqrt(3)) = 2 columns, padding 2
    with pytest.raises(InvalidInputError, match="columns must be an integer from 1 to 1000, got 0"):
        out.grid(columns=0)


def test_a_traverse_grids_as_one_row_and_one_image_as_itself(generator: Generator) -> None:
    sweep = generator.traverse(digit=3, code=0, seed=1)
    assert len(sweep) == 10 and sweep.grid().size == (10 * 30 + 2, 32)  # one row, not ceil(sqrt(10)) = 4 columns
    assert sweep.grid(columns=5).size == (5 * 30 + 2, 2 * 30 + 2)  # unless told otherwise
    one = generator.generate(digits=4, seed=1)
    np.testing.assert_array_equal(np.asarray(one.grid()), one.images[0])  # no padding around a lone image


def test_plain_model_codes_names_and_uniform_noise(plain_dir: Path) -> None:
    generator = Generator(plain_dir, device="cpu")
    assert generator.continuous_names == ("c0",)
    out = generator.generate(categorical=[[3, 2], [9, 0]], seed=0)
    assert out.codes.tolist() == [[3, 2], [9, 0]] and out.digits.tolist() == [3, 9]  # identity mapping
    first_only = generator.generate(categorical=[4] * 200, seed=0)
    assert set(first_only.codes[:, 1].tolist()) == {0, 1, 2}  # second code drawn
    assert np.abs(first_only.noise).max() <= 1.0  # uniform noise
    assert generator.generate(digits=1, continuous={"c0": 0.25}, seed=0).continuous.tolist() == [[0.25]]
    with pytest.raises(InvalidInputError, match=r"no continuous code named 'rotation'; its codes are \['c0'\]"):
        generator.generate(digits=1, rotation=0.5)
    with pytest.raises(InvalidInputError, match=r"categorical code 1 takes values 0 to 2, got \[3\]"):
        generator.generate(categorical=[[1, 3]])


def test_fp16_variant_matches_float32(model_dir: Path, generator: Generator) -> None:
    half = Generator(model_dir, device="cpu", variant="fp16")
    assert half.variant == "fp16"
    difference = half.generate(count=20, seed=4).images.astype(int) - generator.generate(count=20, seed=4).images
    assert np.abs(difference).max() <= 2


BAD_INPUTS = [
    ({"digits": 10}, r"digits must be from 0 to 9, got \[10\]"),
    ({"digits": [3, -1]}, r"digits must be from 0 to 9, got \[-1\]"),
    ({"digits": 7.5}, r"digits must be integers .* got float64 .*7\.5"),
    ({"digits": [1.0, 2.0]}, r"digits must be integers .* got float64"),
    ({"digits": "7"}, r"digits must be integers .* got <U1"),
    ({"digits": [True]}, r"digits must be integers .* got bool"),
    ({"digits": []}, r"digits must not be empty, got \[\]"),
    ({"digits": [[1, 2]]}, r"digits must be integers with 0 or 1 dimension\(s\), got int64 with shape \(1, 2\)"),
    ({"digits": 1, "categorical": 1}, "pass digits= .* or categorical= .*not both"),
    ({"categorical": [10]}, r"categorical code 0 takes values 0 to 9, got \[10\]"),
    ({"categorical": [[1, 2]]}, r"categorical must have shape \(N,\) or \(N, 1\) .* got \(1, 2\)"),
    ({"categorical": 1, "codes": 1}, "pass categorical= .*not both"),
    ({"count": 0}, "count must be an integer from 1 to 1000000, got 0"),
    ({"count": -3}, "count must be an integer from 1 to 1000000, got -3"),
    ({"count": 10**7}, "count must be an integer from 1 to 1000000, got 10000000"),
    ({"count": 2.5}, "count must be an integer from 1 to 1000000, got 2.5"),
    ({"count": True}, "count must be an integer from 1 to 1000000, got True"),
    ({"digits": [1, 2], "count": 3}, "expected every argument to have 3 rows .* got digits has 2"),
    ({"digits": [1, 2, 3], "noise": np.zeros((2, 4))}, "to have 3 rows .* digits has 3, noise has 2"),
    ({"digits": [1, 2], "rotation": [0.1, 0.2, 0.3]}, "continuous code 'rotation' has 3"),
    ({"continuous": np.zeros((3, 3))}, r"continuous must have shape \(N, 2\) or \(2,\) .* got \(3, 3\)"),
    ({"continuous": [0.1, float("nan")]}, "continuous must be finite, got NaN or infinity"),
    ({"continuous": {"slant": 0.1}}, r"no continuous code named 'slant'; its codes are \['rotation', 'width'\]"),
    ({"continuous": {"rotation": 0.1}, "rotation": 0.2}, r"continuous code\(s\) \['rotation'\] given twice"),
    ({"continuous": [0.1, 0.2], "width": 0.2}, r"continuous= as an array sets every code; do not also pass \['width"),
    ({"rotation": float("inf")}, "continuous code 'rotation' must be finite"),
    ({"rotation": "left"}, "continuous code 'rotation' must be numbers .* got <U4"),
    ({"noise": np.zeros((2, 5))}, r"noise must have shape \(N, 4\), got \(2, 5\)"),
    ({"noise": np.full((1, 4), np.inf)}, "noise must be finite"),
    ({"seed": -1}, "seed must be a non-negative integer or None, got -1"),
    ({"seed": "0"}, "seed must be a non-negative integer or None, got '0'"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_inputs_raise_invalid_input_naming_expected_and_received(
        generator: Generator, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        generator.generate(**kwargs)  # type: ignore[arg-type]


def test_the_old_keyword_codes_still_works_with_a_deprecation_warning(generator: Generator) -> None:
    with pytest.warns(DeprecationWarning, match=r"renamed generate\(categorical=...\)"):
        old = generator.generate(codes=[2, 0], seed=0)
    new = generator.generate(categorical=[2, 0], seed=0)
    np.testing.assert_array_equal(old.images, new.images)
    assert old.codes[:, 0].tolist() == [2, 0]


def test_options_are_keyword_only_and_the_model_may_be_positional(model_dir: Path) -> None:
    assert Generator(model_dir, device="cpu").path == model_dir
    with pytest.raises(TypeError, match="positional"):
        Generator(model_dir, "cpu")  # type: ignore[misc]


@pytest.mark.parametrize("kwargs", [{"digits": io.BytesIO(b"7")}, {"count": io.BytesIO()}, {"seed": object()},
                                    {"digits": [io.BytesIO(), 1]}, {"noise": {"a": io.BytesIO()}}])
def test_error_messages_show_no_object_reprs(generator: Generator, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError) as raised:
        generator.generate(**kwargs)  # type: ignore[arg-type]
    assert " at 0x" not in str(raised.value) and "object>" in str(raised.value)
