"""The manifest's continuous codes: names, directions (applied both ways), effects, and the keyword arguments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infogan_sdk import Encoder, Generator, IncompatibleModelError, InvalidInputError
from infogan_sdk.loading.manifest import write_manifest


def _codes(folder: Path, codes: list[dict[str, object]]) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    data["continuous_codes"] = codes
    write_manifest(folder, data)


def test_codes_expose_name_direction_effects_and_range(model_copy: Path) -> None:
    _codes(model_copy, [{"name": "rotation", "direction": -1, "effects": {"slant": 2.5, "thickness": 0.3}},
                        {"name": "thickness", "effects": {"thickness": 1.8}, "sweep": [-1.5, 1.5]}])
    generator = Generator(model_copy, device="cpu")
    rotation, thickness = generator.continuous_codes
    assert (rotation.name, rotation.index, rotation.direction) == ("rotation", 0, -1)
    assert dict(rotation.effects) == {"slant": 2.5, "thickness": 0.3}
    assert thickness.direction == 1 and thickness.sweep == (-1.5, 1.5)
    assert rotation.range == generator.spec.continuous_range
    assert generator.directions == (-1, 1) and generator.continuous_names == ("rotation", "thickness")
    assert "slant +2.50 sd" in repr(rotation)


def test_a_flipped_code_is_negated_for_the_network_and_back(model_dir: Path, model_copy: Path) -> None:
    _codes(model_copy, [{"name": "rotation", "direction": -1}, {"name": "width"}])
    plain, flipped = Generator(model_dir, device="cpu"), Generator(model_copy, device="cpu")
    values = np.array([[0.7, -0.4], [-0.9, 0.9]], dtype=np.float32)
    mirrored = values * np.array([-1, 1], dtype=np.float32)
    drawn = flipped.generate(digits=[3, 5], continuous=values, seed=0)
    assert np.array_equal(drawn.continuous, values)  # users see their own values...
    assert np.array_equal(drawn.images, plain.generate(digits=[3, 5], continuous=mirrored, seed=0).images)
    assert not np.array_equal(drawn.images, plain.generate(digits=[3, 5], continuous=values, seed=0).images)
    # ...and the encoder reports in the same convention
    read_plain = Encoder(model_dir, device="cpu").infer(drawn.images, preprocess="none").continuous
    read_flipped = Encoder(model_copy, device="cpu").infer(drawn.images, preprocess="none").continuous
    assert np.allclose(read_flipped, read_plain * np.array([-1, 1], dtype=np.float32))
    swept = flipped.traverse(digit=3, code="rotation", values=[-1.0, 1.0], seed=1)
    assert np.array_equal(swept.continuous[:, 0], [-1.0, 1.0])


def test_rotated_axes_turn_users_values_into_the_networks_and_back(model_dir: Path, model_copy: Path) -> None:
    # code 0 = (network 0 - network 1) / sqrt 2, code 1 = the orthogonal mix, flipped by its direction
    half = 0.5 ** 0.5
    _codes(model_copy, [{"name": "rotation", "axis": [half, -half]},
                        {"name": "c1", "direction": -1, "axis": [half, half]}])
    plain, turned = Generator(model_dir, device="cpu"), Generator(model_copy, device="cpu")
    basis = np.array([[half, -half], [-half, -half]], dtype=np.float32)
    np.testing.assert_allclose(turned.basis, basis, atol=1e-7)
    assert [code.rotated for code in turned.continuous_codes] == [True, True] and turned.directions == (1, -1)
    assert not any(code.rotated for code in plain.continuous_codes)
    np.testing.assert_array_equal(plain.basis, np.eye(2, dtype=np.float32))
    values = np.array([[0.7, -0.4], [-0.9, 0.9], [1.0, 0.0]], dtype=np.float32)
    drawn = turned.generate(digits=[3, 5, 8], continuous=values, seed=0)
    assert np.array_equal(drawn.continuous, values)  # users see their own values...
    network = values @ basis
    np.testing.assert_allclose(network[2], [half, -half], atol=1e-7)  # rotation=1 is the mix the axis names
    # the network's values of a turned code may leave the users' range: -0.9, 0.9 feeds it -1.27
    assert np.array_equal(drawn.images, plain.generate(digits=[3, 5, 8], continuous=network, seed=0,
                                                       beyond_range=True).images)
    # ...and the encoder reads them back in the users' basis (the inverse is the transpose)
    read_plain = Encoder(model_dir, device="cpu").infer(drawn.images, preprocess="none").continuous
    read_turned = Encoder(model_copy, device="cpu").infer(drawn.images, preprocess="none").continuous
    np.testing.assert_allclose(read_turned, read_plain @ basis.T, atol=1e-6)
    np.testing.assert_allclose(read_turned @ basis, read_plain, atol=1e-6)


def test_thickness_keyword_sets_the_code_of_that_name(model_copy: Path, generator: Generator) -> None:
    _codes(model_copy, [{"name": "thickness"}, {"name": "c1"}])
    out = Generator(model_copy, device="cpu").generate(digits=[1, 2], thickness=0.75, seed=0)
    assert np.array_equal(out.continuous[:, 0], [0.75, 0.75])
    with pytest.raises(InvalidInputError, match="no continuous code named 'thickness'"):
        generator.generate(digits=1, thickness=1.0)  # the main fixture has rotation and width


@pytest.mark.parametrize("codes, message", [
    ([{"name": "rotation"}], "a list of 2 objects"),
    ([{"name": "rotation"}, {"name": "rotation"}], "names must be unique"),
    ([{"name": "rotation", "direction": 2}, {"name": "width"}], "'direction' 1 or -1, got 2"),
    ([{"name": "rotation", "direction": True}, {"name": "width"}], "'direction' 1 or -1"),
    ([{"name": "two words"}, {"name": "width"}], "a 'name' that is an identifier"),
    ([{"name": "rotation", "effects": {"slant": "big"}}, {"name": "width"}], "'effects' mapping measure names"),
    ([{"name": "rotation", "effects": {"slant": float("nan")}}, {"name": "width"}], "finite numbers"),
    ([{"name": "rotation", "sweep": [1]}, {"name": "width"}], "'sweep' as two numbers"),
    ([{"name": "rotation", "axis": [1.0]}, {"name": "width"}], "'axis' as 2 numbers"),
    ([{"name": "rotation", "axis": [1.0, "x"]}, {"name": "width"}], "'axis' as 2 numbers"),
    ([{"name": "rotation", "axis": [0.6, 0.8]}, {"name": "width"}], "axes must be orthonormal"),  # not orthogonal
    ([{"name": "rotation", "axis": [2.0, 0.0]}, {"name": "width", "axis": [0.0, 1.0]}], "axes must be orthonormal"),
])
def test_bad_code_entries_are_refused(model_copy: Path, codes: list[dict[str, object]], message: str) -> None:
    _codes(model_copy, codes)
    with pytest.raises(IncompatibleModelError, match=message):
        Encoder(model_copy, device="cpu")


def test_a_digit_score_and_its_threshold_give_is_digit(tmp_path: Path, model_dir: Path) -> None:
    from .tiny_models import MAIN_SPEC, REVERSED, build_model

    folder = build_model(tmp_path / "scored", MAIN_SPEC, REVERSED, ["rotation", "width"], digit_threshold=-0.95)
    blank, bar = np.zeros((28, 28), dtype=np.uint8), np.zeros((28, 28), dtype=np.uint8)
    bar[4:24, 12:16] = 255
    read = Encoder(folder, device="cpu").infer(np.stack([blank, bar]), preprocess="none")
    # the tiny score is the mean pixel in [-1, 1]: -1 for the blank image, -1 + 2 * 80 / 784 for the bar
    np.testing.assert_allclose(read.digit_score, [-1.0, -1.0 + 160 / 784], atol=1e-6)
    assert read.is_digit.tolist() == [False, True]
    # a black image with a score above the threshold is still not a digit: it has no ink
    lenient = build_model(tmp_path / "lenient", MAIN_SPEC, REVERSED, None, digit_threshold=-2.0)
    assert Encoder(lenient, device="cpu").infer(np.stack([blank, bar]), preprocess="none").is_digit.tolist() == \
        [False, True]
    assert read.to_records()[1]["is_digit"] is True and "digit_score" in read.to_records()[0]
    plain = Encoder(model_dir, device="cpu").infer(bar, preprocess="none")
    assert plain.digit_score is None and plain.is_digit is None and "is_digit" not in plain.to_records()[0]


def test_a_threshold_without_a_score_or_a_bad_threshold_is_refused(model_copy: Path, tmp_path: Path) -> None:
    from .tiny_models import MAIN_SPEC, REVERSED, build_model

    data = json.loads((model_copy / "manifest.json").read_text())
    write_manifest(model_copy, {**data, "not_a_digit": {"threshold": 0.5}})
    with pytest.raises(IncompatibleModelError, match="has no digit_score output"):
        Encoder(model_copy, device="cpu")
    folder = build_model(tmp_path / "scored", MAIN_SPEC, REVERSED, None, digit_threshold=0.0)
    data = json.loads((folder / "manifest.json").read_text())
    write_manifest(folder, {**data, "not_a_digit": {"threshold": "high"}})
    with pytest.raises(IncompatibleModelError, match="finite 'threshold'"):
        Encoder(folder, device="cpu")
    del data["not_a_digit"]
    write_manifest(folder, data)
    assert Encoder(folder, device="cpu").infer(np.zeros((28, 28), np.uint8), preprocess="none").is_digit is None


def test_infogan_infer_shows_is_digit_for_a_scored_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from infogan_sdk.cli import main

    from .tiny_models import MAIN_SPEC, REVERSED, build_model

    folder = build_model(tmp_path / "scored", MAIN_SPEC, REVERSED, ["rotation", "width"], digit_threshold=-0.95)
    bar = np.zeros((28, 28), dtype=np.uint8)
    bar[4:24, 12:16] = 255
    Image.fromarray(bar).save(tmp_path / "bar.png")
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(tmp_path / "blank.png")
    assert main(["infer", str(tmp_path / "bar.png"), str(tmp_path / "blank.png"), "--model", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "is_digit" and lines[1].split()[-1] == "yes" and lines[2].split()[-1] == "no"
    # a non-digit's best guess is bracketed in the table, not printed as a confident answer (issue 22, item 11)
    assert lines[2].split()[1].startswith("(") and lines[2].split()[2].startswith("(")
    assert not lines[1].split()[1].startswith("(")
    assert main(["infer", str(tmp_path / "bar.png"), "--model", str(folder), "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["is_digit"] is True
