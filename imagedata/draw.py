"""Vector shapes drawn with numpy, for the generated data sets (`shapes`, `dsprites`): each shape is an implicit
inside-test in its own frame, evaluated at pixel centres (or a grid of sub-pixel points for anti-aliasing), so an
image is a pure function of its factors and no drawing library's version changes a pixel.

A shape's frame: the unit square [-1, 1]^2 holds it, y points up; `scale` is the half-extent in pixels, `angle`
turns it counter-clockwise (radians) on screen.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float32]


def _square(u: Floats, v: Floats) -> NDArray[np.bool_]:
    return np.maximum(np.abs(u), np.abs(v)) <= 1


def _circle(u: Floats, v: Floats) -> NDArray[np.bool_]:
    return u * u + v * v <= 1


def _ellipse(u: Floats, v: Floats) -> NDArray[np.bool_]:
    return u * u + 4 * v * v <= 1  # semi-axes 1 and 1/2, so its orientation shows (period pi, as dSprites')


def _triangle(u: Floats, v: Floats) -> NDArray[np.bool_]:
    return (v >= -1) & (2 * np.abs(u) <= 1 - v)  # apex up, filling the square as the others do


def _cross(u: Floats, v: Floats) -> NDArray[np.bool_]:
    au, av = np.abs(u), np.abs(v)
    return ((au <= 1 / 3) & (av <= 1)) | ((av <= 1 / 3) & (au <= 1))


def _heart(u: Floats, v: Floats) -> NDArray[np.bool_]:
    # (x^2 + y^2 - 1)^3 <= x^2 y^3 spans x in [-1.14, 1.14], y in [-1, 1.24]: scaled and shifted into the square
    x, y = u * 1.14, v * 1.12 + 0.12
    r = x * x + y * y - 1
    return np.asarray(r * r * r <= x * x * y * y * y)


SHAPES: dict[str, Callable[[Floats, Floats], NDArray[np.bool_]]] = {
    "square": _square, "circle": _circle, "ellipse": _ellipse, "triangle": _triangle, "cross": _cross,
    "heart": _heart}


def coverage(shape: str, centre_x: Floats, centre_y: Floats, scale: Floats, angle: Floats, side: int,
             samples: int = 1) -> Floats:
    """The fraction of each pixel inside `shape`: float32 (n, side, side) in [0, 1].

    centre_x, centre_y (n,): the shape's centre in pixels from the image's left and top edges (a pixel's centre
    is at +0.5); scale (n,): half-extent in pixels; angle (n,): radians counter-clockwise. `samples` points per
    pixel side (1: the pixel centre only, so coverage is 0 or 1).
    """
    inside = SHAPES[shape]
    offsets = (np.arange(samples, dtype=np.float32) + 0.5) / samples  # sub-pixel points in [0, 1)
    grid = (np.arange(side, dtype=np.float32)[:, None] + offsets).reshape(-1)  # (side * samples,)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]  # (n, 1, 1)
    dx = (grid[None, None, :] - centre_x[:, None, None]) / scale[:, None, None]  # (n, 1, S)
    dy = (centre_y[:, None, None] - grid[None, :, None]) / scale[:, None, None]  # (n, S, 1), y up
    u = dx * cos + dy * sin  # (n, S, S): the point in the shape's frame (turned back by angle)
    v = dy * cos - dx * sin
    covered = inside(u.astype(np.float32), v.astype(np.float32)).astype(np.float32)  # (n, S, S)
    if samples == 1:
        return covered
    n = len(centre_x)
    return np.asarray(covered.reshape(n, side, samples, side, samples).mean(axis=(2, 4)), np.float32)  # (n, S, S)
