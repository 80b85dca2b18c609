"""What a model's categorical codes are called: each code's name and one label per value (as diffusers' id2label),
from the manifest's `categorical_codes`.

A code the manifest does not name is "category<i>", its labels "0", "1", ... (its values). A caller picks a value by
its label ("sneaker") or by its index (an int, or a string such as "3" that is not a label): `CategoricalCode.value`
is that one rule, for the SDK, the CLI and the service.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import IncompatibleModelError, InvalidInputError, did_you_mean, shown
from infogan_sdk.latents.arguments import is_index

MAX_LABEL = 200  # characters: a label is a short name, not a document


@dataclass(frozen=True)
class CategoricalCode:
    """One categorical code: name (an identifier), index (its column in `codes` arrays), labels (labels[k] names
    value k; as many as the code has values)."""

    name: str
    index: int
    labels: tuple[str, ...]

    @property
    def size(self) -> int:
        """The number of values the code takes."""
        return len(self.labels)

    def value(self, given: object) -> int:
        """A label ("sneaker") or an index (3, "3") -> the code's value 0..size-1; a label wins over an index.
        Raises InvalidInputError naming the labels."""
        if isinstance(given, str):
            if given in self.labels:
                return self.labels.index(given)
            if not is_index(given):
                raise InvalidInputError(f"categorical code {self.name!r} has no label {shown(given)}"
                                        f"{did_you_mean(given, self.labels)}; its labels are {_listed(self.labels)}")
            given = int(given)
        if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given < self.size:
            raise InvalidInputError(f"categorical code {self.name!r} takes a label ({_listed(self.labels)}) or an "
                                    f"index from 0 to {self.size - 1}, got {shown(given)}")
        return given


def default_codes(sizes: Sequence[int]) -> tuple[CategoricalCode, ...]:
    """Codes the manifest does not name: "category<i>" with labels "0", "1", ..."""
    return tuple(CategoricalCode(f"category{index}", index, tuple(map(str, range(size))))
                 for index, size in enumerate(sizes))


def read_labels(path: Path, entries: Any, sizes: Sequence[int]) -> tuple[CategoricalCode, ...]:
    """The manifest's `categorical_codes` (None: `default_codes`), checked against the spec's categorical sizes:
    one {"name": identifier, "labels": [one distinct string per value]} per code, names distinct.
    Raises IncompatibleModelError naming what is wrong."""
    if entries is None:
        return default_codes(sizes)
    if not isinstance(entries, list) or len(entries) != len(sizes) or not all(isinstance(e, dict) for e in entries):
        raise IncompatibleModelError(f"{path}: categorical_codes must be a list of {len(sizes)} objects (one per "
                                     f"categorical code), got {reprlib.repr(entries)}")
    codes = tuple(_code(path, index, entry, size) for index, (entry, size) in enumerate(zip(entries, sizes,
                                                                                            strict=True)))
    names = [code.name for code in codes]
    if len(set(names)) != len(names):
        raise IncompatibleModelError(f"{path}: categorical code names must be distinct, got {names}")
    return codes


def _code(path: Path, index: int, entry: dict[str, Any], size: int) -> CategoricalCode:
    name, labels = entry.get("name", f"category{index}"), entry.get("labels", [str(k) for k in range(size)])
    if not isinstance(name, str) or not name.isidentifier():
        raise IncompatibleModelError(f"{path}: categorical code {index} needs a 'name' that is an identifier, got "
                                     f"{reprlib.repr(name)}")
    if not isinstance(labels, list) or len(labels) != size or not all(_label_ok(label) for label in labels) \
            or len(set(labels)) != size:
        raise IncompatibleModelError(f"{path}: categorical code {name!r} needs 'labels': {size} distinct printable "
                                     f"strings of 1 to {MAX_LABEL} characters (one per value), got "
                                     f"{reprlib.repr(labels)}")
    return CategoricalCode(name, index, tuple(labels))


def _label_ok(label: object) -> bool:
    return isinstance(label, str) and 0 < len(label) <= MAX_LABEL and label.isprintable() and label.strip() == label


def _listed(labels: Sequence[str]) -> str:
    return ", ".join(map(repr, labels[:12])) + (f" and {len(labels) - 12} more" if len(labels) > 12 else "")


def class_values(codes: Sequence[CategoricalCode], classes: Any) -> dict[int, NDArray[np.int64]]:
    """`generate(classes=...)` -> {code column: values (M,)}: a label or index (or a list of them, one per image) for
    the first code, or {code name: label, index or a list of them} for any codes. Raises InvalidInputError."""
    if not codes:
        raise InvalidInputError("this model has no categorical code, so classes= cannot be used")
    given = classes if isinstance(classes, Mapping) else {codes[0].name: classes}
    names = [code.name for code in codes]
    columns: dict[int, NDArray[np.int64]] = {}
    for name, values in given.items():
        if name not in names:
            raise InvalidInputError(f"this model has no categorical code named {shown(name)}{did_you_mean(name, names)}"
                                    f"; its codes are {names}")
        code = codes[names.index(name)]
        items = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
        if not items:
            raise InvalidInputError(f"classes for code {name!r} must not be empty")
        columns[code.index] = np.asarray([code.value(item.item() if isinstance(item, np.generic) else item)
                                          for item in items], dtype=np.int64)
    return columns
