"""The MNIST layer of a model folder: the digit vocabulary over the general one (`labels`).

Format 1 folders are MNIST models: their `code_to_digit` (code k draws digit code_to_digit[k]) becomes the first
categorical code's labels, the digits as text, and nothing else keeps it; `code_to_digit` reads it back from labels
for any model whose first code's labels are the digits "0".."k-1" in some order. Also MNIST's answer to "is this
one of mine" (`digit_answer`: the digit score, the not-a-digit threshold and some ink; the SDK reports it as
digit_score and is_digit, and as every model's domain_score and in_domain), and `digits=` read into the first code's
values.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import IncompatibleModelError, InvalidInputError
from infogan_sdk.latents.draw import integers
from infogan_sdk.loading.domain import Answer, threshold
from infogan_sdk.loading.labels import CategoricalCode, default_codes
from infogan_sdk.spec import DIGIT_SCORE, LatentSpec

DIGIT_CODE = "digit"  # the name of an MNIST model's first categorical code
INK = 64  # the faintest pixel that counts as ink for is_digit (MNIST strokes peak at 255)


def format1_labels(path: Path, data: dict[str, Any], spec: LatentSpec) -> tuple[CategoricalCode, ...]:
    """Format 1's `code_to_digit` (a permutation of 0..k-1, k the first code's size) as the codes' labels: the first
    code is "digit" labelled str(code_to_digit[value]); the others as `labels.default_codes`."""
    size, mapping = spec.digit_code_size, data.get("code_to_digit")
    if not isinstance(mapping, list) or len(mapping) != size \
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in mapping):
        raise IncompatibleModelError(f"{path}: code_to_digit must be a list of {size} integers, got "
                                     f"{reprlib.repr(mapping)}")
    if sorted(mapping) != list(range(size)):
        raise IncompatibleModelError(f"{path}: code_to_digit must be a permutation of 0..{size - 1}, got {mapping}")
    codes = default_codes(spec.categorical_sizes)
    if not codes:
        return codes
    return (CategoricalCode(DIGIT_CODE, 0, tuple(map(str, mapping))), *codes[1:])


def digit_codes(spec: LatentSpec, code_to_digit: Sequence[int], digits: Any) -> NDArray[np.int64]:
    """`digits=`: digits 0-9, an int or (M,) -> the first code's values (M, 1) through the inverse of code_to_digit.
    Raises InvalidInputError for a model that has no categorical code or whose first code is not digits."""
    if not spec.categorical_sizes:
        raise InvalidInputError("this model has no categorical code, so digits= cannot be used")
    if not code_to_digit:
        raise InvalidInputError("digits= is for MNIST models, whose first categorical code is digits; this model's "
                                "is not: pick its values by label or index with classes= (see categorical_codes)")
    values = integers(digits, "digits", (0, 1)).reshape(-1)
    bad = values[(values < 0) | (values >= len(code_to_digit))]
    if bad.size:
        raise InvalidInputError(f"digits must be from 0 to {len(code_to_digit) - 1}, got {bad.tolist()[:10]}")
    digit_to_code = np.argsort(np.asarray(code_to_digit))  # inverse permutation
    return np.asarray(digit_to_code[values].reshape(-1, 1), dtype=np.int64)


def refuse_mapping(path: Path, data: dict[str, Any]) -> None:
    """Format 2 names the first code's digits in its labels: a code_to_digit there would be a second copy."""
    if "code_to_digit" in data:
        raise IncompatibleModelError(f"{path}: code_to_digit is format 1's; format {data['format_version']} names "
                                     "the values in categorical_codes' labels")


def code_to_digit(codes: tuple[CategoricalCode, ...]) -> tuple[int, ...]:
    """code_to_digit[k]: the digit value k of the first code draws, when its labels are the digits "0".."k-1" in
    some order; () for a model whose first code is anything else (or that has none)."""
    if not codes:
        return ()
    labels = codes[0].labels
    if sorted(labels) != sorted(str(digit) for digit in range(len(labels))):
        return ()
    return tuple(int(label) for label in labels)


def digit_answer(manifest_path: Path, data: dict[str, Any], outputs: list[str]) -> Answer | None:
    """MNIST's answer to "is this one of mine": the encoder's digit score, at the manifest's `not_a_digit`
    threshold, and some ink (a blank image is never a digit); None for an encoder without a digit score. Raises
    IncompatibleModelError as `domain.threshold` does."""
    found = threshold(manifest_path, data, "not_a_digit", DIGIT_SCORE, DIGIT_SCORE in outputs)
    return Answer(DIGIT_SCORE, found, INK) if DIGIT_SCORE in outputs else None
