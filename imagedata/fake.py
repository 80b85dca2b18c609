"""Fake digits for dry runs and tests: seven-segment strokes, shifted, dimmed and noised (seconds, no download;
in colour for RGB runs)."""

from __future__ import annotations

import functools

import numpy as np

IMAGE_SIDE = 28  # as MNIST's

# Seven-segment strokes (rows, cols) on the 28x28 canvas; every digit lights a distinct set.
_SEGMENTS = {
    "a": (slice(4, 7), slice(8, 20)),  # top
    "b": (slice(4, 15), slice(17, 20)),  # upper right
    "c": (slice(13, 24), slice(17, 20)),  # lower right
    "d": (slice(21, 24), slice(8, 20)),  # bottom
    "e": (slice(13, 24), slice(8, 11)),  # lower left
    "f": (slice(4, 15), slice(8, 11)),  # upper left
    "g": (slice(12, 15), slice(8, 20)),  # middle
}
_DIGIT_SEGMENTS = ("abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg")
_SHIFT = 2  # pixels of random translation each way


@functools.lru_cache(maxsize=1)
def _digit_templates() -> np.ndarray:
    """(10, 28 + 2*_SHIFT, 28 + 2*_SHIFT) float32 stroke masks in {0, 1}, padded for shifting."""
    side = IMAGE_SIDE + 2 * _SHIFT
    templates = np.zeros((10, side, side), dtype=np.float32)
    for digit, segments in enumerate(_DIGIT_SEGMENTS):
        for segment in segments:
            rows, cols = _SEGMENTS[segment]
            templates[digit, rows.start + _SHIFT : rows.stop + _SHIFT, cols.start + _SHIFT : cols.stop + _SHIFT] = 1
    return templates


def fake_mnist(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic digit-like data for dry runs: images uint8 (n, 28, 28), labels int64 (n,) in 0..9.

    Each class is a seven-segment stroke pattern, randomly shifted by up to 2 pixels, dimmed and noised.
    Labels are balanced (n // 10 or one more per class). The same ``seed`` gives the same arrays.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n, dtype=np.int64) % 10)
    dy, dx = rng.integers(0, 2 * _SHIFT + 1, size=(2, n))
    rows = dy[:, None] + np.arange(IMAGE_SIDE)  # (n, 28)
    cols = dx[:, None] + np.arange(IMAGE_SIDE)  # (n, 28)
    strokes = _digit_templates()[labels[:, None, None], rows[:, :, None], cols[:, None, :]]  # (n, 28, 28)
    brightness = rng.uniform(0.7, 1.0, size=(n, 1, 1)) * 255.0
    pixels = strokes * brightness + rng.normal(0.0, 12.0, size=strokes.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8), labels


# One ink colour per class for RGB dry runs: the class is then in the colour as well as the strokes.
_INK = np.asarray([[255, 64, 64], [64, 255, 64], [64, 64, 255], [255, 255, 64], [255, 64, 255], [64, 255, 255],
                   [255, 160, 64], [160, 64, 255], [64, 160, 255], [255, 255, 255]], dtype=np.uint16)


def in_colour(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Fake digits uint8 (n, H, W) -> (n, H, W, 3), each drawn in its class's ink on black."""
    inked = images[..., None].astype(np.uint16) * _INK[labels % len(_INK)][:, None, None, :]  # (n, H, W, 3)
    return np.asarray(inked // 255, dtype=np.uint8)
