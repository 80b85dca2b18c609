"""Manifest format 2: per-code labels (names and labels of the categorical codes), preprocess and data; format 1
folders read as MNIST models whose code_to_digit is the first code's labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infogan_sdk import Encoder, Generator, IncompatibleModelError, InvalidInputError
from infogan_sdk.loading.manifest import load_manifest, write_manifest

from .test_encoder import planted
from .tiny_models import REVERSED

FASHION = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def as_format2(folder: Path, **changes: object) -> Path:
    """The tiny MNIST-style folder rewritten as format 2 (no code_to_digit), with `changes`."""
    data = json.loads((folder / "manifest.json").read_text())
    del data["code_to_digit"]
    data.update({"format_version": 2, "preprocess": "resize",
                 "categorical_codes": [{"name": "garment", "labels": FASHION}],
                 "data": {"name": "fashion", "class_names": FASHION, "image_shape": [1, 28, 28]}, **changes})
    write_manifest(folder, {key: value for key, value in data.items() if value is not None})
    return folder


def test_a_format1_folder_is_an_mnist_model_whose_digits_are_the_first_codes_labels(model_dir: Path) -> None:
    manifest = load_manifest(model_dir)
    assert manifest.format_version == 1 and manifest.preprocess == "mnist-centre"
    (code,) = manifest.categorical
    assert code.name == "digit" and code.labels == tuple(map(str, REVERSED))
    generator = Generator(model_dir, device="cpu", threads=1)
    assert generator.code_to_digit == tuple(REVERSED) and generator.categorical_names == ("digit",)
    result = generator.generate(digits=[3, 8], seed=0)
    assert result.codes[:, 0].tolist() == [6, 1] and result.classes[:, 0].tolist() == ["3", "8"]
    assert generator.generate(classes=["3", 8], seed=0).codes[:, 0].tolist() == [6, 8]  # a label; an int is an index
    assert result.to_records()[0]["classes"] == {"digit": "3"} and result.to_records()[0]["digit"] == 3


def test_format2_labels_name_each_value_for_generate_and_infer(model_copy: Path) -> None:
    as_format2(model_copy)
    generator = Generator(model_copy, device="cpu", threads=1)
    assert generator.code_to_digit == () and generator.preprocess_mode == "resize"
    assert generator.categorical_codes[0].labels == tuple(FASHION)
    result = generator.generate(classes=["sneaker", "bag", 0], seed=0)
    assert result.codes[:, 0].tolist() == [7, 8, 0] and result.digits.tolist() == [-1, -1, -1]
    assert result.classes[:, 0].tolist() == ["sneaker", "bag", "t-shirt/top"]
    assert generator.generate(classes={"garment": "coat"}, count=2, seed=1).codes[:, 0].tolist() == [4, 4]
    assert "classes=[['sneaker']" in repr(result)
    with pytest.raises(InvalidInputError, match=r"digits= is for MNIST models.*classes="):
        generator.generate(digits=3)
    with pytest.raises(InvalidInputError, match=r"no label 'snekaer'.*did you mean 'sneaker'"):
        generator.generate(classes="snekaer")
    with pytest.raises(InvalidInputError, match="no categorical code named 'class'"):
        generator.generate(classes={"class": "bag"})
    with pytest.raises(InvalidInputError, match="index from 0 to 9, got 10"):
        generator.generate(classes=10)
    encoder = Encoder(model_copy, device="cpu", threads=1)
    read = encoder.infer(np.stack([planted(7), planted(2)]))
    assert read.classes[:, 0].tolist() == ["sneaker", "pullover"] and read.digits.tolist() == [-1, -1]
    assert read.code_probabilities[0].shape == (2, 10)
    assert np.allclose(read.class_probability[:, 0], read.code_probabilities[0].max(axis=1), atol=1e-6)
    record = read.to_records()[0]
    assert record["classes"] == {"garment": "sneaker"} and 0 < record["class_probabilities"]["garment"] <= 1


def test_format2_digit_labels_are_the_digit_vocabulary(model_copy: Path) -> None:
    as_format2(model_copy, categorical_codes=[{"name": "digit", "labels": [str(d) for d in REVERSED]}])
    generator = Generator(model_copy, device="cpu", threads=1)
    assert generator.code_to_digit == tuple(REVERSED)
    assert generator.generate(digits=2, seed=0).codes[0, 0] == 7


def test_format2_without_categorical_codes_names_them_by_index(model_copy: Path) -> None:
    as_format2(model_copy, categorical_codes=None, preprocess=None)
    manifest = load_manifest(model_copy)
    assert manifest.categorical[0].name == "category0" and manifest.categorical[0].labels[:3] == ("0", "1", "2")
    assert manifest.preprocess == "resize"


@pytest.mark.parametrize(("changes", "message"), [
    ({"categorical_codes": [{"name": "a", "labels": FASHION[:9]}]}, "10 distinct printable strings"),
    ({"categorical_codes": [{"name": "a", "labels": ["x"] * 10}]}, "10 distinct"),
    ({"categorical_codes": [{"name": "not a name", "labels": FASHION}]}, "an identifier"),
    ({"categorical_codes": [{"name": "a"}, {"name": "b"}]}, "a list of 1 objects"),
    ({"categorical_codes": {"name": "a"}}, "a list of 1 objects"),
    ({"code_to_digit": list(range(10))}, "code_to_digit is format 1's"),
    ({"preprocess": "centre"}, "preprocess must be one of"),
    ({"data": ["fashion"]}, "data must be the data set's description"),
    ({"format_version": 3}, "newer than this SDK reads"),
])
def test_bad_format2_manifests_are_refused(model_copy: Path, changes: dict[str, object], message: str) -> None:
    as_format2(model_copy, **changes)
    with pytest.raises(IncompatibleModelError, match=message):
        load_manifest(model_copy)
