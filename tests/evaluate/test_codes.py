"""Naming and orienting continuous codes by what they measurably do, on a fake generator with planted codes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from evaluate.codes import CURVE, code_effects, describe_codes, meets_target, monotonic, name_codes
from infogan_sdk.spec import LatentSpec
from tests.evaluate.test_morphometrics import stroke

SPREAD = {"slant": {"mean": 0.0, "sd": 0.1}, "width": {"mean": 0.0, "sd": 2.0},
          "thickness": {"mean": 0.0, "sd": 0.5}, "length": {"mean": 0.0, "sd": 3.0}}


@dataclass
class Drawn:
    images: np.ndarray
    noise: np.ndarray


class PlantedGenerator:
    """Code 0 leans strokes LEFT when positive (a negative-direction rotation), code 1 does nothing, code 2
    thickens them (1 px per unit: smaller steps are within the measure's pixel noise); `mixed` instead plants
    the lean in code 0 + code 1 and the thickening in code 0 - code 1. Like the SDK, it turns users' values
    into its own with `basis` before drawing."""

    spec = LatentSpec(noise_size=2, categorical_sizes=(10,), n_continuous=3)

    def __init__(self, directions: tuple[int, ...] = (1, 1, 1), basis: np.ndarray | None = None,
                 mixed: bool = False, u_shaped: bool = False, tilted: bool = False) -> None:
        self.basis = np.diag(np.asarray(directions, dtype=np.float64)) if basis is None else basis
        self.mixed = mixed
        self.tilted = tilted  # lean and thickening on axes 30 degrees off codes 0 and 1: code 0 still named
        self.u_shaped = u_shaped  # code 2 thinnest at 0, thicker at both ends, more so at +2

    def generate(self, digits=None, categorical=None, count=None, continuous=None, noise=None, seed=None,
                 beyond_range=False) -> Drawn:
        n = len(digits) if digits is not None else len(categorical) if categorical is not None else count
        values = np.zeros((n, 3)) if continuous is None else np.asarray(continuous) @ self.basis
        cos, sin = np.cos(np.radians(30)), np.sin(np.radians(30))
        planted = [((v[0] + v[1]) / 2 ** 0.5, (v[0] - v[1]) / 2 ** 0.5) if self.mixed
                   else (2.4 * (cos * v[0] + sin * v[1]), cos * v[1] - sin * v[0]) if self.tilted
                   else (v[0], v[2]) for v in values]
        if self.u_shaped:
            planted = [(lean, abs(thick) + 0.5 * thick) for lean, thick in planted]
        images = np.stack([stroke(3.0 + 1.0 * thick, angle_deg=-12.0 * lean) for lean, thick in planted])
        return Drawn(images, np.zeros((n, 2), dtype=np.float32) if noise is None else noise)


@pytest.mark.slow  # 4-7 s of shape measures: the full suite runs it, a bare pytest not
def test_a_planted_negative_rotation_is_named_and_flipped_and_describing_again_keeps_it():
    codes = describe_codes(PlantedGenerator(), SPREAD, per_digit=2)
    assert [c["name"] for c in codes] == ["rotation", "c1", "thickness"]
    assert [c["direction"] for c in codes] == [-1, 1, 1]
    assert codes[0]["effects"]["slant"] > 1 and codes[2]["effects"]["thickness"] > 1  # in the new direction
    assert all(abs(v) < 0.2 for v in codes[1]["effects"].values())
    again = describe_codes(PlantedGenerator(directions=(-1, 1, 1)), SPREAD, per_digit=2)
    assert [c["direction"] for c in again] == [-1, 1, 1]  # the flip is not undone by a second description
    assert again[0]["effects"]["slant"] == pytest.approx(codes[0]["effects"]["slant"])
    assert meets_target(again, ("rotation", "thickness", "width"), 1.5, 3.0) == \
        {"rotation": True, "thickness": True, "width": False}
    assert [c["axis"] for c in codes] == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]  # nothing to turn


@pytest.mark.slow  # 4-7 s of shape measures: the full suite runs it, a bare pytest not
def test_a_code_is_named_only_if_its_measure_rises_at_every_point_of_the_sweep():
    plain = describe_codes(PlantedGenerator(), SPREAD, per_digit=1)
    assert plain[2]["name"] == "thickness" and plain[2]["curve"]["monotonic"] is True
    assert plain[2]["curve"]["points"] == list(CURVE) and len(CURVE) == 9
    rising = plain[2]["curve"]["sd"]["thickness"]
    assert all(b >= a for a, b in itertools.pairwise(rising)) and rising[-1] > rising[0] + 2
    leaning = plain[0]["curve"]["sd"]["slant"]  # direction -1: the curve is shown in the user's direction
    assert leaning[-1] - leaning[0] == pytest.approx(plain[0]["effects"]["slant"], rel=1e-3)
    codes = describe_codes(PlantedGenerator(u_shaped=True), SPREAD, per_digit=1)
    thickness = codes[2]["curve"]["sd"]["thickness"]
    assert thickness[-1] - thickness[0] > 1.5  # its ends alone would name it
    assert int(np.argmin(thickness)) == 4 and codes[2]["name"] == "c2" and codes[2]["curve"]["monotonic"] is None
    assert codes[0]["name"] == "rotation"


def test_monotonic_allows_small_steps_back_only():
    assert monotonic([0.0, 1.0, 0.95, 2.0]) and not monotonic([0.0, 1.0, 0.85, 2.0])
    assert not monotonic([2.0, 1.0, 0.0])


@pytest.mark.slow  # 4-7 s of shape measures: the full suite runs it, a bare pytest not
def test_codes_that_mix_two_measures_are_turned_until_each_moves_one():
    codes = describe_codes(PlantedGenerator(mixed=True), SPREAD, per_digit=1)  # planted strokes: no noise
    assert [c["name"] for c in codes] == ["rotation", "thickness", "c2"]
    axes = np.array([c["axis"] for c in codes]) * np.array([c["direction"] for c in codes])[:, None]
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-5)
    # the lean is planted in -(code 0 + code 1) / sqrt 2 (positive leans left), the thickening in code 0 - code 1
    np.testing.assert_allclose(axes[0], [-0.5 ** 0.5, -0.5 ** 0.5, 0.0], atol=0.07)  # within half a TURN_STEP
    np.testing.assert_allclose(axes[1], [0.5 ** 0.5, -0.5 ** 0.5, 0.0], atol=0.07)
    assert codes[0]["effects"]["slant"] > 1 and codes[1]["effects"]["thickness"] > 1
    assert abs(codes[0]["effects"]["thickness"]) < codes[0]["effects"]["slant"] / 3
    # describing the turned model again keeps its names and axes
    again = describe_codes(PlantedGenerator(basis=axes, mixed=True), SPREAD, per_digit=1)
    assert [c["name"] for c in again] == ["rotation", "thickness", "c2"]
    np.testing.assert_allclose([c["axis"] for c in again], [c["axis"] for c in codes], atol=1e-6)
    kept = describe_codes(PlantedGenerator(mixed=True), SPREAD, per_digit=1, turn_codes=False)  # known factors
    assert [c["axis"] for c in kept] == np.eye(3).tolist() and "rotation" not in [c["name"] for c in kept]


@pytest.mark.slow  # 4-7 s of shape measures: the full suite runs it, a bare pytest not
def test_a_named_code_is_turned_with_an_unnamed_one_when_that_names_both():
    plain = name_codes(code_effects(PlantedGenerator(tilted=True), SPREAD, per_digit=1))
    assert plain == ["rotation", "c1", "c2"]  # code 1 thickens and leans: not clean enough for a name
    codes = describe_codes(PlantedGenerator(tilted=True), SPREAD, per_digit=1)
    assert [c["name"] for c in codes] == ["rotation", "thickness", "c2"]
    axes = np.array([c["axis"] for c in codes]) * np.array([c["direction"] for c in codes])[:, None]
    # the lean is planted along (cos 30, sin 30) of codes 0 and 1 (positive leans left), the thickening across it
    np.testing.assert_allclose(axes[0], [-np.cos(np.radians(30)), -0.5, 0.0], atol=0.07)
    np.testing.assert_allclose(axes[1], [-0.5, np.cos(np.radians(30)), 0.0], atol=0.07)
    assert abs(codes[0]["effects"]["thickness"]) < codes[0]["effects"]["slant"] / 3


def test_names_need_one_sd_and_twice_every_other_named_effect():
    effects = [{"slant": 3.0, "width": 1.6, "thickness": 0.1, "length": 9.0},  # slant < 2x width: no name
               {"slant": 0.2, "width": -2.5, "thickness": 1.0, "length": 0.0},  # width 2.5 >= 2 x 1.0: width
               {"slant": 0.1, "width": 0.0, "thickness": 0.9, "length": 0.0},  # below 1 sd: no name
               {"slant": -4.0, "width": 0.5, "thickness": 1.9, "length": 0.0}]  # rotation (length is not compared)
    assert name_codes(effects) == ["c0", "width", "c2", "rotation"]
    # two codes qualify for one name: the stronger takes it
    assert name_codes([{"slant": 2.0, "width": 0, "thickness": 0}, {"slant": -3.0, "width": 0, "thickness": 0}]) \
        == ["c0", "rotation"]
    assert name_codes([{"width": 3.0}]) == ["c0"]  # a measure missing (blank images): never named
