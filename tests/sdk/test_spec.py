"""LatentSpec, the one latent contract: its validation, derived sizes and JSON round trip."""

from __future__ import annotations

import json

import pytest

from infogan_sdk import IncompatibleModelError, LatentSpec


def test_defaults_are_the_papers_mnist_layout() -> None:
    spec = LatentSpec()
    assert (spec.noise_size, spec.categorical_sizes, spec.n_continuous) == (62, (10,), 2)
    assert spec.latent_size == 74 and spec.categorical_size == 10 and spec.digit_code_size == 10
    assert list(spec.generator_inputs().items()) == [("noise", 62), ("categorical", 10), ("continuous", 2)]


def test_empty_parts_are_not_generator_inputs() -> None:
    spec = LatentSpec(noise_size=0, categorical_sizes=(), n_continuous=3)
    assert spec.generator_inputs() == {"continuous": 3} and spec.digit_code_size == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"noise_size": -1}, r"noise_size must be >= 0, got -1"),
    ({"categorical_sizes": (10, 1)}, r"categorical sizes must be >= 2, got \[10, 1\]"),
    ({"n_continuous": -2}, r"n_continuous must be >= 0, got -2"),
    ({"noise_size": 0, "categorical_sizes": (), "n_continuous": 0}, r"1 to 65536 values, got 0"),
    ({"noise_size": 1 << 17}, r"1 to 65536 values, got 131084"),
    ({"continuous_range": (1.0, -1.0)}, r"continuous_range must be finite float32 \(low, high\) with low < high"),
    ({"continuous_range": (0.0, float("inf"))}, r"continuous_range must be finite"),
    ({"pixel_range": (0.0, 0.0)}, r"pixel_range must be finite float32 .* got \(0.0, 0.0\)"),
    ({"image_shape": (1, 28)}, r"image_shape must be \(channels, height, width\)"),
    ({"image_shape": (1, 0, 28)}, r"each 1 to 4096, got \(1, 0, 28\)"),
    ({"noise_distribution": "cauchy"}, r"noise_distribution must be 'normal' or 'uniform', got 'cauchy'"),
])
def test_invalid_specs_are_refused_naming_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(IncompatibleModelError, match="invalid latent spec: .*" + message):
        LatentSpec(**changes)  # type: ignore[arg-type]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(IncompatibleModelError, match=r"noise_size must be >= 0.*; n_continuous must be >= 0"):
        LatentSpec(noise_size=-1, n_continuous=-1)


def test_json_round_trip() -> None:
    spec = LatentSpec(noise_size=5, categorical_sizes=(10, 3), n_continuous=1, continuous_range=(-2.0, 2.0),
                      noise_distribution="uniform")
    assert LatentSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.pop("pixel_range"), "must have exactly the keys"),
    (lambda d: d.update(extra=1), "must have exactly the keys"),
    (lambda d: d.update(noise_size=True), "expected an integer, got True"),
    (lambda d: d.update(noise_size=6.0), "expected an integer, got 6.0"),
    (lambda d: d.update(continuous_range=[0, "1"]), "expected two numbers"),
    (lambda d: d.update(continuous_range=[0]), r"expected \[low, high\]"),
    (lambda d: d.update(image_shape=[1, 28]), "malformed latent spec"),
    (lambda d: d.update(noise_distribution=1), "expected a string, got 1"),
])
def test_from_dict_refuses_malformed_json(edit: object, message: str) -> None:
    data = LatentSpec().to_dict()
    edit(data)  # type: ignore[operator]
    with pytest.raises(IncompatibleModelError, match=message):
        LatentSpec.from_dict(data)
    with pytest.raises(IncompatibleModelError, match=r"must have exactly the keys .* got list"):
        LatentSpec.from_dict([])
