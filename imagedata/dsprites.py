"""A dSprites-style data set, drawn here: the factor grid of deepmind/dsprites-dataset, our own pixels.

    python -m imagedata dsprites --out dsprites.npz                       # all 737,280 images (392 MB)
    python -m imagedata dsprites --out small.npz --count 2000 --seed 0    # a seeded sample, for tests
    python -m imagedata dsprites --out dsprites/ --format folder --count 5000

The grid is the original's (its colour factor, which has one value, left out), in its order: shape 3 (square,
ellipse, heart), scale 6 values in [0.5, 1], orientation 40 values in [0, 2 pi], x 32 and y 32 values in [0, 1];
image `i` of the full set has the factor classes `np.unravel_index(i, SIZES)`, as the original's row `i` does.
It is a replica of the structure, not of the pixels: the original was rendered by another engine and its drawing
code is not published, so shapes, sizes and margins here are this module's (`draw`), binary 64x64, on black.
Nothing is downloaded.

The .npz holds the images as packed bits (`packed_images`, np.packbits along each row: 8x smaller, 377 MB for
the full set), which the adapter unpacks once into its cache and memory-maps; the labels (the shape), the class
names and one `factor_NAME` per factor: each image's class index on that factor's grid (`values(NAME)[index]`
is its value). The test split is a second seeded draw: the next images of the sample's permutation, or, for the
full grid (which holds every image), a sample of it that the train split also holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imagedata import draw
from imagedata.write import save_folder, save_npz

FACTORS = ("shape", "scale", "orientation", "x", "y")  # the original's latents, less colour, in its order
SIZES = (3, 6, 40, 32, 32)
CLASS_NAMES = ("square", "ellipse", "heart")
TOTAL = int(np.prod(SIZES))  # 737,280
SIDE = 64
HALF_EXTENT = 10.0  # pixels at scale 1: a square of side 20, whose turned corners (14.1 px) stay inside
CENTRE_LOW, CENTRE_HIGH = 15.0, 49.0  # pixel centres of x (and y) = 0 and 1
CHUNK = 256  # images drawn at a time: float32 temporaries of 4 MB, which the allocator reuses (64 MB: page faults)


def values(factor: str) -> NDArray[np.float64]:
    """The grid values of `factor`, as the original's `latents_values` (shape: 1, 2, 3)."""
    grids = {"shape": np.arange(1.0, 4.0), "scale": np.linspace(0.5, 1.0, 6),
             "orientation": np.linspace(0.0, 2 * np.pi, 40), "x": np.linspace(0.0, 1.0, 32),
             "y": np.linspace(0.0, 1.0, 32)}
    return grids[factor]


def factor_classes(indices: NDArray[np.int64]) -> NDArray[np.int64]:
    """Grid indices (n,) in 0..TOTAL-1 -> each image's class on every factor, int64 (n, 5) in FACTORS' order."""
    return np.stack(np.unravel_index(indices, SIZES), axis=1).astype(np.int64)


def render(classes: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Factor classes (n, 5) -> binary images uint8 (n, 64, 64) in {0, 255}; a pure function of the classes."""
    images = np.zeros((len(classes), SIDE, SIDE), np.uint8)
    scale = (values("scale")[classes[:, 1]] * HALF_EXTENT).astype(np.float32)
    angle = values("orientation")[classes[:, 2]].astype(np.float32)
    centre_x, centre_y = (CENTRE_LOW + values(axis)[classes[:, column]] * (CENTRE_HIGH - CENTRE_LOW)
                          for axis, column in (("x", 3), ("y", 4)))
    for shape, name in enumerate(CLASS_NAMES):
        rows = np.flatnonzero(classes[:, 0] == shape)
        for start in range(0, len(rows), CHUNK):
            part = rows[start:start + CHUNK]
            covered = draw.coverage(name, centre_x[part].astype(np.float32), centre_y[part].astype(np.float32),
                                    scale[part], angle[part], SIDE)
            images[part] = covered.astype(np.uint8) * 255
    return images


def sample(count: int | None, test_count: int, seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(train, test) grid indices, each sorted: all of them (count None) or a seeded permutation's first `count`;
    the test split the permutation's next `test_count`, or, where none are left, its first ones."""
    if count is not None and not 1 <= count <= TOTAL:
        raise ValueError(f"count must be 1 to {TOTAL} (the grid's size), got {count}")
    if not 1 <= test_count <= TOTAL:
        raise ValueError(f"test count must be 1 to {TOTAL}, got {test_count}")
    order = np.random.default_rng(seed).permutation(TOTAL)
    train = np.arange(TOTAL) if count is None else np.sort(order[:count])
    start = 0 if count is None or count + test_count > TOTAL else count
    return train, np.sort(order[start:start + test_count])


def chunks(indices: NDArray[np.int64]) -> Iterator[NDArray[np.uint8]]:
    """The images of grid `indices`, CHUNK * 16 at a time, in order."""
    step = CHUNK * 16
    for start in range(0, len(indices), step):
        yield render(factor_classes(indices[start:start + step]))


def arrays(train: NDArray[np.int64], test: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
    """The .npz arrays (`npz`'s keys) of the train and test grid indices, images as packed bits."""
    out: dict[str, NDArray[Any]] = {"class_names": np.asarray(CLASS_NAMES)}
    for prefix, indices in (("", train), ("test_", test)):
        packed = np.empty((len(indices), SIDE, SIDE // 8), np.uint8)  # (N, 64, 8)
        row = 0
        for images in chunks(indices):
            packed[row:row + len(images)] = np.packbits(images > 0, axis=2)
            row += len(images)
        classes = factor_classes(indices)
        out[f"{prefix}packed_images"] = packed
        out[f"{prefix}labels"] = classes[:, 0]
        for column, factor in enumerate(FACTORS):
            out[f"{prefix}factor_{factor}"] = classes[:, column].astype(np.uint8)
    return out


def write(out: Path, form: str, count: int | None, test_count: int, seed: int,
          overwrite: bool = False) -> tuple[int, int]:
    """Write the sample `sample(count, test_count, seed)` to `out` as `form` ("npz" or "folder"); its (train, test)
    sizes. The folder source labels by sorted class folder names (ellipse, heart, square), not the grid's order."""
    train, test = sample(count, test_count, seed)
    if form == "npz":
        save_npz(out, arrays(train, test), overwrite)
    else:
        save_folder(out, {name: (factor_classes(rows)[:, 0], chunks(rows)) for name, rows in
                          (("train", train), ("test", test))}, CLASS_NAMES, overwrite)
    return len(train), len(test)
