"""What `Generator.generate` / `traverse` and `Encoder.infer` return: small frozen dataclasses of arrays.

The arrays are made read-only, so a result cannot change after the fact; copy one to edit it.
`to_records()` gives one plain dict per image (no images: they stay in `.images`), `to_json()` the same
as JSON, and `to_pandas()` a DataFrame when pandas is installed (imported only then).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.images.convention import grid, to_pil

SHOWN = 8  # values a repr shows before "..."
# InferResult's optional per-image fields, each None or an (N,) array: a record includes the ones present, and the
# model's answer under one pair of names: MNIST's (the first pair) where the result has them, else the general ones.
OPTIONAL_FIELDS: tuple[str, ...] = ("digit_score", "is_digit", "domain_score", "in_domain")
Result = TypeVar("Result", "GenerateResult", "InferResult")


class _Records:
    """to_json and to_pandas, both made from a result's to_records."""

    def to_records(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def to_json(self, indent: int | None = None) -> str:
        """`to_records()` as a JSON array."""
        return json.dumps(self.to_records(), indent=indent)

    def to_pandas(self) -> Any:
        """`to_records()` as a pandas DataFrame, one row per image (columns "continuous.<name>"; needs pandas)."""
        try:
            import pandas  # optional: not a dependency of the SDK
        except ImportError as error:
            raise ImportError("to_pandas() needs pandas: pip install pandas (or use to_records())") from error
        return pandas.json_normalize(self.to_records())


def _freeze(result: object) -> None:
    for value in vars(result).values():  # the dataclass's fields (vars: a few us cheaper than fields())
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        elif isinstance(value, tuple):  # code_probabilities: one array per code
            for part in value:
                if isinstance(part, np.ndarray):
                    part.setflags(write=False)


class _Classes:
    """The labels of a result's categorical codes (`codes` mapped through each code's labels)."""

    codes: NDArray[np.int64]
    categorical_names: tuple[str, ...]
    categorical_labels: tuple[tuple[str, ...], ...]

    @property
    def classes(self) -> NDArray[np.str_]:
        """str (N, n_categorical): the label of each categorical code's value (as the model's manifest names it,
        e.g. "sneaker"; "0", "1", ... for a code it does not name)."""
        labels = self.categorical_labels if len(self.categorical_labels) == self.codes.shape[1] else tuple(
            tuple(map(str, range(int(self.codes[:, j].max(initial=0)) + 1))) for j in range(self.codes.shape[1]))
        columns = [np.asarray(names)[self.codes[:, j]] for j, names in enumerate(labels)]
        return np.stack(columns, axis=1) if columns else np.empty((len(self.codes), 0), dtype=str)

    def _class_records(self) -> list[dict[str, str]]:
        names = self.categorical_names if len(self.categorical_names) == self.codes.shape[1] else tuple(
            f"category{j}" for j in range(self.codes.shape[1]))
        return [dict(zip(names, row, strict=True)) for row in self.classes.tolist()]


@dataclass(frozen=True, eq=False)
class GenerateResult(_Records, _Classes):
    """Images from `Generator.generate` or `Generator.traverse`, and the latent codes that made them.

    images: uint8 (N, H, W) grey (on MNIST 0 black background .. 255 white ink) or (N, H, W, 3) RGB, as the
        model draws them.
    digits: int64 (N,), MNIST models: the digit each categorical code stands for (code_to_digit applied); -1 if
        the model has no categorical code or its first code is not digits.
    codes: int64 (N, n_categorical), the raw categorical values fed to the generator; `classes` names them.
    continuous: float32 (N, n_continuous), the continuous codes.
    noise: float32 (N, noise_size), the incompressible noise.
    source: for `Generator.reconstruct` and `edit`, what the encoder read in the images given (an InferResult;
        its `images` are theirs as the encoder saw them); row i of the result redraws source row i, or row 0
        when one image was given for N edits. None for `generate` and `traverse`.
    reconstruction_error: float32 (N,), for `reconstruct`: 1 - the Pearson correlation between the pixels of
        each image as the encoder saw it and of its redrawing (0 redraws it exactly; a digit drawn as this
        model draws them is near 0.05, a letter or a photo far above); None otherwise.
    """

    images: NDArray[np.uint8]
    digits: NDArray[np.int64]
    codes: NDArray[np.int64]
    continuous: NDArray[np.float32]
    noise: NDArray[np.float32]
    continuous_names: tuple[str, ...] = ()  # the continuous codes' names, in column order ("c0", ... if not given)
    source: InferResult | None = None
    reconstruction_error: NDArray[np.float32] | None = None
    columns: int | None = None  # grid()'s default: a traverse is one row; None is ceil(sqrt(N))
    categorical_names: tuple[str, ...] = ()  # the categorical codes' names, in column order
    categorical_labels: tuple[tuple[str, ...], ...] = ()  # each categorical code's labels, labels[k] for value k

    def __post_init__(self) -> None:
        _freeze(self)

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        n, height, width = self.images.shape[:3]
        chosen = f"digits={_preview(self.digits)}" if (self.digits >= 0).any() or not self.codes.shape[1] else \
            f"classes={_preview(self.classes)}"
        return (f"GenerateResult({n} image{'s' * (n != 1)} {height}x{width}{' RGB' * (self.images.ndim == 4)}, "
                f"{chosen}, continuous {_names(self)}={_preview(self.continuous)})")

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per image: digit, codes (raw categorical values), continuous ({name: value}) and noise;
        classes ({code name: label}) for a model with categorical codes; reconstruction_error when the result has
        it."""
        names = _names(self)
        records = [{"digit": digit, "codes": codes, "continuous": dict(zip(names, continuous, strict=True)),
                    "noise": noise}
                   for digit, codes, continuous, noise in zip(self.digits.tolist(), self.codes.tolist(),
                                                              self.continuous.tolist(), self.noise.tolist(),
                                                              strict=True)]
        if self.codes.shape[1]:
            for record, classes in zip(records, self._class_records(), strict=True):
                record["classes"] = classes
        if self.reconstruction_error is not None:
            for record, error in zip(records, self.reconstruction_error.tolist(), strict=True):
                record["reconstruction_error"] = error
        return records

    def to_pil(self) -> list[Image.Image]:
        """The images as N PIL "L" (grey) or "RGB" images."""
        return to_pil(self.images)

    def grid(self, columns: int | None = None, padding: int = 2) -> Image.Image:
        """All images tiled row by row into one PIL "L" or "RGB" image, with `padding` black pixels around and
        between them.

        columns: default one row for a `traverse`, else ceil(sqrt(N)). One image comes back as it is (no padding),
        so a grid of one is the same picture as `to_pil()[0]`.
        """
        if len(self) == 1 and columns in (None, 1):
            return self.to_pil()[0]
        return grid(self.images, self.columns if columns is None else columns, padding)


@dataclass(frozen=True, eq=False)
class InferResult(_Records, _Classes):
    """What `Encoder.infer` read from N images.

    digits: int64 (N,), MNIST models: the most probable digit (code_to_digit applied); -1 for a model whose
        first categorical code is not digits.
    probabilities: float32 (N, k), the first categorical code's probabilities (rows sum to 1): column d is digit
        d's on MNIST models, value d's otherwise.
    codes: int64 (N, n_categorical), the most probable raw value of each categorical code; `classes` names them.
    code_probabilities: one float32 (N, size) per categorical code, column k the probability of value k.
    continuous: float32 (N, n_continuous), the estimated continuous codes (the Q network's means).
    continuous_std: float32 (N, n_continuous), their estimated standard deviations, or None when the
        model does not predict them.
    realness: float32 (N,), the discriminator's logit: > 0 looks like a real digit to it, < 0 generated.
        Deprecated for models whose manifest marks it (`Encoder.realness_deprecated`: the bundled models, whose
        encoder is a reader trained apart from D; there it tells real from generated no better than chance);
        use `digit_score` / `is_digit` there. The repr leaves it out.
    images: uint8 (N, H, W), the images exactly as the encoder saw them (after preprocessing).
    domain_score: float32 (N,), how much each image looks like the model's training images (minus a distance to
        the nearest class in the encoder's feature space: higher is more alike), or None for a model exported
        without one.
    in_domain: bool (N,), domain_score at or above the model's threshold (calibrated at export so that 1% of
        held-out training images fall below it; `Encoder.domain_threshold`); None without a score or threshold.
    digit_score, is_digit: MNIST models' names of domain_score and in_domain (the same arrays; a blank page is
        never a digit); None for other models. Their records use only these names.
    noise: float32 (N, noise_size), the generator noise that redraws each image with the codes read (its
        handwriting: `Generator.reconstruct` / `edit` use it), or None for a model whose encoder has no `noise`
        output.
    """

    digits: NDArray[np.int64]
    probabilities: NDArray[np.float32]
    codes: NDArray[np.int64]
    continuous: NDArray[np.float32]
    continuous_std: NDArray[np.float32] | None
    realness: NDArray[np.float32]
    images: NDArray[np.uint8]
    continuous_names: tuple[str, ...] = ()  # the continuous codes' names, in column order ("c0", ... if not given)
    digit_score: NDArray[np.float32] | None = None
    is_digit: NDArray[np.bool_] | None = None
    domain_score: NDArray[np.float32] | None = None
    in_domain: NDArray[np.bool_] | None = None
    noise: NDArray[np.float32] | None = None
    categorical_names: tuple[str, ...] = ()  # the categorical codes' names, in column order
    categorical_labels: tuple[tuple[str, ...], ...] = ()  # each categorical code's labels, labels[k] for value k
    code_probabilities: tuple[NDArray[np.float32], ...] = ()

    def __post_init__(self) -> None:
        _freeze(self)

    def __len__(self) -> int:
        return len(self.digits)

    @property
    def class_probability(self) -> NDArray[np.float32]:
        """float32 (N, n_categorical): the probability of each code's most probable value (its `classes` label)."""
        rows = np.arange(len(self))
        columns = [probabilities[rows, self.codes[:, j]] for j, probabilities in enumerate(self.code_probabilities)]
        return np.stack(columns, axis=1) if columns else np.zeros((len(self), 0), dtype=np.float32)

    def __repr__(self) -> str:
        n = len(self)
        if (self.digits >= 0).any() or not self.code_probabilities:
            chosen = self.probabilities[np.arange(n), self.digits] if self.probabilities.shape[1] else np.zeros(0)
            read = f"digits={_preview(self.digits)}, probability={_preview(chosen)}"
        else:
            read = f"classes={_preview(self.classes)}, probability={_preview(self.class_probability)}"
        return (f"InferResult({n} image{'s' * (n != 1)}, {read}, continuous {_names(self)}="
                f"{_preview(self.continuous)}"
                + ("" if self.is_digit is None else f", is_digit={_preview(self.is_digit)}")
                + ("" if self.in_domain is None or self.is_digit is not None else
                   f", in_domain={_preview(self.in_domain)}") + ")")

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per image: digit, probability (of that digit; None without a categorical code),
        probabilities (one per digit), codes, continuous ({name: value}), realness; continuous_std
        ({name: value}), each of OPTIONAL_FIELDS and noise (a list) only when the result has them (not None);
        classes ({code name: label}) and class_probabilities ({code name: probability of that label}) for a model
        with categorical codes."""
        names = _names(self)
        records = [{"digit": digit, "probability": row[digit] if row else None, "probabilities": row,
                    "codes": codes, "continuous": dict(zip(names, continuous, strict=True)), "realness": realness}
                   for digit, row, codes, continuous, realness in zip(
                       self.digits.tolist(), self.probabilities.tolist(), self.codes.tolist(),
                       self.continuous.tolist(), self.realness.tolist(), strict=True)]
        if self.continuous_std is not None:
            for record, std in zip(records, self.continuous_std.tolist(), strict=True):
                record["continuous_std"] = dict(zip(names, std, strict=True))
        if self.code_probabilities:
            chosen = self.class_probability.tolist()
            for record, classes, row in zip(records, self._class_records(), chosen, strict=True):
                record["classes"], record["class_probabilities"] = classes, dict(zip(classes, row, strict=True))
        named = OPTIONAL_FIELDS[:2] if self.digit_score is not None else OPTIONAL_FIELDS[2:]  # one pair of names
        for name in (*named, "noise"):
            values = getattr(self, name)
            if values is not None:
                for record, value in zip(records, values.tolist(), strict=True):
                    record[name] = value
        return records


def take(result: Result, rows: slice) -> Result:
    """Rows `rows` of a result, every per-image array sliced (views: nothing is copied); an edit's `source` too
    when it has a row per image (one image edited N times keeps its one row)."""
    changes: dict[str, Any] = {field.name: value[rows] for field in fields(result)
                               if isinstance(value := getattr(result, field.name), np.ndarray)}
    if isinstance(result, InferResult) and result.code_probabilities:
        changes["code_probabilities"] = tuple(part[rows] for part in result.code_probabilities)
    source = getattr(result, "source", None)
    if source is not None and len(source) == len(result):
        changes["source"] = take(source, rows)
    return replace(result, **changes)


def _names(result: GenerateResult | InferResult) -> tuple[str, ...]:
    width = result.continuous.shape[1]
    names = result.continuous_names
    return names if len(names) == width else tuple(f"c{index}" for index in range(width))


def _preview(values: NDArray[Any]) -> str:
    """The first SHOWN rows of an array, rounded, on one line."""
    head = values[:SHOWN]
    shown = np.round(head.astype(np.float64), 3).tolist() if head.dtype.kind == "f" else head.tolist()
    text = repr(shown)
    return text if len(values) <= SHOWN else f"{text[:-1]}, ... ({len(values)} in all)]"


@dataclass(frozen=True, eq=False)
class FileBatch:
    """One chunk of files: every file in input order, each one's error (None when read), and the results.

    result: one row per file whose error is None, in the same order; None when no file of the chunk was read.
    """

    files: tuple[str, ...]
    errors: tuple[str | None, ...]
    result: InferResult | None
