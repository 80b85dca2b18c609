"""The InfoGAN networks: generator, discriminator body, D head and Q head (paper appendix C).

Every layer size comes from a `ModelConfig`; the latent layout and the image shape come from its `LatentSpec`.
The number of stride-2 stages is the length of generator_channels / discriminator_channels, so the image side
must be divisible by 2**stages (as pytorch/examples' dcgan derives its layers from nc and imageSize); the paper's
28x28, 32x32 and the 64x64 variants are named in train/config.py. Shape comments name the config's widths
(wide: generator_channels[0] or discriminator_channels[-1]; narrow: the other end; start: side / 2**stages).
Heads return logits; losses apply the sigmoid / softmax themselves.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from infogan_sdk.spec import LatentSpec
from train.config import ModelConfig


def start_side(side: int, widths: tuple[int, ...], network: str, field: str) -> int:
    """The side at the small end of `network`'s stride-2 stages, one per entry of `widths` (ModelConfig.`field`),
    each halving the side exactly; ValueError when `side` cannot be halved that often."""
    count = len(widths)
    if count < 1 or side % 2**count:
        raise ValueError(f"the {network} has {count} stride-2 stages (ModelConfig.{field} {widths}), so it needs an "
                         f"image side divisible by {2**count}, got {side}: resize the images, or give {field} as "
                         f"many entries as {side} can be halved into")
    return side // 2**count


def body_shape(config: ModelConfig) -> tuple[int, int, int]:
    """(channels, height, width) of the discriminator body's last convolution."""
    _, height, width = config.latent.image_shape
    widths = config.discriminator_channels
    end_height, end_width = (start_side(side, widths, "discriminator", "discriminator_channels")
                             for side in (height, width))
    return widths[-1], end_height, end_width


def body_features(config: ModelConfig) -> int:
    """Width of the discriminator body's output: its FC layer's, or the last convolution's, flattened, without one."""
    return config.discriminator_fc or math.prod(body_shape(config))


class Generator(nn.Module):
    """(noise, categorical one-hots, continuous codes) -> images in [-1, 1].

    [FC generator_fc -] FC to generator_channels[0] x start x start (start = side / 2**stages) - a 4x4 stride-2
    upconv per stage, to each later entry of generator_channels, then to the image's channels. Every hidden layer
    has BatchNorm (the paper's 32x32 table omits it after two upconvs; DCGAN keeps it: one rule for every size)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        spec = config.latent
        channels, height, width = spec.image_shape
        if tuple(spec.pixel_range) != (-1.0, 1.0):  # what the SDK and export convert to and from
            raise ValueError(f"the generator ends in tanh, so pixel_range must be (-1.0, 1.0), got {spec.pixel_range}")
        widths = config.generator_channels
        self.start = (widths[0], *(start_side(side, widths, "generator", "generator_channels")
                                   for side in (height, width)))  # (wide, start, start): (128, 7, 7) on MNIST
        fc: list[nn.Module] = []
        if config.generator_fc:  # the paper's 28x28 network; its 32x32 one goes straight to the start
            fc += [nn.Linear(spec.latent_size, config.generator_fc),  # (N, generator_fc)
                   nn.BatchNorm1d(config.generator_fc), nn.ReLU()]
        start_size = math.prod(self.start)
        fc += [nn.Linear(config.generator_fc or spec.latent_size, start_size),  # (N, wide * start * start)
               nn.BatchNorm1d(start_size), nn.ReLU()]
        self.fc = nn.Sequential(*fc)
        deconv: list[nn.Module] = []
        for wider, narrower in itertools.pairwise(widths):
            deconv += [nn.ConvTranspose2d(wider, narrower, 4, stride=2, padding=1),  # (N, narrower, 2 s, 2 s)
                       nn.BatchNorm2d(narrower), nn.ReLU()]
        deconv += [nn.ConvTranspose2d(widths[-1], channels, 4, stride=2, padding=1),  # (N, C, H, W)
                   nn.Tanh()]
        self.deconv = nn.Sequential(*deconv)

    def forward(self, noise: torch.Tensor, categorical: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        latent = torch.cat([noise, categorical, continuous], dim=1)  # (N, latent_size), the spec's order
        hidden = self.fc(latent).view(-1, *self.start)  # (N, wide, start, start)
        return self.deconv(hidden)  # (N, C, H, W)


class DiscriminatorBody(nn.Module):
    """Images -> shared features, used by both the D head and the Q head.

    A 4x4 stride-2 conv per entry of discriminator_channels (BatchNorm on all but the first), each followed by
    discriminator_depth - 1 3x3 convs at its width (BatchNorm) [- FC discriminator_fc]; without the FC
    (discriminator_fc 0, the paper's 32x32 network) the features are the last convolution, flattened. With
    spectral_norm there is no BatchNorm (`spectral_normed` then normalises the weights). `channels` is the input's
    (0: the image's; InfoGAN-CR's pair discriminator reads two images stacked)."""

    def __init__(self, config: ModelConfig, channels: int = 0) -> None:
        super().__init__()
        channels = channels or config.latent.image_shape[0]
        widths = config.discriminator_channels
        slope = config.leaky_slope
        norm = not config.spectral_norm
        last = body_shape(config)  # (wide, side / 2**stages, ...): checks the image side against the stages
        self.out_features = body_features(config)
        layers: list[nn.Module] = [
            nn.Conv2d(channels, widths[0], 4, stride=2, padding=1),  # (N, narrow, H / 2, W / 2); no BatchNorm here
            nn.LeakyReLU(slope),
            *_deeper(widths[0], config.discriminator_depth, slope, norm),
        ]
        for narrower, wider in itertools.pairwise(widths):
            layers += [nn.Conv2d(narrower, wider, 4, stride=2, padding=1),  # (N, wider, s / 2, s / 2)
                       *_norm(nn.BatchNorm2d, wider, norm), nn.LeakyReLU(slope),
                       *_deeper(wider, config.discriminator_depth, slope, norm)]
        layers.append(nn.Flatten(1))  # (N, wide * end * end)
        if config.discriminator_fc:
            layers += [nn.Linear(math.prod(last), config.discriminator_fc),  # (N, discriminator_fc)
                       *_norm(nn.BatchNorm1d, config.discriminator_fc, norm), nn.LeakyReLU(slope)]
        self.layers = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)  # (N, out_features)


def _norm(kind: type[nn.Module], width: int, use: bool) -> list[nn.Module]:
    """[BatchNorm of `width`] where `use`, else nothing (layer indices then shift: that is another network)."""
    return [kind(width)] if use else []


def _deeper(width: int, depth: int, slope: float, norm: bool = True) -> list[nn.Module]:
    """depth - 1 3x3 stride-1 convs at one width, each with BatchNorm where `norm`: (N, width, s, s) -> the same
    shape."""
    layers: list[nn.Module] = []
    for _ in range(depth - 1):
        layers += [nn.Conv2d(width, width, 3, padding=1), *_norm(nn.BatchNorm2d, width, norm), nn.LeakyReLU(slope)]
    return layers


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
            nn.Linear(body_features(config), config.q_fc),  # (N, q_fc)
            *_norm(nn.BatchNorm1d, config.q_fc, not config.spectral_norm),
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
        self.d_head = nn.Linear(self.body.out_features, 1)  # (N, 1) real/fake logit
        self.q_head = QHead(config)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (realness logit (N,), categorical logits, continuous mean, continuous log-std)."""
        return self.forward_with_features(images)[:4]

    def forward_with_features(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """forward's four outputs, then the features the exported digit score reads: the body's and Q's hidden
        layer, concatenated (N, body_features + q_fc)."""
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
        channels, height, width = spec.image_shape
        pooled = channels * (height // 2) * (width // 2)
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
        pooled = nn.functional.avg_pool2d(images, 2).flatten(1)  # (N, C * H/2 * W/2): 14 * 14 on MNIST
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
    """Both networks, initialised reproducibly from `seed` without touching the global RNG; D spectrally normalised
    where the config says so."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generator, discriminator = Generator(config), Discriminator(config)
        initialise(generator)
        initialise(discriminator)
        if config.spectral_norm:
            spectral_normed(discriminator)
    return generator, discriminator


def spectral_normed(module: nn.Module, skip: tuple[nn.Module, ...] = ()) -> nn.Module:
    """Spectral normalisation (torch's parametrization: one power iteration per forward in training mode) on every
    conv and FC of `module` but those in `skip`; returns `module`. Call it after `initialise`."""
    for layer in list(module.modules()):
        if isinstance(layer, (nn.Conv2d, nn.Linear)) and not any(layer is other for other in skip):
            nn.utils.parametrizations.spectral_norm(layer)
    return module


def fold_spectral_norm(module: nn.Module) -> nn.Module:
    """Replace each spectrally normalised weight by its value (weight / sigma from the stored power-iteration
    vectors, as eval mode computes it), leaving plain layers under their plain names; returns `module` in eval mode.
    Export and a model folder's weights need this; a module without the normalisation is returned unchanged."""
    module.eval()  # in training mode reading the weight would run a power iteration
    for layer in module.modules():
        if nn.utils.parametrize.is_parametrized(layer, "weight"):
            nn.utils.parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    return module


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
