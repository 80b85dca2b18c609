"""The latent contract: the one place that says how an InfoGAN latent vector is laid out.

The networks build their layers from a `LatentSpec`, the sampler draws from it, export writes it
into the model folder and the SDK validates its inputs against it. No other file repeats its numbers.

Layout of the generator's input, in this order along axis 1:
    noise (noise_size) | one-hot categorical codes (sum(categorical_sizes)) | continuous codes
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, field
from typing import Any

from infogan_sdk.errors import IncompatibleModelError

# Generator input names and encoder output names, shared by export and the SDK.
NOISE = "noise"
CATEGORICAL = "categorical"
CONTINUOUS = "continuous"
IMAGES = "images"
CATEGORICAL_LOGITS = "categorical_logits"
CONTINUOUS_MEAN = "continuous_mean"
CONTINUOUS_LOG_STD = "continuous_log_std"
REALNESS = "realness"
DIGIT_SCORE = "digit_score"  # optional: higher = more like a digit (the manifest's not_a_digit threshold)
DOMAIN_SCORE = "domain_score"  # optional: higher = more like the training images (the manifest's in_domain threshold)
# Sanity bounds: a manifest beyond them is corrupt (and would make the SDK allocate unbounded memory).
MAX_LATENT_SIZE = 1 << 16
MAX_IMAGE_SIDE = 4096
FLOAT32_MAX = 3.4028234663852886e38  # ranges are used in float32


@dataclass(frozen=True)
class LatentSpec:
    """How the generator's input is laid out; defaults are the InfoGAN paper's MNIST setting."""

    noise_size: int = 62  # incompressible noise z ~ N(0, 1)
    categorical_sizes: tuple[int, ...] = (10,)  # one categorical code of 10 values (the digit)
    n_continuous: int = 2  # continuous codes ~ Uniform(continuous_range)
    continuous_range: tuple[float, float] = (-1.0, 1.0)
    image_shape: tuple[int, int, int] = (1, 28, 28)  # (channels, height, width)
    pixel_range: tuple[float, float] = (-1.0, 1.0)  # the generator ends in tanh
    noise_distribution: str = field(default="normal")  # "normal" N(0,1) or "uniform" U(-1,1)

    def __post_init__(self) -> None:
        problems = []
        if self.noise_size < 0:
            problems.append(f"noise_size must be >= 0, got {self.noise_size}")
        if any(size < 2 for size in self.categorical_sizes):
            problems.append(f"categorical sizes must be >= 2, got {reprlib.repr(list(self.categorical_sizes))}")
        if self.n_continuous < 0:
            problems.append(f"n_continuous must be >= 0, got {self.n_continuous}")
        if not 0 < self.latent_size <= MAX_LATENT_SIZE:
            problems.append(f"the latent vector must have 1 to {MAX_LATENT_SIZE} values, got {self.latent_size}")
        for name, (low, high) in (("continuous_range", self.continuous_range), ("pixel_range", self.pixel_range)):
            if not (low < high and abs(low) <= FLOAT32_MAX and abs(high) <= FLOAT32_MAX and math.isfinite(high - low)):
                problems.append(f"{name} must be finite float32 (low, high) with low < high, got {(low, high)}")
        if len(self.image_shape) != 3 or not 1 <= min(self.image_shape) <= max(self.image_shape) <= MAX_IMAGE_SIDE:
            problems.append(f"image_shape must be (channels, height, width), each 1 to {MAX_IMAGE_SIDE}, got "
                            f"{self.image_shape}")
        if self.noise_distribution not in ("normal", "uniform"):
            problems.append("noise_distribution must be 'normal' or 'uniform', got "
                            + reprlib.repr(self.noise_distribution))
        if problems:
            raise IncompatibleModelError("invalid latent spec: " + "; ".join(problems))

    @property
    def categorical_size(self) -> int:
        """Width of all one-hot categorical codes together."""
        return sum(self.categorical_sizes)

    @property
    def latent_size(self) -> int:
        """Width of the whole generator input."""
        return self.noise_size + self.categorical_size + self.n_continuous

    @property
    def digit_code_size(self) -> int:
        """Number of values of the first categorical code (the digit on MNIST); 0 if none."""
        return self.categorical_sizes[0] if self.categorical_sizes else 0

    def generator_inputs(self) -> dict[str, int]:
        """The generator's named inputs and their widths, in concatenation order (empty ones omitted)."""
        widths = {NOISE: self.noise_size, CATEGORICAL: self.categorical_size, CONTINUOUS: self.n_continuous}
        return {name: width for name, width in widths.items() if width > 0}

    def to_dict(self) -> dict[str, Any]:
        return {
            "noise_size": self.noise_size,
            "categorical_sizes": list(self.categorical_sizes),
            "n_continuous": self.n_continuous,
            "continuous_range": list(self.continuous_range),
            "image_shape": list(self.image_shape),
            "pixel_range": list(self.pixel_range),
            "noise_distribution": self.noise_distribution,
        }

    @classmethod
    def from_dict(cls, data: Any) -> LatentSpec:
        """Build a spec from `to_dict` output; raise IncompatibleModelError on anything else."""
        expected = {"noise_size", "categorical_sizes", "n_continuous", "continuous_range",
                    "image_shape", "pixel_range", "noise_distribution"}
        if not isinstance(data, dict) or set(data) != expected:
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise IncompatibleModelError(f"latent spec must have exactly the keys {sorted(expected)}, got {got}")
        try:
            return cls(
                noise_size=_int(data["noise_size"]),
                categorical_sizes=tuple(_int(v) for v in data["categorical_sizes"]),
                n_continuous=_int(data["n_continuous"]),
                continuous_range=_pair(data["continuous_range"]),
                image_shape=(_int(data["image_shape"][0]), _int(data["image_shape"][1]),
                             _int(data["image_shape"][2])),
                pixel_range=_pair(data["pixel_range"]),
                noise_distribution=_str(data["noise_distribution"]),
            )
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as error:
            raise IncompatibleModelError(f"malformed latent spec {reprlib.repr(data)}: {error}") from error


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {reprlib.repr(value)}")
    return value


def _pair(value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"expected [low, high], got {reprlib.repr(value)}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise TypeError(f"expected two numbers, got {reprlib.repr(value)}")
    return float(value[0]), float(value[1])


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {reprlib.repr(value)}")
    return value
