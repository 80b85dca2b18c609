"""Describe a model of any data set but MNIST, through the SDK (`describe` keeps MNIST's own card).

What the data set allows: with labels, Q accuracy on its test split (the first categorical code's values matched
to the classes, one to one, on a seeded sample of the train split: Hungarian for a model that learnt without
labels, and checked to be the identity for one that learnt them); with its evaluator (`classifier.evaluator_path`,
or one given), class control (the evaluator reads the asked class), the Frechet distance of its features beside
the train-vs-test floor, and the classifier score; always, what Q reads back of generated images and the
continuous codes named after the generic image measures (`evaluate.measures`), or left `c0`, `c1`, ...; for a model
with an in-domain answer, how well it tells its own test images from held-out kinds (`evaluate.domain`).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from evaluate import codes as code_measures
from evaluate import disentanglement, domain
from evaluate.classifier import Evaluator, evaluator_path
from evaluate.scores import Sizes, class_mapping, quality, read_back, reading
from imagedata import DataSet, default_options, open_source
from infogan_sdk import Encoder, Generator, IncompatibleModelError

logger = logging.getLogger(__name__)


def describe_any(model: str | os.PathLike[str], data: DataSet, sizes: Sizes | None = None, seed: int = 0,
                 workers: int = 1, supervised: bool = False, evaluator: Path | None = None) -> dict[str, Any]:
    """Mapping, continuous codes and evaluation of a model folder trained on `data`, as the manifest keeps them.

    evaluator: the data set's evaluator ONNX file (default: the shipped one for the data set's name, if any).
    Raises IncompatibleModelError when the model draws images of another shape than the data set's."""
    started, sizes = time.perf_counter(), sizes or Sizes()
    generator, encoder = Generator(model, device="cpu"), Encoder(model, device="cpu")
    if tuple(generator.spec.image_shape) != data.image_shape:
        raise IncompatibleModelError(f"{generator.path} draws {list(generator.spec.image_shape)} (channels, height, "
                                     f"width) images, but data set {data.source!r} holds {list(data.image_shape)}")
    labelled = data.train.labels is not None and bool(generator.spec.categorical_sizes)
    code_to_class = _mapping(encoder, data, sizes.mapping_images, seed) if labelled else None
    family = code_measures.generic(data.image_shape[0])
    spread = code_measures.real_spread(data.test.images[: sizes.spread_images], workers, family)
    family = code_measures.measurable(family, spread)
    factor_names = disentanglement.known_factors(data)  # codes named after them keep the network's axes
    described_codes = code_measures.describe_codes(generator, spread, sizes.per_digit, seed, workers, family,
                                                   turn_codes=not factor_names)
    evaluation: dict[str, Any] = {"data": {key: data.describe()[key] for key in ("name", "source", "counts")}}
    if code_to_class is not None:
        assert data.test.labels is not None  # labelled
        evaluation.update(reading(encoder, data.test.images, data.test.labels, code_to_class, data.classes))
    evaluation.update(_samples(generator, encoder, data, code_to_class, _evaluator(data, evaluator), sizes.samples,
                               seed))
    basis = np.asarray([np.asarray(code["axis"]) * code["direction"] for code in described_codes])  # the new codes
    factors = disentanglement.of_data_set(encoder, data, disentanglement.Sizes.scaled(sizes.factor_points), seed,
                                          basis if len(basis) else None)
    if factors is not None:  # a data set with known factors: its codes are named after them
        described_codes = _named_after_factors(described_codes, factors,
                                               {code.name for code in generator.categorical_codes})
        evaluation["disentanglement"] = factors
    answer = domain.in_domain(encoder, data, sizes.held_out_images, seed)
    if answer is not None:  # a model exported with a domain score and its threshold
        evaluation["in_domain"] = answer
    evaluation.update({"measures_real_test": spread, "sizes": sizes.__dict__, "seed": seed,
                       "seconds": round(time.perf_counter() - started, 1)})
    identity = code_to_class is not None and list(code_to_class) == list(range(len(code_to_class)))
    description: dict[str, Any] = {
        "mapping": {"method": "identity (checked)" if supervised and identity else "hungarian",
                    "labelled_images": sizes.mapping_images if labelled else 0,
                    "source": f"{data.name} train split, seeded sample" if labelled else "no labels",
                    "code_to_class": None if code_to_class is None else [int(c) for c in code_to_class]},
        "continuous_codes": described_codes, "evaluation": evaluation}
    if code_to_class is not None and generator.info.get("format_version", 1) >= 2:
        description["categorical_codes"] = _labelled(generator, code_to_class, data.class_names)
    return description


def model_data_set(model: Generator, source: str | None, data_dir: str | None) -> DataSet | None:
    """The data set to describe `model` on: `source`, else its manifest's `data` source; None for MNIST's card
    (either names mnist, or the manifest names none: a format 1 folder, an MNIST model)."""
    described = model.info.get("data")
    source = source or (described.get("source") if isinstance(described, dict) else None)
    if source in (None, "mnist"):
        return None
    channels, height, width = model.spec.image_shape
    size = height if height == width else None
    return open_source(source, default_options(size=size, channels=channels,  # folders and packed bits: cached
                                               data_dir=None if data_dir is None else Path(data_dir)))



def _named_after_factors(codes: list[dict[str, Any]], factors: dict[str, Any],
                         reserved: set[str]) -> list[dict[str, Any]]:
    """Continuous codes renamed after the known factor each one alone holds (`disentanglement.factor_names`), each
    turned to rise with its factor; a measure's name that a factor took goes back to c<i>. A factor that names a
    categorical code (`reserved`: dSprites' shape) names no continuous one. `factors` (the disentanglement table)
    gets the new names too."""
    found = [None if name in reserved else name for name in
             disentanglement.factor_names(np.asarray(factors["information"]), factors["factors"], len(codes))]
    taken = {name for name in found if name is not None}
    named = []
    for i, (code, factor) in enumerate(zip(codes, found, strict=True)):
        if factor is not None:
            rises = factors["correlation"][i][factors["factors"].index(factor)] >= 0
            code = {**code, "name": factor, "direction": code["direction"] * (1 if rises else -1)}
        elif code["name"] in taken:
            code = {**code, "name": f"c{code['index']}"}
        named.append(code)
    factors["codes"] = [code["name"] for code in named] + factors["codes"][len(codes):]
    return named

def _mapping(encoder: Encoder, data: DataSet, count: int, seed: int) -> np.ndarray:
    """code_to_class from a seeded sample of `count` labelled train images."""
    assert data.train.labels is not None
    pick = np.sort(np.random.default_rng(seed).permutation(len(data.train))[:count])
    return class_mapping(encoder, np.asarray(data.train.images[pick]), data.train.labels[pick], data.classes)


def _evaluator(data: DataSet, given: Path | None) -> Evaluator | None:
    """The data set's evaluator (checked to read its classes and shape), or None where it has none."""
    path = given or evaluator_path(data.name)
    if not path.is_file() or data.train.labels is None:
        logger.warning("no evaluator for data set %r (%s): no class control or Frechet distance; python -m "
                       "evaluate.train_classifier --data %s --out FILE trains one", data.name, path, data.source)
        return None
    evaluator = Evaluator(path)
    if tuple(evaluator.image_shape) != data.image_shape or int(evaluator.data["classes"]) != data.classes:
        raise IncompatibleModelError(f"evaluator {path} reads {list(evaluator.image_shape)} images of "
                                     f"{evaluator.data['classes']} classes; data set {data.source!r} has "
                                     f"{list(data.image_shape)} images of {data.classes} classes")
    return evaluator


def _samples(generator: Generator, encoder: Encoder, data: DataSet, code_to_class: np.ndarray | None,
             evaluator: Evaluator | None, samples: int, seed: int) -> dict[str, Any]:
    """Class control and sample quality by the evaluator; what Q reads back. With a mapping, the asked classes are
    those the code's values stand for, in turn."""
    raw_codes = wanted = None
    if code_to_class is not None:
        drawn = sorted(set(int(c) for c in code_to_class))
        wanted = np.asarray(drawn)[np.arange(samples) % len(drawn)]
        first = {int(c): k for k, c in reversed(list(enumerate(code_to_class)))}  # class -> its first value
        raw_codes = np.asarray([first[int(c)] for c in wanted])
    elif generator.spec.categorical_sizes:  # no labels: every value in turn
        raw_codes = np.arange(samples) % generator.spec.categorical_sizes[0]
    made = generator.generate(categorical=raw_codes, count=None if raw_codes is not None else samples, seed=seed)
    found: dict[str, Any] = {"generated_images": samples, "mean_pixel": float(made.images.mean() / 255),
                             "mean_pixel_real": float(data.test.images.mean() / 255),
                             **read_back(encoder, made, raw_codes)}
    if evaluator is None:
        return found
    logits, scored = quality(evaluator, made.images, np.asarray(data.test.images), data.train.images, seed)
    found.update(scored)
    if wanted is not None:
        said = logits.argmax(1)
        found["class_control"] = float(np.mean(said == wanted))
        found["class_control_per_class"] = {str(c): float(np.mean(said[wanted == c] == c)) for c in np.unique(wanted)}
    return found


def _labelled(generator: Generator, code_to_class: np.ndarray, class_names: tuple[str, ...] | None) -> list[Any]:
    """The manifest's `categorical_codes` with the first code's labels saying which class each value draws (a class
    that two values draw gets the value's index after it, since labels are distinct)."""
    entries = [dict(entry) for entry in generator.info.get("categorical_codes") or
               [{"name": f"category{i}", "labels": [str(k) for k in range(size)]}
                for i, size in enumerate(generator.spec.categorical_sizes)]]
    names = [class_names[c] if class_names is not None else str(c) for c in code_to_class]
    entries[0]["labels"] = [name if names.count(name) == 1 else f"{name} ({k})" for k, name in enumerate(names)]
    return entries
