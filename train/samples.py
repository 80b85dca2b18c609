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
    """One noise vector per row (categorical value), shared by every block of the grid."""
    rng = torch.Generator().manual_seed(seed)
    return torch.randn(max(spec.digit_code_size, 1), spec.noise_size, generator=rng)  # (10, noise_size)


@torch.no_grad()
def sample_grid(generator: Generator, spec: LatentSpec, noise: torch.Tensor) -> Image.Image:
    """A block per continuous code (the others at 0): rows = categorical values, columns = the code's value."""
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
        latent_noise = noise[:, None].expand(rows, COLUMNS, -1).reshape(rows * COLUMNS, -1)
        latent_codes = codes[:, None].expand(rows, COLUMNS, -1).reshape(rows * COLUMNS, -1)
        images = generator(latent_noise.to(device), one_hot(spec, latent_codes).to(device),
                           continuous.reshape(rows * COLUMNS, -1).to(device))
        blocks.append(to_uint8(images, spec).reshape(rows, COLUMNS, *images.shape[2:]))
    generator.train(was_training)
    height, width = blocks[0].shape[2:]
    gap = np.full((rows, 1, height, width), SHADE, dtype=np.uint8)  # a blank cell between two codes' blocks
    cells = np.concatenate([part for block in blocks for part in (gap, block)][1:], axis=1)  # (rows, cells, H, W)
    return grid(cells.reshape(-1, height, width), columns=cells.shape[1], background=SHADE)


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically (`infogan_sdk.atomic.atomic_output`)."""
    with atomic_output(path, overwrite=True) as temporary:
        image.save(temporary, format="PNG")
