"""The one image convention at the SDK's boundary, and every conversion to and from it.

Users see uint8 (N, H, W) grey arrays (on MNIST: 0 black background, 255 white ink) or (N, H, W, 3) RGB arrays, or
PIL "L" / "RGB" images, as the model's spec says; the models see float32 (N, C, H, W) in the spec's pixel_range.
Reading the encoder's inputs (files, bytes, PIL images, arrays) into that convention is `infogan_sdk.images.fit`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.errors import InvalidInputError, shown


def to_model(images: NDArray[np.uint8], pixel_range: tuple[float, float]) -> NDArray[np.float32]:
    """uint8 (N, H, W) or (N, H, W, 3) in [0, 255] -> float32 (N, 1, H, W) or (N, 3, H, W) in pixel_range."""
    low, high = pixel_range
    first = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)  # a view: channels first
    values: NDArray[np.float32] = np.multiply(first, np.float32((high - low) / 255.0), dtype=np.float32, order="C")
    return np.add(values, np.float32(low), out=values)  # in place: one float32 array per call


def from_model(values: NDArray[np.float32], pixel_range: tuple[float, float]) -> NDArray[np.uint8]:
    """float32 (N, 1, H, W) or (N, 3, H, W) in pixel_range -> uint8 (N, H, W) or (N, H, W, 3), clipped; NaN
    becomes 0 (black)."""
    low, high = pixel_range
    last = values[:, 0] if values.shape[1] == 1 else values.transpose(0, 2, 3, 1)  # a view: channels last
    scaled: NDArray[np.floating[Any]] = last - np.float32(low)  # the one new array; the rest in place
    scaled /= np.float32(high - low)
    np.fmin(np.fmax(scaled, 0.0, out=scaled), 1.0, out=scaled)  # fmax ignores NaN: NaN -> 0 (black), -inf -> 0
    scaled *= np.float32(255.0)
    np.rint(scaled, out=scaled)  # round half to even, as np.round
    return scaled.astype(np.uint8, order="C")


def pixel_correlation(a: NDArray[Any], b: NDArray[Any]) -> NDArray[np.float64]:
    """Pearson's correlation over the pixels of each pair of images of `a` and `b` (N, ...): (N,); 0 where an
    image is flat (a blank page correlates with nothing)."""
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    spread = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return np.asarray((a * b).sum(axis=1) / np.maximum(spread, 1e-12))


def to_pil(images: NDArray[np.uint8]) -> list[Image.Image]:
    """uint8 (N, H, W) or (N, H, W, 3) -> N PIL "L" or "RGB" images."""
    return [Image.fromarray(image) for image in images]


def grid(images: NDArray[np.uint8], columns: int | None = None, padding: int = 2,
         background: int = 0) -> Image.Image:
    """uint8 (N, H, W) or (N, H, W, 3) -> one PIL "L" or "RGB" image tiling them row by row (default
    ceil(sqrt(N)) columns), with `padding` pixels of grey `background` (0 black .. 255 white) around and between
    the cells."""
    n, height, width = images.shape[:3]
    columns = math.ceil(math.sqrt(n)) if columns is None else columns
    shape = grid_shape(n, height, width, columns, padding)
    _check_integer("background", background, 0, 255)
    canvas = np.full(shape + images.shape[3:], background, np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[top:top + height, left:left + width] = image
    return Image.fromarray(canvas)


def grid_shape(n: int, height: int, width: int, columns: int, padding: int) -> tuple[int, int]:
    """(height, width) in pixels of `grid` for n images of height x width; checks columns and padding (so a caller
    can refuse a grid before it makes the images)."""
    _check_integer("columns", columns, 1, 1000)
    _check_integer("padding", padding, 0, 1000)
    rows = max(1, math.ceil(n / columns))
    return rows * (height + padding) + padding, columns * (width + padding) + padding


def _check_integer(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"{name} must be an integer from {low} to {high}, got {shown(value)}")
