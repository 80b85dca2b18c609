"""The InfoGAN networks: generator, discriminator body, D head and Q head (paper appendix C.1).

Every layer size comes from a `ModelConfig`; the latent layout comes from its `LatentSpec`. Shape comments
name the config's widths (the paper's: generator_fc 1024, wide 128, narrow 64; see train/config.py).
Heads return logits; losses apply the sigmoid / softmax themselves.
"""

from __future__ import annotations

import torch
from torch import nn

from infogan_sdk.spec import LatentSpec
from train.config import ModelConfig


class Generator(nn.Module):
    """(noise, categorical one-hots, continuous codes) -> images in [-1, 1]."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        spec = config.latent
        channels, height, width = spec.image_shape
        if (height, width) != (28, 28):
            raise ValueError(f"the generator draws 28x28 images, the spec asks for {height}x{width}")
        if tuple(spec.pixel_range) != (-1.0, 1.0):  # what the SDK and export convert to and from
            raise ValueError(f"the generator ends in tanh, so pixel_range must be (-1.0, 1.0), got {spec.pixel_range}")
        wide, narrow = config.generator_channels
        self.base_channels = wide
        self.fc = nn.Sequential(
            nn.Linear(spec.latent_size, config.generator_fc),  # (N, generator_fc)
            nn.BatchNorm1d(config.generator_fc),
            nn.ReLU(),
            nn.Linear(config.generator_fc, wide * 7 * 7),  # (N, wide * 7 * 7)
            nn.BatchNorm1d(wide * 7 * 7),
            nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(wide, narrow, 4, stride=2, padding=1),  # (N, narrow, 14, 14)
            nn.BatchNorm2d(narrow),
            nn.ReLU(),
            nn.ConvTranspose2d(narrow, channels, 4, stride=2, padding=1),  # (N, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, noise: torch.Tensor, categorical: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        latent = torch.cat([noise, categorical, continuous], dim=1)  # (N, latent_size), the spec's order
        hidden = self.fc(latent).view(-1, self.base_channels, 7, 7)  # (N, wide, 7, 7)
        return self.deconv(hidden)  # (N, 1, 28, 28)


class DiscriminatorBody(nn.Module):
    """Images -> shared features, used by both the D head and the Q head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        channels = config.latent.image_shape[0]
        narrow, wide = config.discriminator_channels
        slope = config.leaky_slope
        self.layers = nn.Sequential(
            nn.Conv2d(channels, narrow, 4, stride=2, padding=1),  # (N, narrow, 14, 14); no BatchNorm on the input
            nn.LeakyReLU(slope),
            nn.Conv2d(narrow, wide, 4, stride=2, padding=1),  # (N, wide, 7, 7)
            nn.BatchNorm2d(wide),
            nn.LeakyReLU(slope),
            nn.Flatten(1),  # (N, wide * 7 * 7)
            nn.Linear(wide * 7 * 7, config.discriminator_fc),  # (N, discriminator_fc)
            nn.BatchNorm1d(config.discriminator_fc),
            nn.LeakyReLU(slope),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)  # (N, discriminator_fc)


class QHead(nn.Module):
    """Shared features -> code parameters: categorical logits, continuous means and log-stds."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        spec = config.latent
        self.spec = spec
        self.n_continuous = spec.n_continuous
        self.learn_std = config.learn_std
        n_std = spec.n_continuous if config.learn_std else 0
        self.hidden = nn.Sequential(
            nn.Linear(config.discriminator_fc, config.q_fc),  # (N, q_fc)
            nn.BatchNorm1d(config.q_fc),
            nn.LeakyReLU(config.leaky_slope),
        )
        self.categorical = nn.Linear(config.q_fc, spec.categorical_size)  # (N, categorical_size) logits
        # (N, n_continuous means), plus as many log-stds with learn_std
        self.continuous = nn.Linear(config.q_fc, spec.n_continuous + n_std)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.read(self.hidden(features))

    def read(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The code parameters from the hidden layer's (N, q_fc) features (export's digit score reads those too)."""
        logits = self.categorical(hidden)  # (N, categorical_size)
        params = self.continuous(hidden)
        mean = params[:, : self.n_continuous]  # (N, n_continuous)
        if self.learn_std:
            # Bounded so the Gaussian NLL cannot run away to -inf on a collapsed std.
            log_std = params[:, self.n_continuous :].clamp(-4.0, 2.0)  # (N, n_continuous)
        else:
            log_std = torch.zeros_like(mean)
        return logits, mean, log_std


class Discriminator(nn.Module):
    """The body with its two heads: D (real/fake logit) and Q (code parameters)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.body = DiscriminatorBody(config)
        self.d_head = nn.Linear(config.discriminator_fc, 1)  # (N, 1) real/fake logit
        self.q_head = QHead(config)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (realness logit (N,), categorical logits, continuous mean, continuous log-std)."""
        return self.forward_with_features(images)[:4]

    def forward_with_features(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """forward's four outputs, then the features the exported digit score reads: the body's and Q's hidden
        layer, concatenated (N, discriminator_fc + q_fc)."""
        features = self.body(images)
        realness = self.d_head(features).flatten(0)  # (N,), flatten not squeeze: a batch of one stays a batch
        hidden = self.q_head.hidden(features)
        return (realness, *self.q_head.read(hidden), torch.cat([features, hidden], dim=1))


class NoiseHead(nn.Module):
    """(images, the reader's features) -> the noise that would redraw them (stage 3, `train/noise.py`).

    The reader's features say what the codes are, and were trained to ignore how a digit is drawn; the image at
    half resolution gives the head that back. The features are standardised with fixed statistics (`mean`,
    `scale`: set from real images before training) so that no BatchNorm couples the images of a batch."""

    def __init__(self, spec: LatentSpec, n_features: int, hidden: int) -> None:
        super().__init__()
        pooled = (spec.image_shape[1] // 2) * (spec.image_shape[2] // 2)
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
        self.net = nn.Sequential(
            nn.Linear(n_features + pooled, hidden),  # (N, hidden)
            nn.LeakyReLU(0.1),
            nn.Linear(hidden, hidden),  # (N, hidden)
            nn.LeakyReLU(0.1),
            nn.Linear(hidden, spec.noise_size),  # (N, noise_size)
        )

    def forward(self, images: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        pooled = nn.functional.avg_pool2d(images, 2).flatten(1)  # (N, 14 * 14)
        return self.net(torch.cat([(features - self.mean) / self.scale, pooled], dim=1))  # (N, noise_size)


def initialise(module: nn.Module) -> None:
    """DCGAN-style initialisation: N(0, 0.02) weights, BatchNorm scale N(1, 0.02)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


DIGIT_SCORE_HIDDEN = 64  # units of the digit score's hidden layer


class DigitScore(nn.Module):
    """(N, F) features -> (N,) digit score, higher is more like a digit; fitted at export (`export/digit_score.py`).

    Two signals on the encoder's standardised features. The logit of a small MLP that tells digits from generated
    non-digits (outlier exposure, Hendrycks et al. 2019) rejects the kinds it was shown. A class-conditional
    Mahalanobis distance (Lee et al. 2018), fitted on digits alone, rejects what lies far from every class, seen or
    not. With `Density`, the score is the smaller of the two, each shifted by its own threshold and scaled."""

    def __init__(self, mean: torch.Tensor, scale: torch.Tensor, hidden: int = DIGIT_SCORE_HIDDEN,
                 density: Density | None = None) -> None:
        super().__init__()
        self.register_buffer("mean", mean.float())
        self.register_buffer("scale", scale.float())
        self.net = nn.Sequential(nn.Linear(len(mean), hidden), nn.ReLU(), nn.Linear(hidden, 1))  # (N, hidden) -> (N, 1)
        self.density = density

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        standard = (features - self.mean) / self.scale  # (N, F)
        logit = self.net(standard).flatten(0)  # (N,)
        if self.density is None:
            return logit
        return self.density.combine(logit, self.density(standard))  # (N,)


class Density(nn.Module):
    """(N, F) standardised features -> (N,) minus the squared Mahalanobis distance to the nearest class centre, under
    one shared covariance. `whitening` is W with W W^T the inverse covariance, so the distance to centre k is
    |x W - c_k W|^2; `centres` holds the c_k W as columns (F, K) and `centre_norms` their squared lengths (K,).
    `combine` puts the MLP's logit and this score on one scale: min(logit - logit_shift, (density - density_shift)
    * density_scale), so 0 is where either rejects. Every buffer is used as stored, so the exported graph keeps
    them under these names (`train/from_folder.py` reads them back)."""

    def __init__(self, centres: torch.Tensor, whitening: torch.Tensor, shifts: tuple[float, float, float]) -> None:
        super().__init__()
        self.register_buffer("whitening", whitening.float())  # (F, F)
        self.register_buffer("centres", centres.float())  # (F, K)
        self.register_buffer("centre_norms", (centres.double() ** 2).sum(dim=0).float())  # (K,)
        self.register_buffer("logit_shift", torch.tensor([shifts[0]]))  # (1,)
        self.register_buffer("density_shift", torch.tensor([shifts[1]]))  # (1,)
        self.register_buffer("density_scale", torch.tensor([shifts[2]]))  # (1,)

    def forward(self, standard: torch.Tensor) -> torch.Tensor:
        white = standard @ self.whitening  # (N, F)
        squared = (white * white).sum(dim=1, keepdim=True) - 2 * white @ self.centres + self.centre_norms  # (N, K)
        return -squared.min(dim=1).values  # (N,)

    def combine(self, logit: torch.Tensor, density: torch.Tensor) -> torch.Tensor:
        return torch.minimum(logit - self.logit_shift, (density - self.density_shift) * self.density_scale)  # (N,)


def build(config: ModelConfig, seed: int) -> tuple[Generator, Discriminator]:
    """Both networks, initialised reproducibly from `seed` without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator, discriminator = Generator(config), Discriminator(config)
        initialise(generator)
        initialise(discriminator)
    return generator, discriminator


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
