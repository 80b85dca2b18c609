"""Image augmentations for training Q on real images: small shifts, and random affine distortions.

A distorted digit is still the same digit, so Q's reading of it should not change: that is the
consistency loss (`consistency_loss`), which teaches Q from the unlabelled real images, in the
manner of FixMatch (Sohn et al. 2020) with Q's own confident reading of the plain image as target.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Ranges of the random affine distortion: every digit stays legible (a 6 never becomes a 9).
MAX_ROTATION = math.radians(20)
MAX_SHEAR = 0.3
SCALE_RANGE = (0.85, 1.15)
MAX_SHIFT = 3 / 14  # of the half-width: 3 pixels on a 28-pixel image


def shifted(images: torch.Tensor, limit: int, rng: torch.Generator) -> torch.Tensor:
    """(N, H, W) or (N, H, W, 3) uint8 images, each moved by its own random offset of up to `limit` pixels (zeros
    fill in)."""
    if limit == 0:
        return images
    n, height, width = images.shape[:3]
    sides = (limit, limit, limit, limit) if images.ndim == 3 else (0, 0, limit, limit, limit, limit)
    padded = F.pad(images, sides)  # (N, H + 2 limit, W + 2 limit[, 3])
    dy, dx = (torch.randint(2 * limit + 1, (n,), generator=rng).to(images.device) for _ in range(2))
    rows = (dy[:, None] + torch.arange(height, device=images.device))[:, :, None]  # (N, H, 1)
    columns = (dx[:, None] + torch.arange(width, device=images.device))[:, None, :]  # (N, 1, W)
    return padded[torch.arange(n, device=images.device)[:, None, None], rows, columns]


def distorted(pixels: torch.Tensor, background: float, rng: torch.Generator) -> torch.Tensor:
    """(N, 1, H, W) float images, each under its own random rotation, shear, scale and shift.

    `background` is the pixel value of blank paper (the spec's low end): it fills what moves in.
    """
    n = pixels.shape[0]
    draws = torch.rand(n, 5, generator=rng).to(pixels.device) * 2 - 1  # (N, 5) in [-1, 1)
    angle = draws[:, 0] * MAX_ROTATION
    shear = draws[:, 1] * MAX_SHEAR
    low, high = SCALE_RANGE
    scale = low + (draws[:, 2] + 1) / 2 * (high - low)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, draws[:, 3] * MAX_SHIFT], dim=1),
                         torch.stack([sin, cos, draws[:, 4] * MAX_SHIFT], dim=1)], dim=1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(pixels.shape), align_corners=False)  # (N, H, W, 2)
    moved = F.grid_sample(pixels - background, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved + background


def consistency_loss(plain_logits: torch.Tensor, distorted_logits: torch.Tensor,
                     threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of Q on distorted images against its confident reading of the plain ones.

    Logits are (N, K) over one categorical code. Returns (loss, fraction of the batch above
    `threshold`); readings below it contribute nothing, so early noise is not reinforced.
    """
    probabilities = torch.softmax(plain_logits.detach(), dim=1)
    confidence, target = probabilities.max(dim=1)
    mask = (confidence >= threshold).float()
    loss = (F.cross_entropy(distorted_logits, target, reduction="none") * mask).mean()
    return loss, mask.mean()


# Degradations of real images, for a model that reads what users pass and has stroke thickness to learn.
LOW_RESOLUTIONS = (8, 10, 12, 14)  # a degraded view may be reduced to one of these sizes and scaled back


def morphed(pixels: torch.Tensor, background: float, rng: torch.Generator, probability: float,
            keep_peak: bool = False) -> torch.Tensor:
    """(N, 1, H, W) float images; each, with `probability`, thinned or thickened (even odds) by about 1 px.

    Morpho-MNIST's global thinning/thickening, approximated by a grey-level erosion or dilation with a
    3x3 square at twice the resolution (half a pixel off each side of every stroke). `background` is
    blank paper's value: dilation grows what is brighter than it. With `keep_peak`, a thinned image is scaled
    back to its original's brightest ink, as Morpho-MNIST's thinning (on binarised strokes) keeps it: the erosion
    alone leaves 16% of thinned MNIST digits faint (peak < 80% of full scale), and a D shown them accepts faint fakes.
    """
    n = pixels.shape[0]
    draws = torch.rand(n, generator=rng).to(pixels.device)
    thicker = (torch.rand(n, generator=rng) < 0.5).to(pixels.device)
    if probability <= 0:
        return pixels
    up = F.interpolate(pixels, scale_factor=2, mode="bilinear", align_corners=False)  # (N, 1, 2H, 2W)
    dilated = F.avg_pool2d(F.max_pool2d(up, 3, stride=1, padding=1), 2)  # (N, 1, H, W)
    # erosion = -dilation(-x); pad with blank paper so the border does not erode inwards as ink
    padded = F.pad(up, (1, 1, 1, 1), value=background)
    eroded = F.avg_pool2d(-F.max_pool2d(-padded, 3, stride=1), 2)
    if keep_peak:
        ink, thinned = pixels - background, eroded - background  # (N, 1, H, W), >= 0 on ink
        peak, thinned_peak = ink.amax(dim=(1, 2, 3), keepdim=True), thinned.amax(dim=(1, 2, 3), keepdim=True)
        eroded = background + thinned * (peak / thinned_peak.clamp_min(1e-6))
    changed = torch.where(thicker[:, None, None, None], dilated, eroded)
    return torch.where((draws < probability)[:, None, None, None], changed, pixels)


def degraded(pixels: torch.Tensor, background: float, rng: torch.Generator) -> torch.Tensor:
    """(N, C, H, W) float images, each kept (1 in 5) or degraded as users' images are: thinned or thickened
    (`morphed`), blurred (Gaussian, sigma 1 px), or reduced to one of LOW_RESOLUTIONS and scaled back."""
    n, channels, height, width = pixels.shape
    kind = torch.randint(5, (n,), generator=rng).to(pixels.device)  # 0 keep, 1 thin/thick, 2 blur, 3-4 low-res
    sizes = torch.randint(len(LOW_RESOLUTIONS), (n,), generator=rng).to(pixels.device)
    out = torch.where((kind == 1)[:, None, None, None], morphed(pixels, background, rng, 1.0), pixels)
    taps = torch.exp(-torch.arange(-2, 3, dtype=pixels.dtype, device=pixels.device) ** 2 / 2)
    taps = taps / taps.sum()
    kernel = (taps[:, None] * taps[None, :]).expand(channels, 1, 5, 5)  # each channel blurred on its own
    blurred = F.conv2d(F.pad(pixels - background, (2, 2, 2, 2)), kernel, groups=channels) + background
    out = torch.where((kind == 2)[:, None, None, None], blurred, out)
    for index, size in enumerate(LOW_RESOLUTIONS):
        small = F.interpolate(pixels, size=(size, size), mode="area")
        back = F.interpolate(small, size=(height, width), mode="bilinear", align_corners=False)
        out = torch.where(((kind >= 3) & (sizes == index))[:, None, None, None], back, out)
    return out
