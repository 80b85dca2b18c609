"""Reading the caller's raw categorical codes, continuous values and noise into batch-first arrays, checked.

Each function returns an array with a batch axis of length M (1 broadcasts to the batch) or None when the
argument was not given; `latents.draw` fills in the rest. `check_range` and `check_change` are the one place that
refuses continuous codes outside the range the model was trained on (the JavaScript package mirrors them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import InvalidInputError, did_you_mean, shown
from infogan_sdk.latents.draw import Floats, floats, integers
from infogan_sdk.spec import LatentSpec


def is_index(text: str) -> bool:
    """Is `text` a code's index as a caller writes one ("0", "12")? ASCII 0-9 only and at most 6 of them:
    str.isdigit() also accepts "²" and "①", which int() refuses."""
    return text.isascii() and text.isdigit() and len(text) <= 6


def categorical(spec: LatentSpec, codes: Any) -> NDArray[np.int64] | None:
    """Raw codes, (M,) or (M, n_categorical) -> codes (M, k), or None."""
    if codes is None:
        return None
    if not spec.categorical_sizes:
        raise InvalidInputError("this model has no categorical code, so categorical= cannot be used")
    raw = integers(codes, "categorical", (0, 1, 2))
    raw = raw.reshape(-1, 1) if raw.ndim < 2 else raw
    sizes = spec.categorical_sizes
    if raw.shape[1] not in (1, len(sizes)):
        raise InvalidInputError(f"categorical must have shape (N,) or (N, {len(sizes)}) (categorical sizes "
                                f"{list(sizes)}), got {raw.shape}")
    for column in range(raw.shape[1]):
        bad = raw[:, column][(raw[:, column] < 0) | (raw[:, column] >= sizes[column])]
        if bad.size:
            raise InvalidInputError(f"categorical code {column} takes values 0 to {sizes[column] - 1}, "
                                    f"got {shown(bad.tolist())}")
    return raw


def continuous(names: Sequence[str], values: Any, named: Mapping[str, Floats | None]) -> dict[int, NDArray[np.float32]]:
    """An (M, n) / (n,) array or a {name: value or (M,) values} mapping, plus named keywords -> {column: (M,)}."""
    given = {name: value for name, value in named.items() if value is not None}
    columns: dict[int, NDArray[np.float32]] = {}
    if isinstance(values, Mapping):
        duplicated = sorted(set(values) & set(given))
        if duplicated:
            raise InvalidInputError(f"continuous code(s) {duplicated} given twice (in continuous= and as keywords)")
        given = {**values, **given}
    elif values is not None:
        if given:
            raise InvalidInputError(f"continuous= as an array sets every code; do not also pass {sorted(given)}")
        array = floats(values, "continuous", (1, 2))
        array = array.reshape(1, -1) if array.ndim == 1 else array
        if array.shape[1] != len(names):
            raise InvalidInputError(f"continuous must have shape (N, {len(names)}) or ({len(names)},) (codes "
                                    f"{list(names)}), got {np.shape(values)}")
        return {column: array[:, column] for column in range(len(names))}
    for name, value in given.items():
        if name not in names:
            raise InvalidInputError(f"this model has no continuous code named {shown(name)}"
                                    f"{did_you_mean(name, names)}; its codes are {list(names)}")
        columns[names.index(name)] = floats(value, f"continuous code {name!r}", (0, 1)).reshape(-1)
    return columns


BEYOND = "beyond_range=True (infogan: --beyond-range; service: \"beyond_range\": true)"  # how to ask for it


def check_range(names: Sequence[str], trained: Sequence[tuple[float, float]],
                columns: Mapping[int, NDArray[np.float32]], beyond_range: bool) -> None:
    """InvalidInputError for a given continuous value (`columns`: {column: (M,)}) outside its code's `trained` range
    (ContinuousCode.range, one per column), unless `beyond_range`: images there are extrapolations the model never
    learnt (blobs, broken strokes)."""
    if _allowed(beyond_range):
        return
    for column, values in sorted(columns.items()):
        low, high = trained[column]
        outside = values[(values < low) | (values > high)]
        if outside.size:
            more = f" (and {outside.size - 1} more of the {values.size} values given)" if outside.size > 1 else ""
            raise InvalidInputError(f"{names[column]}={float(outside[0]):g}{more} is outside the range this model was "
                                    f"trained on, [{low:g}, {high:g}]: give values from {low:g} to {high:g}, or ask "
                                    f"to go beyond it with {BEYOND}")


def check_change(names: Sequence[str], trained: Sequence[tuple[float, float]],
                 columns: Mapping[int, NDArray[np.float32]], beyond_range: bool) -> None:
    """InvalidInputError for an edit's change (`columns`: {column: (M,) added values}) wider than its code's trained
    range itself, unless `beyond_range`: such a change leaves the range from any code read in it."""
    if _allowed(beyond_range):
        return
    for column, values in sorted(columns.items()):
        low, high = trained[column]
        too_far = values[np.abs(values) > high - low]
        if too_far.size:
            raise InvalidInputError(f"changing {names[column]} by {float(too_far[0]):+g} moves it further than the "
                                    f"range this model was trained on, [{low:g}, {high:g}], is wide ({high - low:g}), "
                                    f"so the edit leaves that range whatever the image: change it by at most "
                                    f"{high - low:g}, or ask to go beyond it with {BEYOND}")


def _allowed(beyond_range: object) -> bool:
    if not isinstance(beyond_range, (bool, np.bool_)):
        raise InvalidInputError(f"beyond_range must be True or False, got {shown(beyond_range)}")
    return bool(beyond_range)


def noise(spec: LatentSpec, value: Any) -> NDArray[np.float32] | None:
    """Noise (M, noise_size) or (noise_size,) -> (M, noise_size), or None."""
    if value is None:
        return None
    array = floats(value, "noise", (1, 2))
    array = array.reshape(1, -1) if array.ndim == 1 else array
    if array.shape[1] != spec.noise_size:
        raise InvalidInputError(f"noise must have shape (N, {spec.noise_size}), got {np.shape(value)}")
    return array
