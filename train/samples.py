"""Sample grids: one row per categorical value, continuous codes traversed over [-2, 2].

The grid uses fixed noise, so grids from successive epochs show how the same latents evolve.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from infogan_sdk.spec import LatentSpec
from train.losses import one_hot
from train.networks import Generator

TRAVERSAL = (-2.0, 2.0)  # beyond the training range U(-1, 1), as the paper shows
COLUMNS = 8


def fixed_noise(spec: LatentSpec, seed: int = 1234) -> torch.Tensor:
    """One noise vector per row (categorical value), shared by every block of the grid."""
    rng = torch.Generator().manual_seed(seed)
    return torch.randn(max(spec.digit_code_size, 1), spec.noise_size, generator=rng)  # (10, noise_size)


def to_uint8(images: torch.Tensor, spec: LatentSpec) -> np.ndarray:
    """(N, 1, H, W) floats in the spec's pixel range -> (N, H, W) uint8."""
    low, high = spec.pixel_range
    scaled = (images[:, 0].float().cpu() - low) / (high - low) * 255.0
    return scaled.round().clamp(0, 255).to(torch.uint8).numpy()


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
    return _tile(blocks)


def _tile(blocks: list[np.ndarray]) -> Image.Image:
    rows, columns, height, width = blocks[0].shape
    pad, gap = 2, 8
    block_width = columns * (width + pad)
    canvas = np.full((rows * (height + pad), len(blocks) * (block_width + gap)), 40, dtype=np.uint8)
    for b, block in enumerate(blocks):
        for r in range(rows):
            for c in range(columns):
                y, x = r * (height + pad), b * (block_width + gap) + c * (width + pad)
                canvas[y : y + height, x : x + width] = block[r, c]
    return Image.fromarray(canvas, mode="L")


def save_png(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically (temporary name, then rename)."""
    temporary = path.with_name(path.name + ".tmp")
    image.save(temporary, format="PNG")
    os.replace(temporary, path)
