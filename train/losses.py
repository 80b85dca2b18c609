"""Latent sampling and the InfoGAN losses, all on logits.

The information loss L_I is the negative of the variational lower bound on I(c; G(z, c)) up to
the constant H(c): for the categorical code, `info_bound = H(c) - cross_entropy` (max ln 10 on MNIST).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from infogan_sdk.spec import LatentSpec


@dataclass(frozen=True)
class Latent:
    """One batch of generator inputs, split as the spec lays them out."""

    noise: torch.Tensor  # (N, noise_size)
    codes: torch.Tensor  # (N, n_categorical) int64 category indices
    categorical: torch.Tensor  # (N, sum(categorical_sizes)) concatenated one-hots
    continuous: torch.Tensor  # (N, n_continuous) in continuous_range


def one_hot(spec: LatentSpec, codes: torch.Tensor) -> torch.Tensor:
    """(N, n_categorical) int64 codes -> (N, sum(categorical_sizes)) float one-hots, in spec order."""
    parts = [F.one_hot(codes[:, i], size).float() for i, size in enumerate(spec.categorical_sizes)]
    return torch.cat(parts, dim=1) if parts else codes.new_zeros((codes.shape[0], 0), dtype=torch.float32)


def sample_latent(spec: LatentSpec, batch: int, rng: torch.Generator, device: torch.device,
                  codes: torch.Tensor | None = None) -> Latent:
    """Draw a batch from the prior: z ~ N(0, 1) (or U(-1, 1)), c_cat uniform, c_cont ~ U(range)."""
    if spec.noise_distribution == "normal":
        noise = torch.randn(batch, spec.noise_size, generator=rng)
    else:
        noise = torch.rand(batch, spec.noise_size, generator=rng) * 2 - 1
    if codes is None:
        columns = [torch.randint(size, (batch, 1), generator=rng) for size in spec.categorical_sizes]
        codes = torch.cat(columns, dim=1) if columns else torch.zeros(batch, 0, dtype=torch.int64)
    low, high = spec.continuous_range
    continuous = torch.rand(batch, spec.n_continuous, generator=rng) * (high - low) + low
    codes = codes.to(device)
    return Latent(noise.to(device), codes, one_hot(spec, codes), continuous.to(device))


def categorical_cross_entropy(spec: LatentSpec, logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """Sum over categorical codes of the mean cross-entropy of Q's logits against the true codes."""
    total = logits.new_zeros(())
    for i, chunk in enumerate(torch.split(logits, list(spec.categorical_sizes), dim=1)):
        total = total + F.cross_entropy(chunk, codes[:, i])
    return total


def gaussian_nll(mean: torch.Tensor, log_std: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the factored-Gaussian negative log-likelihood, summed over codes."""
    if target.shape[1] == 0:
        return mean.new_zeros(())
    z = (target - mean) * torch.exp(-log_std)
    nll = 0.5 * z.pow(2) + log_std + 0.5 * math.log(2 * math.pi)  # (N, n_continuous)
    return nll.sum(dim=1).mean()


def categorical_entropy(spec: LatentSpec) -> float:
    """H(c) of the uniform categorical prior, in nats (ln 10 for one code of 10)."""
    return sum(math.log(size) for size in spec.categorical_sizes)


def adversarial_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Binary cross-entropy of the D head's logits against 'real' (1) or 'fake' (0)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)
