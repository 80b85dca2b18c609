"""Generic image measures, for naming the continuous codes of models of any data set (MNIST's use Morpho-MNIST's).

Each works on uint8 (N, H, W) grey or (N, H, W, 3) RGB images with a plain background, vectorised over the batch:
- background: the median of the border pixels (per channel); a pixel's contrast is its distance from it (grey:
  |value - background|; colour: the RGB distance / sqrt 3, so both run 0..255); ink is contrast >= INK.
- brightness: the mean luminance of the ink (0..255), so it does not grow with the ink's area.
- size: the fraction of the image that is ink.
- x_position, y_position: the contrast-weighted centroid, in pixels from the left / top.
- orientation: the lean of the ink from vertical, arctan(-mu11 / mu02) of its contrast-weighted central moments,
  in radians (as Morpho-MNIST's slant; positive = the top leans right). It never wraps, unlike the principal
  axis's angle, which jumps by pi on upright shapes.
- hue (colour only): the chroma-weighted circular mean of the ink's hue, in degrees 0..360 (a sweep across red
  wraps, so no code is named hue there).
An image without ink measures NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

GREY = ("brightness", "size", "x_position", "y_position", "orientation")
COLOUR = (*GREY, "hue")
INK = 0.1 * 255  # the contrast from which a pixel counts as ink
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as PIL's "L"


def measure_names(channels: int) -> tuple[str, ...]:
    """The measures of images with `channels` channels (1 or 3)."""
    return COLOUR if channels == 3 else GREY


def measure_batch(images: NDArray[np.uint8], workers: int = 1) -> dict[str, NDArray[np.float64]]:
    """Each measure of uint8 (N, H, W) or (N, H, W, 3) images as an (N,) float64 array (NaN without ink).
    `workers` is accepted for the same call as `morphometrics.measure_batch`; numpy needs no processes."""
    batch = np.asarray(images)
    if batch.dtype != np.uint8 or batch.ndim not in (3, 4) or (batch.ndim == 4 and batch.shape[3] != 3):
        raise ValueError(f"expected uint8 (N, H, W) or (N, H, W, 3) images, got {batch.dtype} {batch.shape}")
    pixels = batch.astype(np.float64)
    colour = pixels if batch.ndim == 4 else pixels[..., None]  # (N, H, W, C)
    border = np.concatenate([colour[:, 0], colour[:, -1], colour[:, :, 0], colour[:, :, -1]], axis=1)  # (N, P, C)
    background = np.median(border, axis=1)[:, None, None]  # (N, 1, 1, C)
    contrast = np.sqrt(((colour - background) ** 2).mean(axis=3))  # (N, H, W)
    ink = contrast >= INK
    area = ink.sum(axis=(1, 2)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        luminance = colour @ LUMA if batch.ndim == 4 else pixels
        found = {"brightness": (luminance * ink).sum(axis=(1, 2)) / area, "size": area / ink[0].size,
                 **_moments(contrast * ink)}
        if batch.ndim == 4:
            found["hue"] = _hue(colour, ink)
    missing = area == 0
    return {name: np.where(missing, np.nan, values) for name, values in found.items()}


def _moments(weights: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Centroid and lean of (N, H, W) non-negative weights."""
    rows, columns = np.mgrid[0 : weights.shape[1], 0 : weights.shape[2]].astype(np.float64)
    mass = weights.sum(axis=(1, 2))
    x = (weights * columns).sum(axis=(1, 2)) / mass
    y = (weights * rows).sum(axis=(1, 2)) / mass
    dx, dy = columns[None] - x[:, None, None], rows[None] - y[:, None, None]
    mu11 = (weights * dx * dy).sum(axis=(1, 2)) / mass
    mu02 = (weights * dy * dy).sum(axis=(1, 2)) / mass
    return {"x_position": x + 0.5, "y_position": y + 0.5, "orientation": np.arctan(-mu11 / mu02)}


def _hue(colour: NDArray[np.float64], ink: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The chroma-weighted circular mean hue of each image's ink, degrees in [0, 360)."""
    red, green, blue = colour[..., 0], colour[..., 1], colour[..., 2]
    # the hexagonal hue's smooth cousin: the angle of the colour in the chroma plane (0 red, 120 green, 240 blue)
    alpha = red - (green + blue) / 2
    beta = np.sqrt(3) / 2 * (green - blue)
    angle = np.arctan2(beta, alpha)
    chroma = np.hypot(alpha, beta) * ink
    mean = np.arctan2((chroma * np.sin(angle)).sum(axis=(1, 2)), (chroma * np.cos(angle)).sum(axis=(1, 2)))
    return np.asarray(np.degrees(mean) % 360.0)
