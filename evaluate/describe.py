"""Describe an exported model once, through the SDK: the code-to-digit mapping, the continuous codes' names and
directions, and every figure of the model card. `write_description` is the one writer of those manifest keys.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from evaluate import codes as code_measures
from evaluate import not_digit, robustness
from evaluate.classifier import Evaluator
from evaluate.editing import editing
from evaluate.general import describe_any
from evaluate.scores import Sizes, class_mapping, quality, read_back, reading
from imagedata import DataSet
from infogan_sdk import Encoder, Generator
from infogan_sdk.encoder import decide_is_digit
from infogan_sdk.loading.manifest import load_manifest, write_manifest
from mnist_data.files import load_mnist

# not_a_digit is export's; a general description's categorical_codes (the labels from its mapping) replace the
# manifest's when it has them, and are left alone when it has none
DESCRIBED_KEYS = ("code_to_digit", "mapping", "continuous_codes", "evaluation")
FAINT_PEAK = 0.8  # a sample whose brightest pixel is below this fraction of full scale is faint


def describe(model: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None, sizes: Sizes | None = None,
             seed: int = 0, workers: int = 1, supervised: bool = False,
             threshold: float | None = None) -> dict[str, Any]:
    """Mapping, continuous codes and evaluation of a model folder (or bundled name), as the manifest keeps them.

    supervised: the model was trained with labels, so code k must stand for digit k (checked by the caller).
    threshold: the is_digit threshold to measure at (default the manifest's, calibrated at export).
    """
    started, sizes = time.perf_counter(), sizes or Sizes()
    generator, encoder = Generator(model, device="cpu"), Encoder(model, device="cpu")
    train_images, train_labels = load_mnist("train", data_dir)
    test_images, test_labels = load_mnist("test", data_dir)
    pick = np.random.default_rng(seed).permutation(len(train_images))[: sizes.mapping_images]
    code_to_digit = class_mapping(encoder, train_images[pick], train_labels[pick])
    spread = code_measures.real_spread(test_images[: sizes.spread_images], workers)
    described_codes = code_measures.describe_codes(generator, spread, sizes.per_digit, seed, workers)
    threshold = encoder.digit_threshold if threshold is None else threshold
    evaluation = {
        **reading(encoder, test_images, test_labels, code_to_digit),
        **_samples(generator, encoder, test_images, train_images, code_to_digit, sizes.samples, seed),
        "measures_real_mnist_test": spread,
        "codes_target": code_measures.meets_target(described_codes, ("rotation", "width", "thickness"), 1.5, 3.0),
        **robustness.robustness(encoder, test_images, test_labels, code_to_digit, sizes.robustness_images, seed,
                                threshold),
        "not_a_digit": _not_a_digit(encoder, test_images, sizes.not_digit_per_kind, threshold, sizes.held_out_images),
        "sizes": sizes.__dict__, "seed": seed,
    }
    rows = robustness.seeded_sample(len(test_images), sizes.edit_images, seed)  # the robustness suite's digits
    edited = editing(generator, encoder, test_images[rows], test_labels[rows], spread, sizes.not_digit_per_kind,
                     seed, workers, threshold)
    if edited is not None:  # models whose encoder infers the noise too
        evaluation["editing"] = edited
    evaluation["seconds"] = round(time.perf_counter() - started, 1)
    return {"code_to_digit": [int(d) for d in code_to_digit],
            "mapping": {"method": "identity (checked)" if supervised else "hungarian",
                        "labelled_images": sizes.mapping_images, "source": "MNIST train split, seeded sample"},
            "continuous_codes": described_codes, "evaluation": evaluation}


def describe_model(model: str | os.PathLike[str], data: DataSet | None = None, sizes: Sizes | None = None,
                   seed: int = 0, workers: int = 1, supervised: bool = False,
                   data_dir: str | os.PathLike[str] | None = None, evaluator: Path | None = None) -> dict[str, Any]:
    """The description of a model of any data set: `describe` for MNIST's (data None or named "mnist", read from
    `data_dir`), `general.describe_any` for the others (`evaluator`: that data set's evaluator file)."""
    if data is None or data.name == "mnist":
        return describe(model, data_dir, sizes, seed, workers, supervised)
    return describe_any(model, data, sizes, seed, workers, supervised, evaluator)


def write_description(folder: str | os.PathLike[str], description: dict[str, Any], command: str) -> None:
    """Store a description in the folder's manifest (atomically), replacing what an earlier one wrote."""
    manifest = load_manifest(Path(folder))
    data = {key: value for key, value in manifest.data.items() if key not in DESCRIBED_KEYS}
    data.update(description)
    data["evaluation"] = {**description["evaluation"], "command": command}
    write_manifest(manifest.path, data)


def _samples(generator: Generator, encoder: Encoder, test_images: np.ndarray, train_images: np.ndarray,
             code_to_digit: np.ndarray, samples: int, seed: int) -> dict[str, Any]:
    """Digit control and sample quality read by the evaluator; L_I and the continuous codes' R^2 read by Q."""
    wanted = np.arange(samples) % 10
    raw_codes = np.argsort(code_to_digit)[wanted]  # the categorical value that stands for each wanted digit
    made = generator.generate(categorical=raw_codes, seed=seed)
    logits, scored = quality(Evaluator(), made.images, test_images, train_images, seed)
    said = logits.argmax(1)
    back = read_back(encoder, made, raw_codes)
    peaks = made.images.reshape(samples, -1).max(axis=1)
    return {"digit_control": float(np.mean(said == wanted)),
            "faint_fraction": float(np.mean(peaks < FAINT_PEAK * 255)), "mean_ink": float(made.images.mean() / 255),
            "mean_ink_real": float(test_images.mean() / 255),
            "digit_control_per_digit": [float(np.mean(said[wanted == d] == d)) for d in range(10)],
            "digit_read_back": back["read_back"], "frechet_distance": scored["frechet_distance"],
            "frechet_distance_real_floor": scored["frechet_distance_real_floor"],
            "classifier_score": scored["classifier_score"], "info_bound_categorical": back["info_bound_categorical"],
            "continuous_r2": back["continuous_r2"], "generated_images": samples,
            "evaluator_test_accuracy": scored["evaluator_test_accuracy"]}


def _not_a_digit(encoder: Encoder, test_images: np.ndarray, per_kind: int, threshold: float | None,
                 held_out_images: int = 0) -> dict[str, Any]:
    """How well each of the encoder's scores separates MNIST test from the not-a-digit corpus; with a digit score,
    also what the shipped decision (`is_digit`, at the calibrated threshold) accepts."""
    def scores(images: list[np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
        result = encoder.infer(list(images) if isinstance(images, list) else images)
        found = {"max_probability": result.probabilities.max(axis=1), "realness": result.realness}
        if result.digit_score is not None:  # models exported with a not-a-digit score
            found["digit_score"] = result.digit_score
        if result.digit_score is not None and threshold is not None:  # the SDK's own decision at the threshold
            found["is_digit"] = decide_is_digit(result.digit_score, result.images, threshold).astype(np.float64)
        return found

    held_out = {name: images[: held_out_images or None] for name, images in not_digit.held_out().items()}
    digits, made = scores(test_images), {**not_digit.corpus(per_kind), **held_out}
    corpus = {name: scores(images) for name, images in made.items()}
    report: dict[str, Any] = {"categories": {name: len(images) for name, images in made.items()},
                              "held_out": list(held_out)}
    for score in (name for name in digits if name != "is_digit"):
        report[score] = not_digit.separation(digits[score], {name: values[score] for name, values in corpus.items()})
    if "is_digit" in digits:
        accepted = {name: {"accepted": float(values["is_digit"].mean())} for name, values in corpus.items()}
        report["is_digit"] = {"threshold": {"value": threshold, "digits_accepted": float(digits["is_digit"].mean())},
                              **accepted}
    return report
