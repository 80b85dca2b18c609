"""The image convention on the torch side, the twin of `infogan_sdk.images.convention` (which the SDK uses on numpy).

uint8 (N, H, W) grey in 0..255 (white ink on black on MNIST) or (N, H, W, 3) RGB <-> float32 (N, C, H, W) in the
spec's pixel_range, which the networks enforce (the generator ends in tanh: pixel_range must be (-1, 1)).
"""

from __future__ import annotations

import numpy as np
import torch

from infogan_sdk.spec import LatentSpec


def to_pixels(images: torch.Tensor, spec: LatentSpec) -> torch.Tensor:
    """(N, H, W) or (N, H, W, 3) uint8 -> (N, 1, H, W) or (N, 3, H, W) float32 in the spec's pixel range."""
    low, high = spec.pixel_range
    channels_first = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    return channels_first.float() * ((high - low) / 255.0) + low


def to_uint8(images: torch.Tensor, spec: LatentSpec) -> np.ndarray:
    """(N, 1, H, W) or (N, 3, H, W) floats in the spec's pixel range -> (N, H, W) or (N, H, W, 3) uint8 (rounded,
    clipped), as numpy."""
    low, high = spec.pixel_range
    channels_last = images[:, 0] if images.shape[1] == 1 else images.permute(0, 2, 3, 1)  # (N, H, W[, 3])
    scaled = (channels_last.float().cpu() - low) / (high - low) * 255.0
    return scaled.round().clamp(0, 255).to(torch.uint8).numpy()
