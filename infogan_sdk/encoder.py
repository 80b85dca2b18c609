"""`Encoder`: images -> InfoGAN codes (the Q network: each categorical code's class and probabilities, the continuous
codes) and realness (the discriminator); where the model has one, its "is this one of mine" answer (domain_score and
in_domain); on MNIST models the digit and the not-a-digit verdict too."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import IncompatibleModelError, InvalidInputError, shown
from infogan_sdk.images.convention import to_model
from infogan_sdk.images.decode import ImageInput
from infogan_sdk.images.files import FileInput
from infogan_sdk.images.fit import read_for_model, read_one
from infogan_sdk.images.walk import Unlisted, find
from infogan_sdk.loading.domain import Answer, domain_answer
from infogan_sdk.loading.folders import ModelBase
from infogan_sdk.loading.mnist import INK, digit_answer
from infogan_sdk.loading.sessions import chunks
from infogan_sdk.results import FileBatch, InferResult
from infogan_sdk.spec import (
    CATEGORICAL_LOGITS,
    CONTINUOUS_LOG_STD,
    CONTINUOUS_MEAN,
    DIGIT_SCORE,
    DOMAIN_SCORE,
    IMAGES,
    NOISE,
    REALNESS,
)


class Encoder(ModelBase):
    """Reads the digit, continuous codes and realness of images with an exported InfoGAN encoder.

    Encoder(model="mnist", *, device="auto", ...): the same construction arguments and errors as `Generator`
    (see `ModelBase`).

    >>> from infogan_sdk import Generator
    >>> pair = Generator().generate(digits=[7, 3], seed=0).to_pil()  # or photos and scans of digits
    >>> enc = Encoder()  # the bundled "mnist" model
    >>> result = enc.infer(pair)  # paths, bytes, PIL images, (H, W) or (N, H, W) grey arrays
    >>> result.digits, result.probabilities.shape
    (array([7, 3]), (2, 10))
    """

    _role = "encoder"

    def _check_session(self) -> None:
        spec, outputs = self.spec, self._session.outputs
        widths = {CATEGORICAL_LOGITS: spec.categorical_size, CONTINUOUS_MEAN: spec.n_continuous}
        required = [REALNESS, *(name for name, width in widths.items() if width > 0)]
        if list(self._session.inputs) != [IMAGES] or not set(required) <= set(outputs):
            raise IncompatibleModelError(f"{self.path}: the encoder must take {IMAGES!r} and output {required} "
                                         f"(optionally {CONTINUOUS_LOG_STD!r}), got inputs "
                                         f"{list(self._session.inputs)} and outputs {outputs}")
        shape = self._session.inputs[IMAGES]  # static dims must match the spec, or onnxruntime fails on every call
        if len(shape) != 4 or any(isinstance(got, int) and got != want
                                  for got, want in zip(shape[1:], spec.image_shape, strict=True)):
            raise IncompatibleModelError(f"{self.path}: the encoder's {IMAGES!r} input must be (batch, "
                                         f"{', '.join(map(str, spec.image_shape))}), got {shape}")
        optional = [name for name in (CONTINUOUS_LOG_STD, DIGIT_SCORE, DOMAIN_SCORE, NOISE) if name in outputs]
        self._outputs = [*required, *optional]
        self._widths = {**widths, REALNESS: 1, CONTINUOUS_LOG_STD: spec.n_continuous, DIGIT_SCORE: 1,
                        DOMAIN_SCORE: 1, NOISE: spec.noise_size}
        mnist = digit_answer(self.path, self._manifest.data, outputs)  # both read: each entry checked
        self._answer = mnist or domain_answer(self.path, self._manifest.data, outputs)
        self._digit_threshold = None if mnist is None else mnist.threshold
        self._code_ends = np.cumsum(spec.categorical_sizes)[:-1]  # where np.split cuts the logits into codes
        self._digit_of_code = np.asarray(self.code_to_digit, dtype=np.int64) if self.code_to_digit else None
        identity = self.code_to_digit in ((), tuple(range(len(self.code_to_digit))))
        self._digit_columns = None if identity else np.argsort(self.code_to_digit)  # digit d <- code argsort[d]
        self._labels = tuple(code.labels for code in self.categorical_codes)

    @property
    def has_noise(self) -> bool:
        """Whether `infer` reports noise (the encoder has a `noise` output), which `Generator.edit` needs."""
        return NOISE in self._outputs

    @property
    def realness_deprecated(self) -> str | None:
        """Why `infer(...).realness` means nothing for this model, when its manifest marks it deprecated (the bundled
        models: it tells real from generated no better than chance); None where realness is D's own verdict."""
        entry = self._manifest.data.get("realness")
        if not isinstance(entry, dict) or entry.get("deprecated") is not True:
            return None
        return str(entry.get("why") or "the manifest gives no reason")

    @property
    def has_domain_score(self) -> bool:
        """Whether `infer` reports domain_score (and in_domain, when the manifest has its threshold): the model's
        "is this one of mine" score, its digit score on MNIST models."""
        return self._answer is not None

    @property
    def domain_threshold(self) -> float | None:
        """The domain score at and above which `infer(...).in_domain` accepts an image (calibrated at export to reject
        1% of held-out training images: the manifest's `in_domain.threshold`, or MNIST's); None without one."""
        return None if self._answer is None else self._answer.threshold

    @property
    def has_digit_score(self) -> bool:
        """Whether `infer` reports digit_score (and is_digit, when the manifest has its threshold)."""
        return DIGIT_SCORE in self._outputs

    def infer(self, images: ImageInput | Sequence[ImageInput], preprocess: str = "auto") -> InferResult:
        """Read the codes of N images.

        images: a path, encoded bytes, a PIL image (any mode, colour included), a uint8 (or [0, 255] integer, or
        [0, 1] float) array, or a list mixing them. Grey models read grey arrays (H, W) (one image) or (N, H, W) (a
        batch); there an (H, W, 3) or (H, W, 4) colour array is refused as ambiguous: pass it as
        `PIL.Image.fromarray(array)`. RGB models read (H, W, 3) and (N, H, W, 3) arrays, and grey ones on three
        channels.
        preprocess: "auto" does what the model's manifest declares (`preprocess_mode`): "mnist-centre" (MNIST
        models: images of the model's size with a dark border pass through unchanged, others are MNIST-normalised:
        polarity, crop, fit, centre of mass) or "resize" (converted to the model's channels and scaled to its
        size); "mnist" (always centre; grey models) or "none" (the model's exact size, unchanged).
        Returns an InferResult (classes and their probabilities per categorical code, continuous codes, ...; on
        MNIST models digits int64 (N,) and probabilities float32 (N, 10) in digit order).
        Raises InvalidInputError naming the bad input.
        """
        pixels = self.preprocess(images, preprocess)
        parts = [(rows.stop - rows.start,
                  self._session.run(self._outputs, {IMAGES: to_model(pixels[rows], self.spec.pixel_range)}))
                 for rows in chunks(len(pixels), self.chunk_size)]
        raw: dict[str, NDArray[np.float32]] = {}
        for column, name in enumerate(self._outputs):
            values = [self._checked(name, outputs[column], count) for count, outputs in parts]
            raw[name] = values[0] if len(values) == 1 else np.concatenate(values)  # one chunk: no copy
        return self._result(raw, pixels)

    def preprocess(self, images: ImageInput | Sequence[ImageInput], preprocess: str = "auto") -> NDArray[np.uint8]:
        """The images as `infer` hands them to the network: uint8 (N, H, W) or (N, H, W, 3), decoded and
        preprocessed (images, preprocess: as `infer`). `infer(those, preprocess="none")` reads them exactly as
        `infer(images)` does. Raises InvalidInputError naming the bad input."""
        return read_for_model(images, self.spec.image_shape, self.preprocess_mode, preprocess)

    @property
    def digit_threshold(self) -> float | None:
        """The digit score at and above which `infer(...).is_digit` accepts an image with ink (calibrated at export
        to reject 1% of held-out MNIST digits; the manifest's `not_a_digit.threshold`); None without a score."""
        return self._digit_threshold

    def infer_files(self, paths: Iterable[FileInput], *, recursive: bool = False, chunk_size: int = 256,
                    skip_errors: bool = False, preprocess: str = "auto") -> Iterator[FileBatch]:
        """Read many image files lazily, `chunk_size` at a time: yields a FileBatch per chunk, in input order.

        paths: files, folders (their image files, sorted; subfolders too with `recursive`), globs, and
        (name, encoded image bytes) pairs; a folder or glob gives each file once and never enters a symlink to a
        folder (images.walk). skip_errors: record an unreadable file's error (or a folder's that cannot be listed;
        FIFOs and devices are refused unopened) in its batch and go on, instead of raising InvalidInputError
        naming it. Memory is bounded by the chunk (only `chunk_size` decoded images at a time), whatever the
        number of files.

        >>> for batch in Encoder().infer_files(["scans/"], skip_errors=True):  # doctest: +SKIP
        ...     print(batch.files, batch.errors, batch.result.digits if batch.result else None)
        """
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidInputError(f"chunk_size must be a positive integer, got {shown(chunk_size)}")
        items: Iterator[FileInput | Unlisted] = (found for item in paths for found in
                                                 ([item] if isinstance(item, tuple) else find([item], recursive)))
        ordinal = 0
        while chunk := list(islice(items, chunk_size)):
            names: list[str] = []
            errors: list[str | None] = []
            pixels = []
            for item in chunk:
                names.append(item.path if isinstance(item, Unlisted) else item[0] if isinstance(item, tuple)
                             else os.fspath(item))
                try:
                    if isinstance(item, Unlisted):  # a folder that could not be listed: an error like a bad file's
                        raise InvalidInputError(item.error)
                    name, source = item if isinstance(item, tuple) else (None, item)
                    pixels.append(read_one(source, self.spec.image_shape, self.preprocess_mode, preprocess,
                                           f"input {ordinal}", name))
                    errors.append(None)
                except InvalidInputError as error:
                    if not skip_errors:
                        raise
                    errors.append(str(error))
                ordinal += 1
            result = self.infer(np.concatenate(pixels), preprocess="none") if pixels else None
            yield FileBatch(tuple(names), tuple(errors), result)

    def _checked(self, name: str, value: NDArray[np.float32], count: int) -> NDArray[np.float32]:
        """One output of one chunk as (count, width), or IncompatibleModelError if its size is wrong."""
        width = self._widths[name]
        if value.size != count * width:
            raise IncompatibleModelError(f"{self.path}: encoder output {name!r} has shape {value.shape}, "
                                         f"expected {(count, width) if width > 1 else (count,)}")
        return value.reshape(count, width)

    def _result(self, raw: dict[str, NDArray[np.float32]], pixels: NDArray[np.uint8]) -> InferResult:
        # Few numpy calls on purpose: at batch 1 each costs about as much as a small layer of the network.
        n, sizes = len(pixels), self.spec.categorical_sizes
        probabilities, digits = np.zeros((n, 0), dtype=np.float32), np.full(n, -1, dtype=np.int64)
        per_code: tuple[NDArray[np.float32], ...] = ()
        if not sizes:
            codes = np.empty((n, 0), dtype=np.int64)
        else:
            logits = raw[CATEGORICAL_LOGITS]
            parts = np.split(logits, self._code_ends, axis=1) if len(sizes) > 1 else [logits]
            codes = np.stack([chunk.argmax(axis=1) for chunk in parts], axis=1) if len(sizes) > 1 \
                else logits.argmax(axis=1)[:, None]
            per_code = tuple(_softmax(chunk) for chunk in parts)
            probabilities = per_code[0]
            if self._digit_columns is not None:  # column d <- the code that stands for digit d
                probabilities = probabilities[:, self._digit_columns]
            if self._digit_of_code is not None:
                digits = self._digit_of_code[codes[:, 0]]
        log_std, answer = raw.get(CONTINUOUS_LOG_STD), self._answer
        score = None if answer is None else raw[answer.output][:, 0]
        accepted = None if answer is None or score is None else answer.decide(score, pixels)
        mnist = (score, accepted) if answer is not None and answer.output == DIGIT_SCORE else (None, None)
        continuous = raw.get(CONTINUOUS_MEAN, np.zeros((n, 0), dtype=np.float32))
        if self._basis is not None:  # the manifest's directions and axes: the network's values -> users'
            continuous = continuous @ self._basis.T
        return InferResult(
            digits=digits, probabilities=probabilities, codes=codes,
            continuous=continuous,
            continuous_std=None if log_std is None else np.exp(log_std),
            realness=raw[REALNESS][:, 0], images=pixels, continuous_names=self.continuous_names,
            digit_score=mnist[0], is_digit=mnist[1], domain_score=score, in_domain=accepted,
            noise=raw.get(NOISE), categorical_names=self.categorical_names, categorical_labels=self._labels,
            code_probabilities=per_code)


def _softmax(logits: NDArray[np.float32]) -> NDArray[np.float32]:
    """float32 (N, k) logits -> (N, k) probabilities, rows summing to 1."""
    probabilities: NDArray[np.float32] = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return probabilities


def decide_is_digit(digit_score: NDArray[np.float32], pixels: NDArray[np.uint8], threshold: float) -> NDArray[np.bool_]:
    """`InferResult.is_digit`: the score (N,) at or above the threshold, and some pixel of the (N, H, W) images as the
    encoder saw them at least INK. An image with no ink (blank, or all paper once preprocessing removed its noise) is
    never a digit, whatever the score of a black image is."""
    accepted = Answer(DIGIT_SCORE, threshold, INK).decide(digit_score, pixels)
    assert accepted is not None  # a threshold was given
    return accepted
