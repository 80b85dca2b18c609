"""What `Generator.generate` / `traverse` and `Encoder.infer` return: small frozen dataclasses of arrays,
and the grid tiling of generated images.

The arrays are made read-only, so a result cannot change after the fact; copy one to edit it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.errors import InvalidInputError
from infogan_sdk.images import to_pil


def _freeze(result: object) -> None:
    for value in vars(result).values():  # the dataclass's fields (vars: a few us cheaper than fields())
        if isinstance(value, np.ndarray):
            value.setflags(write=False)


@dataclass(frozen=True, eq=False)
class GenerateResult:
    """Images from `Generator.generate` or `Generator.traverse`, and the latent codes that made them.

    images: uint8 (N, H, W), 0 black background .. 255 white ink.
    digits: int64 (N,), the digit each categorical code stands for (code_to_digit applied); -1 if the model
        has no categorical code.
    codes: int64 (N, n_categorical), the raw categorical values fed to the generator.
    continuous: float32 (N, n_continuous), the continuous codes.
    noise: float32 (N, noise_size), the incompressible noise.
    """

    images: NDArray[np.uint8]
    digits: NDArray[np.int64]
    codes: NDArray[np.int64]
    continuous: NDArray[np.float32]
    noise: NDArray[np.float32]

    def __post_init__(self) -> None:
        _freeze(self)

    def __len__(self) -> int:
        return len(self.images)

    def to_pil(self) -> list[Image.Image]:
        """The images as N PIL "L" images."""
        return to_pil(self.images)

    def grid(self, columns: int | None = None, padding: int = 2) -> Image.Image:
        """All images tiled row by row into one PIL "L" image (default ceil(sqrt(N)) columns, black gaps)."""
        return grid(self.images, columns, padding)


@dataclass(frozen=True, eq=False)
class InferResult:
    """What `Encoder.infer` read from N images.

    digits: int64 (N,), the most probable digit (code_to_digit applied).
    probabilities: float32 (N, n_digits); column d is the probability of digit d; rows sum to 1.
    codes: int64 (N, n_categorical), the most probable raw value of each categorical code.
    continuous: float32 (N, n_continuous), the estimated continuous codes (the Q network's means).
    continuous_std: float32 (N, n_continuous), their estimated standard deviations, or None when the
        model does not predict them.
    realness: float32 (N,), the discriminator's logit: > 0 looks like a real digit to it, < 0 generated.
    images: uint8 (N, H, W), the images exactly as the encoder saw them (after preprocessing).
    """

    digits: NDArray[np.int64]
    probabilities: NDArray[np.float32]
    codes: NDArray[np.int64]
    continuous: NDArray[np.float32]
    continuous_std: NDArray[np.float32] | None
    realness: NDArray[np.float32]
    images: NDArray[np.uint8]

    def __post_init__(self) -> None:
        _freeze(self)

    def __len__(self) -> int:
        return len(self.digits)


def grid(images: NDArray[np.uint8], columns: int | None = None, padding: int = 2) -> Image.Image:
    """uint8 (N, H, W) -> one PIL "L" image tiling them row by row (default ceil(sqrt(N)) columns), black gaps."""
    n, height, width = images.shape
    columns = math.ceil(math.sqrt(n)) if columns is None else columns
    for name, value, low in (("columns", columns, 1), ("padding", padding, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 1000:
            raise InvalidInputError(f"{name} must be an integer from {low} to 1000, got {value!r}")
    rows = max(1, math.ceil(n / columns))
    canvas = np.zeros((rows * (height + padding) + padding, columns * (width + padding) + padding), np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[top:top + height, left:left + width] = image
    return Image.fromarray(canvas)
