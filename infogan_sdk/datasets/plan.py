"""Synthetic data sets: labelled images whose latents are a function of (seed, global index), so shards add up.

Images are drawn in blocks of BLOCK consecutive indices. Block b's latents come from
numpy.random.default_rng(SeedSequence(seed, spawn_key=(b,))), in this order: the categorical codes
(BLOCK, n_categorical), uniform [0, 1) values (BLOCK, n_continuous) scaled to each code's range, the noise.
With `per_digit`, image i shows digit i % n_digits (so every prefix is balanced); else its digit is drawn.
A shard is a run of whole blocks and the generator runs one block per call, so a shard's images (and the
onnxruntime batches that make them) are exactly those of the unsharded run. BLOCK is part of the format:
changing it changes every data set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import InvalidInputError, shown
from infogan_sdk.generator import Generator
from infogan_sdk.latents.draw import draw_noise
from infogan_sdk.results import GenerateResult
from infogan_sdk.spec import LatentSpec

BLOCK = 256  # images per random stream and per generator call
MAX_IMAGES = 10**12  # a data set's images at most: about a petabyte of 28x28 images, far below the int64 index
MAX_VALUE = 1e38  # a continuous range's ends at most (in absolute value): their difference still fits in float32
Range = tuple[float, float]


@dataclass(frozen=True)
class DatasetPlan:
    """What a data set is: its size, seed, digit balance, code ranges and which shard of it to make.

    total: images in the whole (unsharded) data set. balanced: image i shows digit i % n_digits.
    ranges: (low, high) per continuous code, in column order. shard: (I, K), the I-th (from 0) of K parts.
    """

    total: int
    seed: int
    balanced: bool
    ranges: tuple[Range, ...]
    shard: tuple[int, int] = (0, 1)

    @property
    def blocks(self) -> range:
        """The blocks of this shard: an even split of the data set's blocks, in order."""
        count = -(-self.total // BLOCK)
        index, parts = self.shard
        return range(index * count // parts, (index + 1) * count // parts)

    @property
    def indices(self) -> range:
        """The global indices of this shard's images."""
        blocks = self.blocks
        return range(min(blocks.start * BLOCK, self.total), min(blocks.stop * BLOCK, self.total))


@dataclass(frozen=True, eq=False)
class DatasetChunk:
    """One block of a data set: the images' global indices (int64 (n,)) and what generated them."""

    index: NDArray[np.int64]
    result: GenerateResult

    def columns(self) -> dict[str, NDArray[Any]]:
        """The per-image arrays under their data set names: index, images, digits, codes, continuous, noise."""
        result = self.result
        return {"index": self.index, "images": result.images, "digits": result.digits, "codes": result.codes,
                "continuous": result.continuous, "noise": result.noise}


def metadata(generator: Generator, data: DatasetPlan) -> dict[str, Any]:
    """What a data set file records besides its per-image arrays."""
    return {"model": str(generator.info.get("name", generator.path.name)), "seed": data.seed, "total": data.total,
            "continuous_names": list(generator.continuous_names),
            "continuous_ranges": [list(pair) for pair in data.ranges]}


def layout(spec: LatentSpec, n: int) -> dict[str, tuple[type[np.generic], tuple[int, ...]]]:
    """The dtype and shape of each per-image array of n images, in `DatasetChunk.columns()` order."""
    colour = (3,) if spec.image_shape[0] == 3 else ()  # RGB images channels last, as GenerateResult.images
    return {"index": (np.int64, (n,)), "images": (np.uint8, (n, *spec.image_shape[1:], *colour)),
            "digits": (np.int64, (n,)), "codes": (np.int64, (n, len(spec.categorical_sizes))),
            "continuous": (np.float32, (n, spec.n_continuous)), "noise": (np.float32, (n, spec.noise_size))}


def plan(generator: Generator, *, count: int | None = None, per_digit: int | None = None, seed: int = 0,
         continuous_range: Range | Mapping[str, Range] | None = None, shard: tuple[int, int] = (0, 1)) -> DatasetPlan:
    """Check the arguments of a data set against the generator's model and return its plan.

    Exactly one of count (images) or per_digit (images of each digit, balanced) is given. continuous_range:
    (low, high) for every continuous code, or {name: (low, high)} for some (default: the spec's range).
    Raises InvalidInputError.
    """
    n_digits = len(generator.code_to_digit) if generator.spec.categorical_sizes else 0
    if (count is None) == (per_digit is None):
        raise InvalidInputError(f"pass exactly one of count= or per_digit=, got count={shown(count)}, "
                                f"per_digit={shown(per_digit)}")
    size = count if count is not None else per_digit
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise InvalidInputError(f"count and per_digit must be positive integers, got {shown(size)}")
    if per_digit is not None and not n_digits:
        raise InvalidInputError("per_digit needs a model with a categorical (digit) code; this one has none")
    total = int(size) * (n_digits if per_digit is not None else 1)
    if total > MAX_IMAGES:
        raise InvalidInputError(f"a data set has at most {MAX_IMAGES:,} images, got {total:,} (count={shown(count)}, "
                                f"per_digit={shown(per_digit)})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise InvalidInputError(f"seed must be an integer from 0 to 2**63 - 1 (the file stores it as int64), got "
                                f"{shown(seed)}")
    index, parts = shard
    if not all(isinstance(v, (int, np.integer)) for v in shard) or parts < 1 or not 0 <= index < parts:
        raise InvalidInputError(f"shard must be (I, K) with 0 <= I < K, got {shown(shard)}")
    return DatasetPlan(total, int(seed), per_digit is not None, _ranges(generator, continuous_range),
                       (int(index), int(parts)))


def iter_dataset(generator: Generator, plan: DatasetPlan) -> Iterator[DatasetChunk]:
    """The shard's images, one block (BLOCK images, fewer at the end) at a time, in index order."""
    for block in plan.blocks:
        yield generate_block(generator, plan, block)


def generate_block(generator: Generator, plan: DatasetPlan, block: int) -> DatasetChunk:
    """The images of one block (global indices block * BLOCK ..., at most BLOCK), in one generator call."""
    first, stop = block * BLOCK, min((block + 1) * BLOCK, plan.total)
    if not 0 <= first < stop:
        raise InvalidInputError(f"block must be from 0 to {-(-plan.total // BLOCK) - 1}, got {shown(block)}")
    codes, continuous, noise = block_latents(generator, plan, block, stop - first)
    # the plan's ranges are the caller's explicit choice (the file records them): they may go beyond the trained one
    result = generator.generate(categorical=codes, continuous=continuous, noise=noise, beyond_range=True)
    return DatasetChunk(np.arange(first, stop, dtype=np.int64), result)


def block_latents(generator: Generator, plan: DatasetPlan, block: int, n: int) -> tuple[
        NDArray[np.int64] | None, NDArray[np.float32] | None, NDArray[np.float32]]:
    """The first n images of block `block`: raw codes (n, n_categorical), continuous (n, k), noise (n, noise)."""
    spec = generator.spec
    rng = np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(block,)))
    codes = np.stack([rng.integers(0, size, BLOCK) for size in spec.categorical_sizes], axis=1) \
        if spec.categorical_sizes else None
    unit = rng.random((BLOCK, spec.n_continuous), dtype=np.float32)
    noise = draw_noise(spec, rng, BLOCK)
    if codes is not None and plan.balanced:
        digit_to_code = np.argsort(np.asarray(generator.code_to_digit))
        digits = np.arange(block * BLOCK, (block + 1) * BLOCK) % len(digit_to_code)
        codes[:, 0] = digit_to_code[digits]
    low = np.array([r[0] for r in plan.ranges], dtype=np.float32)
    high = np.array([r[1] for r in plan.ranges], dtype=np.float32)
    continuous = low + unit * (high - low) if spec.n_continuous else None
    return (None if codes is None else codes[:n], None if continuous is None else continuous[:n], noise[:n])


def _ranges(generator: Generator, given: Range | Mapping[str, Range] | None) -> tuple[Range, ...]:
    """Each continuous code's (low, high): the spec's, overridden by `given` (one pair, or pairs by name)."""
    names = generator.continuous_names
    default = tuple(float(v) for v in generator.spec.continuous_range)
    chosen = dict.fromkeys(names, default) if not isinstance(given, (tuple, list)) else dict.fromkeys(names, given)
    if isinstance(given, Mapping):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise InvalidInputError(f"this model has no continuous code named {shown(unknown)}; its codes are "
                                    f"{list(names)}")
        chosen.update(given)
    elif given is not None and not isinstance(given, (tuple, list)):
        raise InvalidInputError(f"continuous_range must be (low, high) or {{name: (low, high)}}, got {shown(given)}")
    for name, pair in chosen.items():
        ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and abs(v) <= MAX_VALUE for v in pair)
        if not ok or not pair[0] <= pair[1]:
            raise InvalidInputError(f"the range of continuous code {shown(name)} must be two finite numbers "
                                    f"low <= high, each from -{MAX_VALUE:g} to {MAX_VALUE:g}, got {shown(pair)}")
    return tuple((float(low), float(high)) for low, high in chosen.values())
