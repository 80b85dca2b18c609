"""Coloured shapes on coloured backgrounds, 32x32 RGB, generated: a colour data set small enough for CI, whose
factors are known.

    python -m imagedata shapes --out shapes/                       # 2,000 + 500 images as an image folder
    python -m imagedata shapes --out shapes.npz --format npz --count 20000 --seed 1
    python -m train --data shapes ...                              # the same images, drawn in memory

Factors, each on a grid: shape 4 (circle, cross, square, triangle: the labels and class folders), colour 6 (the
shape's), background 4 (dark, so every shape shows), size 4 (half-extents 5 to 9.5 pixels), x 8 and y 8 (centres
10 to 22 pixels): 24,576 images in all. A data set of `count` images is the first `count` of a seeded permutation
of that grid, its test split the next ones, so train and test never share an image and image `i` is a function of
(seed, i) alone. Shapes are drawn by `draw` with 4x4 points per pixel (anti-aliased edges); nothing is downloaded.
The folder holds train/ and test/ with one subfolder per shape (the folder source gives labels and class names);
the .npz adds one `factor_NAME` per factor: each image's class index on that factor's grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imagedata import draw
from imagedata.dataset import DataSet, Split
from imagedata.write import save_folder, save_npz

FACTORS = ("shape", "colour", "background", "size", "x", "y")
SIZES = (4, 6, 4, 4, 8, 8)
CLASS_NAMES = ("circle", "cross", "square", "triangle")  # sorted, as the folder source orders class folders
TOTAL = int(np.prod(SIZES))  # 24,576
SIDE = 32
COLOURS = np.asarray([[230, 40, 40], [40, 200, 60], [50, 90, 230], [240, 220, 40], [220, 60, 220], [40, 210, 220]],
                     np.float32)  # red, green, blue, yellow, magenta, cyan
BACKGROUNDS = np.asarray([[20, 20, 60], [50, 60, 20], [70, 20, 30], [50, 50, 50]],
                         np.float32)  # navy, olive, maroon, grey
HALF_EXTENTS = np.linspace(5.0, 9.5, 4)  # pixels
CENTRES = np.linspace(10.0, 22.0, 8)  # pixels from the left (x) or top (y) edge; the largest shape stays inside
SAMPLES = 4  # points per pixel side


def factor_classes(indices: NDArray[np.int64]) -> NDArray[np.int64]:
    """Grid indices (n,) in 0..TOTAL-1 -> each image's class on every factor, int64 (n, 6) in FACTORS' order."""
    return np.stack(np.unravel_index(indices, SIZES), axis=1).astype(np.int64)


def render(classes: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Factor classes (n, 6) -> images uint8 (n, 32, 32, 3); a pure function of the classes."""
    alpha = np.zeros((len(classes), SIDE, SIDE, 1), np.float32)
    extent = HALF_EXTENTS[classes[:, 3]].astype(np.float32)
    centre_x, centre_y = (CENTRES[classes[:, column]].astype(np.float32) for column in (4, 5))
    for shape, name in enumerate(CLASS_NAMES):
        rows = np.flatnonzero(classes[:, 0] == shape)
        alpha[rows, :, :, 0] = draw.coverage(name, centre_x[rows], centre_y[rows], extent[rows],
                                             np.zeros(len(rows), np.float32), SIDE, SAMPLES)
    colour, background = COLOURS[classes[:, 1]][:, None, None, :], BACKGROUNDS[classes[:, 2]][:, None, None, :]
    return np.rint(background + alpha * (colour - background)).astype(np.uint8)  # (n, 32, 32, 3)


def sample(count: int, test_count: int, seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(train, test) grid indices: a seeded permutation's first `count` and the `test_count` after them."""
    if count < 1 or test_count < 1 or count + test_count > TOTAL:
        raise ValueError(f"count and test count must be >= 1 and add up to at most {TOTAL:,} (the grid's size), got "
                         f"{count} and {test_count}")
    order = np.random.default_rng(seed).permutation(TOTAL)
    return order[:count], order[count:count + test_count]


def split(indices: NDArray[np.int64]) -> Split:
    """The images of grid `indices`, their shapes as labels and every factor's class index."""
    classes = factor_classes(indices)
    return Split(render(classes), classes[:, 0], {name: classes[:, column] for column, name in enumerate(FACTORS)})


def shapes(count: int, seed: int, test_count: int | None = None) -> DataSet:
    """The data set of `count` train and `test_count` (default a quarter, at least 10) test images, in memory."""
    test_count = max(count // 4, 10) if test_count is None else test_count
    train, test = sample(count, test_count, seed)
    recipe = f"imagedata.shapes(count={count}, test_count={test_count}, seed={seed})"
    return DataSet("shapes", "shapes", split(train), split(test), CLASS_NAMES, {"shapes": recipe},
                   "the seeded permutation's next images")


def arrays(data: DataSet) -> dict[str, NDArray[Any]]:
    """The .npz arrays (`npz`'s keys) of a data set with labels and factors."""
    out: dict[str, NDArray[Any]] = {"class_names": np.asarray(data.class_names)}
    for prefix, part in (("", data.train), ("test_", data.test)):
        out[f"{prefix}images"], out[f"{prefix}labels"] = part.images, part.labels  # type: ignore[assignment]
        out.update({f"{prefix}factor_{name}": values.astype(np.uint8) for name, values in part.factors.items()})
    return out


def write(out: Path, form: str, count: int, test_count: int | None, seed: int, overwrite: bool = False) -> DataSet:
    """Write the data set of `shapes(count, seed, test_count)` to `out` as `form` ("folder" or "npz"); returns it."""
    data = shapes(count, seed, test_count)
    if form == "npz":
        save_npz(out, arrays(data), overwrite)
    else:
        parts = {"train": data.train, "test": data.test}
        save_folder(out, {name: (part.labels, [part.images]) for name, part in parts.items()},  # type: ignore[misc]
                    CLASS_NAMES, overwrite)
    return data
