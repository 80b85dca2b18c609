"""Sample grids: one row per categorical value, continuous codes traversed over [-2, 2].

The grid uses fixed noise, so grids from successive epochs show how the same latents evolve.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from infogan_sdk.atomic import atomic_output
from infogan_sdk.images.convention import grid
from infogan_sdk.spec import LatentSpec
from train.losses import one_hot
from train.networks import Generator
from train.pixels import to_uint8

TRAVERSAL = (-2.0, 2.0)  # beyond the training range U(-1, 1), as the paper shows
COLUMNS = 8
SHADE = 40  # the grey between cells, so black backgrounds stay apart


def fixed_noise(spec: LatentSpec, seed: int = 1234) -> torch.Tensor:
    """One noise vector per row (categorical value), shared by every block of the grid; per column instead when
    the spec has no continuous code to traverse along the rows."""
    rng = torch.Generator().manual_seed(seed)
    count = max(spec.digit_code_size, 1) if spec.n_continuous else COLUMNS
    return torch.randn(count, spec.noise_size, generator=rng)  # (rows, noise_size): (10, 62) on MNIST


@torch.no_grad()
def sample_grid(generator: Generator, spec: LatentSpec, noise: torch.Tensor) -> Image.Image:
    """A block per continuous code (the others at 0): rows = the first categorical code's values (the others at 0),
    columns = the continuous code's value; without continuous codes one block whose columns are `noise`'s rows."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    rows = max(spec.digit_code_size, 1)  # a model with no categorical code gets one row
    codes = torch.zeros(rows, len(spec.categorical_sizes), dtype=torch.int64)
    if spec.categorical_sizes:
        codes[:, 0] = torch.arange(rows)
    blocks = []
    for code in range(max(spec.n_continuous, 1)):
        values = torch.linspace(*TRAVERSAL, COLUMNS)
        continuous = torch.zeros(rows, COLUMNS, spec.n_continuous)
        if spec.n_continuous:
            continuous[:, :, code] = values
        by_cell = noise[:, None] if spec.n_continuous else noise[None, :]  # a row's noise, or a column's
        latent_noise = by_cell.expand(rows, COLUMNS, -1).reshape(rows * COLUMNS, -1)
        latent_codes = codes[:, None].expand(rows, COLUMNS, -1).reshape(rows * COLUMNS, -1)
        images = generator(latent_noise.to(device), one_hot(spec, latent_codes).to(device),
                           continuous.reshape(rows * COLUMNS, -1).to(device))
        pictures = to_uint8(images, spec)  # (rows * COLUMNS, H, W) grey or (..., H, W, 3) RGB
        blocks.append(pictures.reshape(rows, COLUMNS, *pictures.shape[1:]))
    generator.train(was_training)
    cell = blocks[0].shape[2:]  # (H, W) or (H, W, 3)
    gap = np.full((rows, 1, *cell), SHADE, dtype=np.uint8)  # a blank cell between two codes' blocks
    cells = np.concatenate([part for block in blocks for part in (gap, block)][1:], axis=1)  # (rows, cells, *cell)
    return grid(cells.reshape(-1, *cell), columns=cells.shape[1], background=SHADE)


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically (`infogan_sdk.atomic.atomic_output`)."""
    with atomic_output(path, overwrite=True) as temporary:
        image.save(temporary, format="PNG")
