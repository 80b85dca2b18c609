"""describe() through the SDK on a planted model: the leaning code is named rotation and flipped, and stays so."""

from __future__ import annotations

import json

import pytest

from evaluate.__main__ import main
from evaluate.describe import Sizes, describe, write_description
from evaluate.morphometrics import measure_batch
from export.digit_score import calibrate
from infogan_sdk import Generator
from mnist_data.files import load_mnist
from tests.evaluate.planted import planted_model

pytestmark = pytest.mark.slow  # reads MNIST, measures a few hundred images


def test_a_planted_negative_direction_code_is_named_rotation_and_flipped(tmp_path):
    folder = planted_model(tmp_path / "planted")
    described = describe(folder, sizes=Sizes.quick())
    rotation, other = described["continuous_codes"]
    assert (rotation["name"], rotation["direction"]) == ("rotation", -1)
    assert rotation["effects"]["slant"] > 1.0 and other["name"] == "c1"
    write_description(folder, described, "test")
    generator = Generator(folder, device="cpu")
    assert generator.directions == (-1, 1)
    slants = [measure_batch(generator.generate(digits=[3] * 4, rotation=value, seed=0, beyond_range=True).images)[
        "slant"].mean() for value in (-1.5, 1.5)]
    assert slants[1] > slants[0] + 0.3  # rotation=+1.5 now leans right, as in every model
    again = describe(folder, sizes=Sizes.quick())  # describing the described model changes nothing
    assert [(c["name"], c["direction"]) for c in again["continuous_codes"]] == [("rotation", -1), ("c1", 1)]


def test_the_cli_writes_json_and_the_manifest(tmp_path, capsys):
    folder = planted_model(tmp_path / "planted")
    assert main([str(folder), "--quick", "--json", str(tmp_path / "out.json"), "--write", "--workers", "1"]) == 0
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["continuous_codes"][0]["name"] == "rotation" and written["command"].startswith("python -m evaluate")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["continuous_codes"] == written["continuous_codes"]
    assert manifest["evaluation"]["robustness"].keys() == written["evaluation"]["robustness"].keys()
    assert main([str(tmp_path / "missing")]) == 1 and "error" in capsys.readouterr().err


def test_a_scored_model_reports_what_is_digit_accepts_of_every_robustness_kind(tmp_path):
    plain = describe(planted_model(tmp_path / "plain"), sizes=Sizes.quick())["evaluation"]
    assert "robustness_is_digit" not in plain and plain["not_a_digit"].get("is_digit") is None
    folder = planted_model(tmp_path / "scored", digit_score=True)
    calibrated = calibrate(folder, load_mnist("train")[0])
    assert calibrated is not None
    threshold = calibrated["threshold"]
    scored = describe(folder, sizes=Sizes.quick(), threshold=threshold)
    accepted = scored["evaluation"]["robustness_is_digit"]
    assert accepted.keys() == scored["evaluation"]["robustness"].keys()
    # the tiny score is the mean pixel in [-1, 1]; the threshold rejects 1% of held-out train digits, so most
    # real digits pass, and a digit blurred or thickened has more ink (a higher score) than the plain one
    assert -1.0 < threshold < 0.0
    assert scored["evaluation"]["not_a_digit"]["is_digit"]["threshold"]["value"] == threshold
    assert accepted["plain"] >= 0.9 and accepted["thicker"] >= accepted["plain"]
    assert all(0.0 <= value <= 1.0 for value in accepted.values())
