"""Building the generator's latent codes from what the caller gave; whatever is omitted is drawn from a seed.

Draw order from numpy.random.default_rng(seed), always the same whatever is given: the categorical codes
(N per code), then the continuous codes (N, n_continuous), then the noise (unless given). So a seed
reproduces images exactly, and e.g. the drawn noise does not depend on which categories were asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import InvalidInputError, shown
from infogan_sdk.spec import CATEGORICAL, CONTINUOUS, NOISE, LatentSpec

MAX_COUNT = 1_000_000  # more images per call than this is a mistake (and gigabytes of memory)
Floats: TypeAlias = float | Sequence[float] | NDArray[Any]  # a number, or one value per image


@dataclass(frozen=True, eq=False)
class Latents:
    """The parts of a batch of latent vectors, batch-first."""

    codes: NDArray[np.int64]  # (N, n_categorical): raw categorical values
    continuous: NDArray[np.float32]  # (N, n_continuous)
    noise: NDArray[np.float32]  # (N, noise_size)

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def join(cls, parts: Sequence[Latents]) -> Latents:
        """Several batches as one, in order (one part comes back as it is)."""
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in ("codes", "continuous",
                                                                                            "noise")))

    def feeds(self, spec: LatentSpec, rows: slice) -> dict[str, NDArray[np.float32]]:
        """The generator's inputs for these rows: noise, concatenated one-hot categoricals, continuous."""
        codes = self.codes[rows]
        one_hot = np.zeros((len(codes), spec.categorical_size), dtype=np.float32)
        offset = 0
        for column, size in enumerate(spec.categorical_sizes):
            one_hot[np.arange(len(codes)), offset + codes[:, column]] = 1.0
            offset += size
        parts = {NOISE: self.noise[rows], CATEGORICAL: one_hot, CONTINUOUS: self.continuous[rows]}
        return {name: parts[name] for name in spec.generator_inputs()}


def integers(value: Any, what: str, ndim: tuple[int, ...]) -> NDArray[np.int64]:
    """`value` as an int64 array with one of the allowed ndims; bools, floats and strings are refused."""
    array = _array(value, what)
    if array.size == 0:
        raise InvalidInputError(f"{what} must not be empty, got {shown(value)}")
    if array.dtype.kind not in "iu" or array.ndim not in ndim:
        raise InvalidInputError(f"{what} must be integers with {' or '.join(map(str, ndim))} dimension(s), got "
                                f"{array.dtype} with shape {array.shape}: {shown(value)}")
    if array.dtype == np.uint64 and array.max() > np.iinfo(np.int64).max:  # would wrap to negative in int64
        raise InvalidInputError(f"{what} must be integers that fit in int64, got {shown(value)}")
    return array.astype(np.int64)


def floats(value: Any, what: str, ndim: tuple[int, ...]) -> NDArray[np.float32]:
    """`value` as a finite float32 array with one of the allowed ndims."""
    array = _array(value, what)
    if array.dtype.kind not in "iuf" or array.ndim not in ndim:
        raise InvalidInputError(f"{what} must be numbers with {' or '.join(map(str, ndim))} dimension(s), got "
                                f"{array.dtype} with shape {array.shape}: {shown(value)}")
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{what} must be finite, got NaN or infinity: {shown(value)}")
    if array.dtype.kind == "f" and array.size and np.abs(array).max() > np.finfo(np.float32).max:
        raise InvalidInputError(f"{what} must be finite in float32 (|value| <= 3.4e38), got {shown(value)}")
    return array.astype(np.float32)


def _array(value: Any, what: str) -> NDArray[Any]:
    """np.asarray, with its refusals (ragged nesting, objects numpy rejects) as InvalidInputError."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError, OverflowError) as error:
        raise InvalidInputError(f"{what} must be a number or a rectangular array of numbers, got {shown(value)}: "
                                f"{error}") from error


def check_count(count: int, what: str = "count") -> int:
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 1 <= count <= MAX_COUNT:
        raise InvalidInputError(f"{what} must be an integer from 1 to {MAX_COUNT}, got {shown(count)}")
    return int(count)


def batch_size(count: int | None, lengths: Mapping[str, int]) -> int:
    """N: `count` if given, else the longest batched argument, else 1; every length must be 1 or N."""
    n = check_count(count) if count is not None else max([1, *lengths.values()])
    check_count(n, "the number of images")
    wrong = {name: length for name, length in lengths.items() if length not in (1, n)}
    if wrong:
        given = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise InvalidInputError(f"batch lengths disagree: expected every argument to have {n} rows (or 1), got {given}")
    return n


def draw(spec: LatentSpec, n: int, seed: int | None,
         codes: NDArray[np.int64] | Mapping[int, NDArray[np.int64]] | None,
         continuous: Mapping[int, NDArray[np.float32]], noise: NDArray[np.float32] | None,
         basis: NDArray[np.float32] | None = None) -> Latents:
    """Fill in a batch of N: `codes` (M, k) sets the first k categorical codes (or maps a code's column to its (M,)
    values), `continuous` maps a column to
    its (M,) values, `noise` is (M, noise_size); M is 1 or N (broadcast). The rest comes from the seed.

    Continuous codes are drawn from the prior the generator was trained on, U(range) on each network input, and
    given in the users' basis (`basis`, codebook.code_basis: u = c @ basis.T): drawn in a turned basis instead,
    the network's inputs would reach 1.36 outside the trained square (more faint and odd samples). A turned code's
    values thus reach 1.41 at the square's corners: its range (codebook.ContinuousCode.range) says so."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InvalidInputError(f"seed must be a non-negative integer or None, got {shown(seed)}")
    # nothing left to draw (every code and the noise given, as the service's /v2 generator takes them): no generator,
    # whose making and draws cost more than the rest of a one-image call
    rng = np.random.default_rng(seed) if _draws(spec, codes, continuous, noise) else None
    drawn_codes = np.empty((n, len(spec.categorical_sizes)), dtype=np.int64)
    if rng is not None:
        for column, size in enumerate(spec.categorical_sizes):  # filled in place: batch-1 calls are overhead-bound
            drawn_codes[:, column] = rng.integers(0, size, n)
    if isinstance(codes, Mapping):
        for column, chosen in codes.items():
            drawn_codes[:, column] = chosen
    elif codes is not None:
        drawn_codes[:, :codes.shape[1]] = codes
    low, high = spec.continuous_range
    if rng is None:
        drawn_continuous = np.empty((n, spec.n_continuous), dtype=np.float32)
    else:
        drawn_continuous = rng.uniform(low, high, (n, spec.n_continuous)).astype(np.float32)
        if basis is not None:
            drawn_continuous = drawn_continuous @ basis.T
    for column, values in continuous.items():
        drawn_continuous[:, column] = values
    if noise is None:
        assert rng is not None
        noise = draw_noise(spec, rng, n)
    if len(noise) != n:  # one given row for all N
        noise = np.broadcast_to(noise, (n, spec.noise_size))
    return Latents(drawn_codes, drawn_continuous, np.ascontiguousarray(noise))


def _draws(spec: LatentSpec, codes: NDArray[np.int64] | Mapping[int, NDArray[np.int64]] | None,
           continuous: Mapping[int, NDArray[np.float32]], noise: NDArray[np.float32] | None) -> bool:
    """Whether a batch built from these leaves anything to draw: a categorical or continuous code, or the noise."""
    given = len(codes) if isinstance(codes, Mapping) else 0 if codes is None else codes.shape[1]
    return noise is None or given < len(spec.categorical_sizes) or len(continuous) < spec.n_continuous


def draw_noise(spec: LatentSpec, rng: np.random.Generator, n: int) -> NDArray[np.float32]:
    """(n, noise_size) float32 from the spec's noise distribution: N(0, 1) or U(-1, 1)."""
    shape = (n, spec.noise_size)
    if spec.noise_distribution == "normal":
        return rng.standard_normal(shape, dtype=np.float32)
    return rng.uniform(-1.0, 1.0, shape).astype(np.float32)

