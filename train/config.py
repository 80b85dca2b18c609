"""Typed configuration: the model's shape (`ModelConfig`) apart from how it is trained (`TrainConfig`).

Both are saved in every checkpoint, so export needs nothing but the checkpoint.
Defaults are the InfoGAN paper's MNIST setting (Chen et al. 2016, appendix C.1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from imagedata.convert import check_options
from imagedata.sources import parse_source
from infogan_sdk.spec import LatentSpec

MODES = ("unsupervised", "semi-supervised", "supervised")


@dataclass(frozen=True)
class ModelConfig:
    """Layer widths of the generator, the discriminator body and the heads."""

    latent: LatentSpec = field(default_factory=LatentSpec)
    generator_fc: int = 1024  # paper: FC 1024 - FC 7x7x128 - upconv 64 - upconv 1 (0: no FC before the start)
    generator_channels: tuple[int, ...] = (128, 64)  # one per stride-2 upconv: channels at 7x7 and at 14x14
    discriminator_channels: tuple[int, ...] = (64, 128)  # paper: conv 64 - conv 128 - FC 1024; one per stride-2 conv
    discriminator_fc: int = 1024  # 0: the heads read the last convolution, flattened
    discriminator_depth: int = 1  # convs per stride-2 stage: the 4x4 stride-2 conv, then depth - 1 3x3 convs
    q_fc: int = 128  # paper: Q head FC 128 - code parameters
    # Continuous codes: Q predicts a mean with std fixed at 1 (as the paper's released code does), or also a
    # log-std. A learned std starved the categorical code in our runs (semi-supervised Q accuracy 55% vs 96%).
    learn_std: bool = False
    leaky_slope: float = 0.1  # paper: leaky ReLU 0.1
    # D's and Q's convs and FCs spectrally normalised (Miyato et al. 2018) and without BatchNorm, as InfoGAN-CR's
    # discriminator; export folds the normalisation into the weights
    spectral_norm: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["latent"] = self.latent.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        values = {k: v for k, v in data.items() if k != "latent"}
        for name in ("generator_channels", "discriminator_channels"):
            values[name] = tuple(values[name])
        return cls(latent=LatentSpec.from_dict(data["latent"]), **values)


# Each architecture's layer widths per image side (the ModelConfig fields that differ from the defaults above);
# `architecture` picks the variant for the spec's image shape.
ARCHITECTURES: dict[str, dict[int, dict[str, Any]]] = {
    "paper": {
        28: {},  # appendix C.1 (MNIST); C.4 draws 3D faces at 32x32 with it (start 8x8), here 32x32 gets C.2's
        # appendix C.2-C.3 (SVHN, CelebA): FC 2x2x448 - upconv 256 - 128 - 64 - C; D conv 64 - 128 - 256, Q FC 128
        32: {"generator_fc": 0, "generator_channels": (448, 256, 128, 64), "discriminator_channels": (64, 128, 256),
             "discriminator_fc": 0},
        # DCGAN-like (Radford et al. 2016): FC 4x4x512 - upconv 256 - 128 - 64 - C; D conv 64 - 128 - 256 - 512
        64: {"generator_fc": 0, "generator_channels": (512, 256, 128, 64),
             "discriminator_channels": (64, 128, 256, 512), "discriminator_fc": 0},
    },
    # Fits the shipped-model size budget: both networks under 8 MB in fp32 (tests/train/test_resolutions.py).
    "compact": {
        28: {"generator_fc": 256, "generator_channels": (64, 32), "discriminator_channels": (32, 64),
             "discriminator_fc": 256},
        32: {"generator_fc": 0, "generator_channels": (256, 128, 64, 32), "discriminator_channels": (32, 64, 128),
             "discriminator_fc": 0},
        64: {"generator_fc": 0, "generator_channels": (192, 128, 64, 32), "discriminator_channels": (16, 32, 64, 128),
             "discriminator_fc": 0},
    },
    # For dry runs and tests: seconds on a CPU.
    "tiny": {
        28: {"generator_fc": 32, "generator_channels": (8, 4), "discriminator_channels": (4, 8),
             "discriminator_fc": 32, "q_fc": 16},
        32: {"generator_fc": 0, "generator_channels": (16, 8, 8, 4), "discriminator_channels": (4, 8, 16),
             "discriminator_fc": 0, "q_fc": 16},
        64: {"generator_fc": 0, "generator_channels": (16, 8, 8, 4), "discriminator_channels": (4, 8, 8, 16),
             "discriminator_fc": 0, "q_fc": 16},
    },
    # InfoGAN-CR's dSprites networks (Lin et al. 2020): G FC 128 - FC 4x4x64 - upconv 64 - 32 - 32 - 1;
    # D conv 32 - 32 - 64 - 64 - FC 128, Q FC 128. Drawn in tanh's range, as every architecture here.
    "small": {
        64: {"generator_fc": 128, "generator_channels": (64, 64, 32, 32), "discriminator_channels": (32, 32, 64, 64),
             "discriminator_fc": 128, "q_fc": 128},
    },
}

# The paper's five settings (appendix C), named as it names the data sets, and InfoGAN-CR's dSprites setting:
# latent layout and image shape.
PRESETS: dict[str, LatentSpec] = {
    "mnist": LatentSpec(),  # C.1: the spec's defaults
    "svhn": LatentSpec(noise_size=124, categorical_sizes=(10,) * 4, n_continuous=4, image_shape=(3, 32, 32)),  # C.2
    "celeba": LatentSpec(noise_size=128, categorical_sizes=(10,) * 10, n_continuous=0, image_shape=(3, 32, 32)),
    "faces": LatentSpec(noise_size=128, categorical_sizes=(), n_continuous=5, image_shape=(1, 32, 32)),  # C.4, 3D faces
    "chairs": LatentSpec(noise_size=128, categorical_sizes=(20,) * 3, n_continuous=1, image_shape=(1, 64, 64)),
    # InfoGAN-CR (Lin et al. 2020): 5 codes and 5 uniform noise values; its 5 continuous codes here as dSprites'
    # factors are: the shape a category of 3, then 4 continuous (x, y, scale, orientation)
    "dsprites": LatentSpec(noise_size=5, categorical_sizes=(3,), n_continuous=4, image_shape=(1, 64, 64),
                           noise_distribution="uniform"),
}


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, loss weights, data and bookkeeping."""

    mode: str = "unsupervised"  # one of MODES
    epochs: int = 50
    batch_size: int = 128  # paper: 128 (global batch; split across DDP ranks)
    generator_lr: float = 1e-3  # paper: 1e-3 for G
    discriminator_lr: float = 2e-4  # paper: 2e-4 for D
    betas: tuple[float, float] = (0.5, 0.999)  # Adam, as in DCGAN
    categorical_weight: float = 1.0  # paper: lambda = 1 for discrete codes
    continuous_weight: float = 1.0  # the paper's released code uses 1 for every code
    labels_per_class: int = 10  # semi-supervised label budget per class (100 labels on MNIST)
    supervised_weight: float = 1.0  # weight of the cross-entropy on labelled real images
    labelled_batch: int = 64  # labelled real images per step in semi-supervised mode
    label_shift: int = 0  # semi-supervised: shift each labelled image by up to this many pixels (augmentation)
    consistency_weight: float = 0.0  # Q's reading of distorted real images vs the plain ones (0: off, as in the paper)
    consistency_threshold: float = 0.95  # only confident readings of the plain image are targets
    robust_views: bool = False  # also degrade Q's distorted and labelled views (thin/thick, blur, low resolution)
    morph_probability: float = 0.0  # thin or thicken each real image D sees with this probability (Morpho-MNIST)
    generator_steps: int = 1  # G updates per step, each on the step's latents (InfoGAN-CR: 2)
    cr_weight: float = 0.0  # InfoGAN-CR's contrastive regulariser on G (Lin et al. 2020: 2.0); 0: off
    cr_start: int = 0  # the step it switches on at (InfoGAN-CR: 288,000 of 322,560)
    cr_lr: float = 2e-3  # Adam lr of the CR discriminator, which learns only from cr_start (InfoGAN-CR: 2e-3)
    average_decay: float = 0.0  # > 0: also keep an exponential moving average of G and D weights (e.g. 0.999;
    # decay min(this, (1 + step) / (10 + step))), which the per-epoch evaluation and export use
    seed: int = 0
    data: str = "mnist"  # the data source (imagedata.sources): mnist, fashion, fake (dry runs), shapes, idx:DIR,
    # npz:FILE, folder:DIR or a path
    image_size: int = 0  # side of the square images the model draws (0: the data's own)
    channels: int = 0  # 1 grey or 3 RGB (0: the data's own)
    resize_policy: str = ""  # images of another size: "resize", "crop" (centred square), or "" (refused)
    fake_size: int = 512  # training images of the generated data sets (fake, shapes)
    max_steps: int = 0  # stop after this many steps (0: run all epochs); for dry runs and tests
    checkpoint_every: int = 0  # also checkpoint every N steps (0: once per epoch)
    log_every: int = 50  # metrics log interval, in steps
    keep_every: int = 0  # also keep the checkpoint of every Nth step as checkpoint-stepNNNNNN.pt (learning curves)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.batch_size < 1 or self.epochs < 1:
            raise ValueError(f"batch_size and epochs must be >= 1, got {self.batch_size}, {self.epochs}")
        if not 0.0 <= self.average_decay < 1.0:
            raise ValueError(f"average_decay must be in [0, 1), got {self.average_decay}")
        if not 0.0 <= self.morph_probability <= 1.0:
            raise ValueError(f"morph_probability must be in [0, 1], got {self.morph_probability}")
        if self.generator_steps < 1:
            raise ValueError(f"generator_steps must be >= 1, got {self.generator_steps}")
        if self.keep_every < 0:
            raise ValueError(f"keep_every must be >= 0 (0: keep no step's checkpoint), got {self.keep_every}")
        if self.cr_weight < 0 or self.cr_start < 0 or self.cr_lr <= 0:
            raise ValueError(f"cr_weight and cr_start must be >= 0 and cr_lr > 0, got {self.cr_weight}, "
                             f"{self.cr_start}, {self.cr_lr}")
        parse_source(self.data)  # the string alone: DataSetError (a ValueError) for one that names no source
        check_options(self.image_size or None, self.channels or None, self.resize_policy)

    @property
    def label_budget(self) -> int | None:
        """Labelled images training may read: 0 unsupervised, all (None) supervised."""
        return {"unsupervised": 0, "semi-supervised": 10 * self.labels_per_class, "supervised": None}[self.mode]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["betas"] = tuple(values.get("betas", (0.5, 0.999)))
        return cls(**values)


@dataclass(frozen=True)
class ReaderConfig:
    """Stage 2 (`train/reader.py`): the exported encoder trained with stage 1's generator frozen.

    The reader starts from stage 1's discriminator (body, Q head, D head) and learns, on one mixed batch per step:
    L_I on G's samples (the codes that made them), the digit code on degraded and distorted samples, stage 1 Q's
    confident readings of real images as targets for degraded views of them, the labels the mode allows, and
    D's realness logit through a head on detached features (so the body is never pulled towards seeing defects).
    """

    generator_run: str = ""  # stage 1's run folder (or checkpoint): G, the teacher and both configs come from it
    epochs: int = 10
    batch_size: int = 128  # real images per step, and as many of G's samples
    lr: float = 5e-4  # Adam
    betas: tuple[float, float] = (0.5, 0.999)
    pseudo_label_threshold: float = 0.9  # a real image is a target only when the teacher is this confident
    sample_weight: float = 1.0  # L_I on G's plain samples, and the digit code on their degraded views
    real_weight: float = 1.0  # degraded views of real images against the teacher's reading
    supervised_weight: float = 1.0  # the mode's labels (semi-supervised: its 100; supervised: every image)
    realness_weight: float = 1.0  # mean squared error to stage 1 D's realness logit (D head only)
    printed_weight: float = 0.0  # > 0: also digits printed in other fonts than the evaluation's (train/printed.py;
    # their label is the character drawn; semi-supervised and supervised modes, where code k is digit k)
    teacher_refresh: int = 0  # > 0: every this many epochs the reader's average becomes the teacher (self-training)
    teachers: str = ""  # model folders or bundled names, comma-separated: their encoders' readings of the real
    # images join stage 1 Q's in the pseudo-labels, one vote each (modes where code k is digit k)
    average_decay: float = 0.999  # the reader's weights are also averaged; export uses the average
    depth: int = 0  # > 0: a fresh, deeper reader (ModelConfig.discriminator_depth) instead of stage 1's D copied
    seed: int = 0
    max_steps: int = 0  # stop after this many steps (0: run all epochs)
    log_every: int = 50

    def __post_init__(self) -> None:
        if not self.generator_run:
            raise ValueError("a reader needs generator_run: the stage 1 run folder to read G and the teacher from")
        if self.depth < 0:
            raise ValueError(f"depth must be >= 0 (0: stage 1's discriminator), got {self.depth}")
        if self.batch_size < 1 or self.epochs < 1:
            raise ValueError(f"batch_size and epochs must be >= 1, got {self.batch_size}, {self.epochs}")
        if not 0.0 <= self.average_decay < 1.0:
            raise ValueError(f"average_decay must be in [0, 1), got {self.average_decay}")
        if not 0.0 < self.pseudo_label_threshold <= 1.0:
            raise ValueError(f"pseudo_label_threshold must be in (0, 1], got {self.pseudo_label_threshold}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReaderConfig:
        return cls(**_stage_values(cls, data))


@dataclass(frozen=True)
class NoiseConfig:
    """Stage 3, the noise encoder (`train/noise.py`): a head that infers the noise of an image, on a model folder
    whose generator and reader stay frozen."""

    model: str = ""  # the model folder (or bundled name) whose generator and encoder are frozen
    epochs: int = 4
    batch_size: int = 128  # real images per step, and as many of G's samples
    lr: float = 1e-3  # Adam
    betas: tuple[float, float] = (0.5, 0.999)
    hidden: int = 256  # the head's hidden layer
    noise_weight: float = 1.0  # mean squared error to the noise that drew G's samples (known there)
    pixel_weight: float = 1.0  # L1 between an image and G's redrawing of it from its inferred codes and noise
    feature_weight: float = 1.0  # mean squared error between the reader's features of the two
    average_decay: float = 0.999  # the head's weights are also averaged; export uses the average
    seed: int = 0
    max_steps: int = 0  # stop after this many steps (0: run all epochs)
    log_every: int = 50

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("a noise encoder needs model: the model folder whose generator it inverts")
        if self.batch_size < 1 or self.epochs < 1 or self.hidden < 1:
            raise ValueError(f"batch_size, epochs and hidden must be >= 1, got {self.batch_size}, {self.epochs}, "
                             f"{self.hidden}")
        if not 0.0 <= self.average_decay < 1.0:
            raise ValueError(f"average_decay must be in [0, 1), got {self.average_decay}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoiseConfig:
        return cls(**_stage_values(cls, data))


def _stage_values(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """A stage config's fields from a saved dict (keys it does not know dropped; betas back to a tuple)."""
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    values["betas"] = tuple(values.get("betas", (0.5, 0.999)))
    return values


def architecture(name: str, latent: LatentSpec, learn_std: bool = False, spectral_norm: bool = False) -> ModelConfig:
    """The named architecture (ARCHITECTURES: "paper", "compact", "small", "tiny") for this latent contract and its
    image shape.

    Images 28, 32 or 64 pixels on a side get that variant; other sides the variant of the nearest of those whose
    stages divide the side (e.g. 16 -> 28's, 128 -> 64's). Raises ValueError for an unknown name, or a side no
    variant can draw."""
    if name not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {name!r}")
    variants = ARCHITECTURES[name]
    _, height, width = latent.image_shape
    fitting = [side for side in variants if all(s % 2 ** _stages(variants[side]) == 0 for s in (height, width))]
    if not fitting:
        raise ValueError(f"no {name!r} variant draws {height}x{width} images: its variants draw "
                         f"{', '.join(f'{side}x{side}' for side in variants)} and sides divisible by "
                         f"{sorted({2 ** _stages(v) for v in variants.values()})}")
    side = min(fitting, key=lambda side: (abs(side - max(height, width)), side))
    return replace(ModelConfig(latent=latent, learn_std=learn_std, spectral_norm=spectral_norm), **variants[side])


def _stages(widths: dict[str, Any]) -> int:
    """The stride-2 stages of an architecture variant (its generator's and its discriminator's, the larger)."""
    defaults = ModelConfig()
    return max(len(widths.get("generator_channels", defaults.generator_channels)),
               len(widths.get("discriminator_channels", defaults.discriminator_channels)))
