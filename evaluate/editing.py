"""Editing real digits, measured as users meet it: `Generator.reconstruct` and `edit` on MNIST test digits.

Reconstruction: how often the evaluator (the independent classifier, `evaluate/classifier.py`) reads the same
digit in an image and in its redrawing, and how closely their pixels correlate. Edits: `edit(code=+-1)` for each
named code, its own measure's change (slant for rotation, width, thickness; `evaluate/morphometrics.py`) in sd of
real MNIST test, from the original and from the reconstruction, and how often the evaluator still reads the
original's digit (and the reconstruction's: what the edit itself changed). Digit swaps: `edit(digit=d)` to
another digit, how often the evaluator reads d, and how the edit's slant and thickness follow the original's
(Pearson). Not a digit: the reconstruction error as a score on the not-a-digit corpus, beside the digit score,
and what requiring both would accept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaluate import not_digit
from evaluate.classifier import Evaluator
from evaluate.morphometrics import measure_batch
from infogan_sdk import Encoder, Generator
from infogan_sdk.encoder import decide_is_digit

MEASURE_OF = {"rotation": "slant", "width": "width", "thickness": "thickness"}  # a named code -> its measure
FOLLOWED = ("slant", "thickness")  # what a digit swap should keep of the original's handwriting


def editing(generator: Generator, encoder: Encoder, images: np.ndarray, labels: np.ndarray,
            spread: dict[str, dict[str, float]], per_kind: int, seed: int = 0, workers: int = 1,
            threshold: float | None = None) -> dict[str, Any] | None:
    """The editing figures on (N, 28, 28) MNIST test `images`, or None for a model without a noise output."""
    if not encoder.has_noise:
        return None
    evaluator = Evaluator()

    def read(pictures: np.ndarray) -> np.ndarray:
        return np.asarray(evaluator(pictures)[0].argmax(axis=1))

    said = read(images)
    redrawn = generator.reconstruct(images, preprocess="none")
    said_again = read(redrawn.images)
    assert redrawn.reconstruction_error is not None
    original, again = measure_batch(images, workers), measure_batch(redrawn.images, workers)
    report: dict[str, Any] = {"images": len(images), "reconstruction": {
        "evaluator_same_digit": float(np.mean(said_again == said)),
        "evaluator_reads_label": float(np.mean(said_again == labels)),
        "evaluator_reads_label_originals": float(np.mean(said == labels)),
        "pixel_correlation_median": float(np.median(1.0 - redrawn.reconstruction_error)),
        "reconstruction_error_median": float(np.median(redrawn.reconstruction_error)),
        "measure_change_sd": {name: _change(again[name], original[name], spread, name) for name in original}}}
    edits = {}
    for code in (name for name in generator.continuous_names if name in MEASURE_OF):
        measure = MEASURE_OF[code]
        for step in (1.0, -1.0):
            edited = generator.edit(images, continuous={code: step}, preprocess="none")
            after, said_edit = measure_batch(edited.images, workers)[measure], read(edited.images)
            edits[f"{code}{step:+g}"] = {
                "code": code, "step": step, "measure": measure,
                "change_sd": _change(after, original[measure], spread, measure),
                "change_sd_from_reconstruction": _change(after, again[measure], spread, measure),
                "digit_kept": float(np.mean(said_edit == said)),
                "digit_kept_reconstruction": float(np.mean(said_edit == said_again))}
    report["edits"] = edits
    targets = (said + np.random.default_rng(seed).integers(1, 10, len(images))) % 10  # always another digit
    swapped = generator.edit(images, digit=targets, preprocess="none")
    after_swap = measure_batch(swapped.images, workers)
    report["digit_swap"] = {"evaluator_reads_target": float(np.mean(read(swapped.images) == targets)),
                            "pearson": {name: _pearson(original[name], after_swap[name]) for name in FOLLOWED}}
    report["not_a_digit"] = _not_a_digit(generator, encoder, redrawn.reconstruction_error, per_kind, threshold)
    return report


def _change(after: np.ndarray, before: np.ndarray, spread: dict[str, dict[str, float]], measure: str) -> float:
    """The mean change of a measure (NaN where an image has no shape left out), in sd of real MNIST test."""
    return float(np.nanmean(after - before) / spread[measure]["sd"])


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    kept = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[kept], b[kept])[0, 1])


def _not_a_digit(generator: Generator, encoder: Encoder, digit_errors: np.ndarray, per_kind: int,
                 threshold: float | None) -> dict[str, Any]:
    """The negated reconstruction error as a digit-likeness score against the not-a-digit corpus (as users pass
    the images: preprocess "auto"), and with a digit score, what `is_digit` accepts alone and when a
    reconstruction error above its 99th percentile on the digits also rejects."""
    made = not_digit.corpus(per_kind)
    errors, decided = {}, {}
    for name, pictures in made.items():
        redrawn = generator.reconstruct(list(pictures))
        assert redrawn.reconstruction_error is not None and redrawn.source is not None
        errors[name] = redrawn.reconstruction_error
        scores = redrawn.source.digit_score
        if scores is not None and threshold is not None:
            decided[name] = decide_is_digit(scores, redrawn.source.images, threshold)
    report: dict[str, Any] = {"reconstruction_error": not_digit.separation(-digit_errors,
                                                                           {k: -v for k, v in errors.items()})}
    if decided:
        cut = float(-report["reconstruction_error"]["threshold"]["value"])  # the digits' 99th percentile
        report["is_digit_and_reconstruction"] = {
            "reconstruction_error_cut": cut,
            **{name: {"is_digit": float(decided[name].mean()),
                      "both": float((decided[name] & (errors[name] <= cut)).mean())} for name in made}}
    return report
