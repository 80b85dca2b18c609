"""The model card's pictures, through the SDK: one traversal per continuous code, for a model of any data set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from evaluate.codes import CURVE, class_values
from infogan_sdk import Generator
from infogan_sdk.atomic import atomic_output
from infogan_sdk.images.convention import grid

MAX_ROWS = 10  # classes shown in a traversal (the first categorical code's first values)


def traversal(generator: Generator, along: np.ndarray, seed: int = 0) -> np.ndarray:
    """uint8 images (rows x len(CURVE), H, W[, 3]): one row per value of the first categorical code (in class order,
    at most MAX_ROWS; 10 rows of drawn noise without categorical codes), the continuous codes at t x `along` (a
    direction over the generator's continuous codes) for t over CURVE (-2..2, beyond the trained range on purpose),
    one noise vector per row."""
    values = class_values(generator, 1)
    rows = values[:MAX_ROWS] if values is not None else None
    start = generator.generate(categorical=rows, count=None if rows is not None else MAX_ROWS, seed=seed)
    sweep = np.asarray(CURVE, dtype=np.float32)[:, None] * np.asarray(along, dtype=np.float32)[None]  # (9, k)
    made = generator.generate(categorical=None if rows is None else np.repeat(rows, len(CURVE)),
                              continuous=np.tile(sweep, (len(start.noise), 1)),
                              noise=np.repeat(start.noise, len(CURVE), axis=0), beyond_range=True)
    return made.images


def write_traversals(generator: Generator, folder: Path, codes: list[dict[str, Any]] | None = None,
                     seed: int = 0) -> list[Path]:
    """One PNG per continuous code in `folder` (created if missing), `<name>.png`: the generator's own codes, or
    `codes` (a description's `continuous_codes`: each swept along its direction x axis over the network's inputs,
    so the pictures follow a description before it is written)."""
    folder.mkdir(parents=True, exist_ok=True)
    network_to_user = generator.basis.T.astype(np.float64)  # the basis is orthonormal: its transpose inverts it
    written = []
    for index, name in enumerate(generator.continuous_names):
        along = np.eye(len(network_to_user))[index]
        if codes is not None:
            name = codes[index]["name"]
            along = codes[index]["direction"] * np.asarray(codes[index]["axis"]) @ network_to_user
        path = folder / f"{name}.png"
        with atomic_output(path, overwrite=True) as temporary:
            grid(traversal(generator, along, seed), columns=len(CURVE)).save(temporary, format="PNG")
        written.append(path)
    return written
