"""`Encoder`: digit images -> InfoGAN codes (the Q network) and realness (the discriminator)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import IncompatibleModelError
from infogan_sdk.images import ImageInput, read_images, to_model
from infogan_sdk.loading import CHUNK_SIZE, DEFAULT_MODEL, ModelBase
from infogan_sdk.results import InferResult
from infogan_sdk.runtime import chunks
from infogan_sdk.spec import CATEGORICAL_LOGITS, CONTINUOUS_LOG_STD, CONTINUOUS_MEAN, IMAGES, REALNESS


class Encoder(ModelBase):
    """Reads the digit, continuous codes and realness of images with an exported InfoGAN encoder.

    Takes the same construction arguments as `Generator` (model, device, providers, provider_options,
    session_options, threads, variant, verify, chunk_size) and raises the same errors.

    >>> enc = Encoder()  # the bundled "mnist" model
    >>> result = enc.infer(["seven.png", "three.jpg"])  # photos, scans or 28x28 MNIST arrays
    >>> result.digits, result.probabilities.shape
    (array([7, 3]), (2, 10))
    """

    _role = "encoder"

    def __init__(self, model: str | os.PathLike[str] = DEFAULT_MODEL, device: str = "auto",
                 providers: Sequence[Any] | None = None, provider_options: Mapping[str, Any] | None = None,
                 session_options: Any = None, threads: int | None = None, variant: str | None = None,
                 verify: bool = True, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__(model, device, providers, provider_options, session_options, threads, variant, verify,
                         chunk_size)
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
        self._outputs = [*required, *([CONTINUOUS_LOG_STD] if CONTINUOUS_LOG_STD in outputs else [])]
        self._widths = {**widths, REALNESS: 1, CONTINUOUS_LOG_STD: spec.n_continuous}

    def infer(self, images: ImageInput | Sequence[ImageInput], preprocess: str = "auto") -> InferResult:
        """Read the codes of N images.

        images: a path, encoded bytes, a PIL image, a uint8 (or [0, 255] integer, or [0, 1] float) array
        (H, W) or (N, H, W), or a list mixing them; white-on-black or black-on-white.
        preprocess: "auto" (28x28 images with a dark border pass through unchanged, others are MNIST-
        normalised: polarity, crop, fit 20x20, centre of mass), "mnist" (always) or "none" (never).
        Returns an InferResult (digits int64 (N,), probabilities float32 (N, 10), ...).
        Raises InvalidInputError naming the bad input.
        """
        pixels = read_images(images, self.spec.image_shape[1:], preprocess)  # uint8 (N, H, W)
        n = len(pixels)
        raw = {name: np.empty((n, self._widths[name]), dtype=np.float32) for name in self._outputs}
        for rows in chunks(n, self.chunk_size):
            outputs = self._session.run(self._outputs, {IMAGES: to_model(pixels[rows], self.spec.pixel_range)})
            for name, value in zip(self._outputs, outputs, strict=True):
                expected = (rows.stop - rows.start, self._widths[name])
                if value.size != expected[0] * expected[1]:
                    raise IncompatibleModelError(f"{self.path}: encoder output {name!r} has shape {value.shape}, "
                                                 f"expected {expected if name != REALNESS else expected[:1]}")
                raw[name][rows] = value.reshape(expected)
        return self._result(raw, pixels)

    def _result(self, raw: dict[str, NDArray[np.float32]], pixels: NDArray[np.uint8]) -> InferResult:
        n, sizes = len(pixels), self.spec.categorical_sizes
        codes = np.empty((n, len(sizes)), dtype=np.int64)
        probabilities, digits = np.zeros((n, 0), dtype=np.float32), np.full(n, -1, dtype=np.int64)
        if sizes:  # slices and in-place ops: a few numpy calls, since batch-1 latency is mostly Python overhead
            logits, start = raw[CATEGORICAL_LOGITS], 0
            for column, size in enumerate(sizes):
                codes[:, column] = logits[:, start:start + size].argmax(axis=1)
                start += size
            digit_logits = logits[:, :sizes[0]].astype(np.float64)
            shifted = np.exp(digit_logits - digit_logits.max(axis=1, keepdims=True))
            shifted /= shifted.sum(axis=1, keepdims=True)  # softmax over the digit code's values
            probabilities = np.empty((n, sizes[0]), dtype=np.float32)
            probabilities[:, list(self.code_to_digit)] = shifted  # column code_to_digit[k] <- code k
            digits = np.asarray(self.code_to_digit, dtype=np.int64)[codes[:, 0]]
        log_std = raw.get(CONTINUOUS_LOG_STD)
        return InferResult(
            digits=digits, probabilities=probabilities, codes=codes,
            continuous=raw.get(CONTINUOUS_MEAN, np.zeros((n, 0), dtype=np.float32)),
            continuous_std=None if log_std is None else np.exp(log_std).astype(np.float32),
            realness=raw[REALNESS][:, 0], images=pixels)
