"""Any model's "is this one of mine" answer: domain_score and in_domain, from an encoder's domain_score output and
the manifest's in_domain threshold; MNIST models give theirs (digit_score, is_digit) under both names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infogan_sdk import Encoder, IncompatibleModelError
from infogan_sdk.cli import main as cli_main
from infogan_sdk.loading.manifest import write_manifest

from .test_encoder import planted
from .test_labels import as_format2
from .tiny_models import MAIN_SPEC, REVERSED, build_model

THRESHOLD = -0.95  # the tiny encoder's score is its mean pixel in [-1, 1]: a black image scores -1


@pytest.fixture
def general(tmp_path: Path) -> Path:
    """A format 2 model (no digits) whose encoder has a domain_score output, its threshold THRESHOLD."""
    return as_format2(build_model(tmp_path / "general", MAIN_SPEC, REVERSED, ["rotation", "width"],
                                  domain_threshold=THRESHOLD))


def images() -> np.ndarray:
    """A planted image (some ink: its mean pixel is above the threshold) and a black one (-1: below it)."""
    return np.stack([planted(3), np.zeros((28, 28), dtype=np.uint8)])


def test_a_general_model_reports_domain_score_and_in_domain_at_its_threshold(general: Path) -> None:
    encoder = Encoder(general, device="cpu", threads=1)
    assert encoder.has_domain_score and encoder.domain_threshold == THRESHOLD and not encoder.has_digit_score
    read = encoder.infer(images())
    assert read.domain_score is not None and read.domain_score.dtype == np.float32
    np.testing.assert_allclose(read.domain_score, read.realness, atol=1e-6)  # planted: a copy of realness
    assert read.in_domain is not None and read.in_domain.tolist() == [True, False]
    assert read.digit_score is None and read.is_digit is None  # MNIST's names are MNIST models' only
    record = read.to_records()[1]
    assert record["in_domain"] is False and record["domain_score"] == pytest.approx(-1.0, abs=1e-6)
    assert "is_digit" not in record and "digit_score" not in record
    assert "in_domain=[True, False]" in repr(read)


def test_without_a_threshold_the_score_comes_without_a_decision(general: Path) -> None:
    data = json.loads((general / "manifest.json").read_text())
    del data["in_domain"]
    write_manifest(general, data)
    read = Encoder(general, device="cpu", threads=1).infer(images())
    assert read.domain_score is not None and read.in_domain is None
    assert "domain_score" in read.to_records()[0] and "in_domain" not in read.to_records()[0]


def test_an_mnist_models_answer_is_its_digit_score_under_both_names(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "scored", MAIN_SPEC, REVERSED, None, digit_threshold=THRESHOLD)
    encoder = Encoder(folder, device="cpu", threads=1)
    assert encoder.has_domain_score and encoder.domain_threshold == encoder.digit_threshold == THRESHOLD
    read = encoder.infer(images())
    assert read.domain_score is read.digit_score and read.in_domain is read.is_digit
    assert read.is_digit is not None and read.is_digit.tolist() == [True, False]
    assert set(read.to_records()[0]) & {"domain_score", "in_domain", "digit_score", "is_digit"} == {
        "digit_score", "is_digit"}  # MNIST's records keep their names only
    assert "in_domain" not in repr(read)


def test_a_model_without_a_score_has_no_answer(encoder: Encoder) -> None:
    read = encoder.infer(images())
    assert not encoder.has_domain_score and encoder.domain_threshold is None
    assert read.domain_score is None and read.in_domain is None and "in_domain" not in read.to_records()[0]


@pytest.mark.parametrize(("entry", "message"), [
    ({"threshold": "high"}, "in_domain must be an object with a finite 'threshold', got"),
    ({"threshold": float("nan")}, "in_domain must be an object with a finite 'threshold'"),
    ([1], "in_domain must be an object with a finite 'threshold'"),
])
def test_a_bad_threshold_is_refused_naming_what_arrived(general: Path, entry: object, message: str) -> None:
    data = json.loads((general / "manifest.json").read_text())
    data["in_domain"] = entry
    write_manifest(general, data)
    with pytest.raises(IncompatibleModelError, match=message):
        Encoder(general, device="cpu", threads=1)


def test_a_threshold_without_the_output_is_refused(model_copy: Path) -> None:
    as_format2(model_copy, in_domain={"threshold": 0.0})
    refused = r"has a threshold \(in_domain\) but the encoder has no domain_score"
    with pytest.raises(IncompatibleModelError, match=refused):
        Encoder(model_copy, device="cpu", threads=1)


def test_the_cli_prints_the_answer_of_a_general_model(general: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    for index, image in enumerate(images()):
        Image.fromarray(image).save(tmp_path / f"{index}.png")
    files = [str(tmp_path / "0.png"), str(tmp_path / "1.png")]
    assert cli_main(["infer", "--model", str(general), *files, "--format", "jsonl", "-q"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["in_domain"] for row in rows] == [True, False] and rows[1]["domain_score"] == pytest.approx(-1.0)
    assert cli_main(["infer", "--model", str(general), *files, "--format", "csv", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "file,garment,p_garment,rotation,width,domain_score,in_domain,error"
    assert lines[2].endswith(",False,")
    assert cli_main(["infer", "--model", str(general), *files, "-q"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].endswith("in_domain") and table[1].endswith("yes") and table[2].endswith("no")
