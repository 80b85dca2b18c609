"""GenerateResult and InferResult: readable reprs, to_records / to_json / to_pandas, optional fields."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from infogan_sdk import Encoder, Generator, InferResult


def test_generate_result_repr_shows_what_was_made(generator: Generator) -> None:
    text = repr(generator.generate(digits=[7, 7, 1], rotation=0.5, width=-0.25, seed=0))
    assert text.startswith("GenerateResult(3 images 28x28, digits=[7, 7, 1], continuous ('rotation', 'width')=")
    assert "[0.5, -0.25]" in text and "array" not in text and len(text) < 200


def test_long_results_are_shortened_in_the_repr(generator: Generator) -> None:
    text = repr(generator.generate(count=100, seed=0))
    assert "... (100 in all)]" in text and len(text) < 400


def test_generate_records_are_plain_python_per_image(generator: Generator) -> None:
    out = generator.generate(digits=[3, 8], rotation=[0.5, -0.5], seed=1)
    records = out.to_records()
    assert [r["digit"] for r in records] == [3, 8]
    assert records[0]["continuous"]["rotation"] == 0.5 and records[1]["continuous"]["rotation"] == -0.5
    assert records[0]["codes"] == out.codes[0].tolist() and len(records[0]["noise"]) == 4
    assert json.loads(out.to_json()) == records  # plain types only: a JSON round trip changes nothing


def test_infer_records_name_the_codes_and_omit_what_is_absent(encoder: Encoder, generator: Generator) -> None:
    result = encoder.infer(generator.generate(digits=[2, 5], seed=0).images)
    records = result.to_records()
    assert [r["digit"] for r in records] == result.digits.tolist() == [2, 5]
    assert records[0]["probability"] == pytest.approx(float(result.probabilities[0, 2]))
    assert sum(records[1]["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert set(records[0]["continuous"]) == {"rotation", "width"} == set(records[0]["continuous_std"])
    assert records[0]["realness"] == pytest.approx(float(result.realness[0]))
    without_std = dataclasses.replace(result, continuous_std=None)
    assert "continuous_std" not in without_std.to_records()[0]  # None fields are left out, not null


def test_infer_repr_shows_digits_probabilities_and_not_realness(encoder: Encoder, generator: Generator) -> None:
    text = repr(encoder.infer(generator.generate(digits=[2, 5], seed=0).images))
    assert text.startswith("InferResult(2 images, digits=[2, 5], probability=[")
    assert "continuous ('rotation', 'width')=[[" in text and "<" not in text
    assert "realness" not in text  # issue 40: deprecated in the bundled models, so out of the summary


def test_to_pandas_has_one_row_per_image(encoder: Encoder, generator: Generator) -> None:
    pandas = pytest.importorskip("pandas")
    frame = encoder.infer(generator.generate(digits=[1, 4, 9], seed=2).images).to_pandas()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 3
    assert frame["digit"].tolist() == [1, 4, 9] and "continuous.rotation" in frame.columns


def test_results_without_names_fall_back_to_c_numbers() -> None:
    result = InferResult(np.array([1]), np.eye(10, dtype=np.float32)[[1]], np.array([[1]]),
                         np.zeros((1, 2), np.float32), None, np.zeros(1, np.float32), np.zeros((1, 28, 28), np.uint8))
    assert result.to_records()[0]["continuous"] == {"c0": 0.0, "c1": 0.0}
