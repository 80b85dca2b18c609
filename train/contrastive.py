"""InfoGAN-CR's contrastive regulariser (Lin et al. 2020, "InfoGAN-CR and ModelCentrality"): training only.

A pair of generated images shares the noise and one regularised code (the same value), every other code drawn
independently for each image. A second discriminator reads the pair, stacked along the channels, and names the
code they share; it and the generator both minimise its cross-entropy, so G learns to make each code's change
look unlike any other's: disentangling. The regularised codes are the spec's categorical codes, then its
continuous ones (a categorical code is "the same" when it is the same category). Export never reads any of this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from infogan_sdk.spec import LatentSpec
from train.checkpoint import TrainingError
from train.config import ModelConfig
from train.losses import Latent, one_hot, sample_latent
from train.networks import DiscriminatorBody, initialise, spectral_normed


@dataclass(frozen=True)
class Pairs:
    """A batch of latent pairs: `first[i]` and `second[i]` share the noise and code `chosen[i]`."""

    first: Latent
    second: Latent
    chosen: torch.Tensor  # (N,) int64 in 0..n_codes-1: categorical codes first, then continuous, in spec order


def regularised_codes(spec: LatentSpec) -> int:
    """How many codes the regulariser tells apart: every categorical and every continuous code."""
    return len(spec.categorical_sizes) + spec.n_continuous


def sample_pairs(spec: LatentSpec, batch: int, rng: torch.Generator, device: torch.device) -> Pairs:
    """`batch` pairs from the prior, drawn from `rng` (the step's generator, so a resumed run draws them again)."""
    chosen = torch.randint(regularised_codes(spec), (batch,), generator=rng).to(device)  # (N,)
    first, other = sample_latent(spec, batch, rng, device), sample_latent(spec, batch, rng, device)
    shared = F.one_hot(chosen, regularised_codes(spec)).bool()  # (N, n_codes): the code each pair shares
    n_categorical = len(spec.categorical_sizes)
    codes = torch.where(shared[:, :n_categorical], first.codes, other.codes)  # (N, n_categorical)
    continuous = torch.where(shared[:, n_categorical:], first.continuous, other.continuous)  # (N, n_continuous)
    return Pairs(first, Latent(first.noise, codes, one_hot(spec, codes), continuous), chosen)


def draw_pairs(generator: nn.Module, pairs: Pairs) -> torch.Tensor:
    """G's images of both halves, in one batch, stacked along the channels: (N, 2 C, H, W)."""
    noise, categorical, continuous = (torch.cat([getattr(pairs.first, name), getattr(pairs.second, name)])
                                      for name in ("noise", "categorical", "continuous"))  # (2 N, ...)
    images = generator(noise, categorical, continuous)  # (2 N, C, H, W)
    first, second = images.chunk(2)
    return torch.cat([first, second], dim=1)  # (N, 2 C, H, W)


class CRDiscriminator(nn.Module):
    """(N, 2 C, H, W) image pairs -> (N, n_codes) logits of the code they share.

    The discriminator body of the same ModelConfig (InfoGAN-CR: the same convs as D) on two stacked images, then an
    FC to one logit per regularised code; spectrally normalised as D is, but for that last layer."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.body = DiscriminatorBody(config, channels=2 * config.latent.image_shape[0])  # (N, out_features)
        self.head = nn.Linear(self.body.out_features, regularised_codes(config.latent))  # (N, n_codes)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(pairs))  # (N, n_codes)


def build_cr(config: ModelConfig, seed: int) -> CRDiscriminator:
    """The CR discriminator, initialised from `seed` without touching the global RNG. Raises TrainingError for a
    layout of fewer than two codes (there is nothing to tell apart)."""
    if regularised_codes(config.latent) < 2:
        raise TrainingError(f"the contrastive regulariser (cr_weight > 0) tells codes apart, so it needs 2 or more "
                         f"codes, got {regularised_codes(config.latent)}: add codes (--categorical, --continuous) "
                         "or leave --cr-weight at 0")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]))  # not G's first draws again
        network = CRDiscriminator(config)
        initialise(network)
        if config.spectral_norm:
            spectral_normed(network, skip=(network.head,))
    return network


def contrastive_loss(cr_discriminator: nn.Module, images: torch.Tensor,
                     chosen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(cross-entropy of the shared code, the fraction named right) for (N, 2 C, H, W) pairs."""
    logits = cr_discriminator(images)  # (N, n_codes)
    accuracy = (logits.argmax(dim=1) == chosen).float().mean().detach()
    return F.cross_entropy(logits, chosen), accuracy
