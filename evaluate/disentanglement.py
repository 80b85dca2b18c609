"""Disentanglement of a representation against known factors: MIG, FactorVAE score, DCI and SAP, as
google-research/disentanglement_lib defines them (evaluation/metrics/{mig,factor_vae,dci,sap_score}.py, the
unsupervised study's sizes), reimplemented on numpy and scikit-learn, seeded. Torch-free.

Codes are float (N, D): whatever the model infers of an image (an InfoGAN encoder's continuous means and
categorical probabilities). Factors are (N, K), one column per factor; each column's distinct values are its
classes (integers or grid values alike). `measure(encode, factors)` draws data-set rows as disentanglement_lib
samples its ground-truth data and asks `encode(rows)` for their codes.

- MIG: codes binned into 20 equal-width bins between each code's min and max; mutual information of each code with
  each factor (nats); per factor the gap between its two most informative codes over its entropy; the mean.
- FactorVAE: codes' global variances from 10,000 points; codes with std < 0.05 are pruned. A vote: a factor drawn
  at random, a batch of 64 images sharing its value, the active code whose batch variance over global variance is
  least votes for it. Each code is assigned the factor it votes for most (10,000 train votes); the score is that
  classifier's accuracy on 5,000 eval votes. disentanglement_lib files the vote under the code's position among
  the active codes, not its own index, and reports the count of all codes as the active ones: the accuracy is the
  same (train and eval votes are filed alike), but its code-to-factor map names the wrong codes once a code before
  them is pruned. Here a vote is filed under the code's own index, so `assignment` names the right codes.
- DCI disentanglement: per factor a gradient-boosted tree classifier (scikit-learn's defaults) on 10,000 points;
  the importance matrix (D, K); each code's 1 - entropy (base K) of its importances, weighted by its share of all
  importance. Completeness and the test accuracy on 5,000 points (informativeness) come with it.
- SAP (discrete factors, disentanglement_lib's default): per (code, factor) a linear SVM (C = 0.01, balanced class
  weights) on that one code, its accuracy on 5,000 test points; per factor the gap between the two best codes;
  the mean.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from imagedata import DataSet
    from infogan_sdk import Encoder

logger = logging.getLogger(__name__)

Codes = NDArray[np.float64]  # (N, D)
Encode = Callable[[NDArray[np.int64]], NDArray[Any]]  # data-set rows (n,) -> their codes (n, D)
FixedBatch = Callable[[int, int, np.random.Generator], Codes]  # (factor, batch size, rng) -> codes sharing its value
BINS = 20  # MIG's histogram bins per code
PRUNE_STD = 0.05  # FactorVAE: codes whose global std is below this never vote
MIN_SHARE = 0.2  # a code is named after a factor only if it holds this share of the factor's entropy


@dataclass(frozen=True)
class Sizes:
    """Points each metric draws: disentanglement_lib's defaults (unsupervised_study_v1); `Sizes.quick()` for tests."""

    mig: int = 10_000
    factor_vae_batch: int = 64
    factor_vae_variance: int = 10_000  # points for the global variances
    factor_vae_train: int = 10_000  # votes
    factor_vae_eval: int = 5_000  # votes
    train: int = 10_000  # DCI and SAP
    test: int = 5_000  # DCI and SAP

    @classmethod
    def quick(cls) -> Sizes:
        return cls(mig=2_000, factor_vae_batch=64, factor_vae_variance=2_000, factor_vae_train=500,
                   factor_vae_eval=500, train=600, test=300)

    @classmethod
    def scaled(cls, points: int) -> Sizes:
        """`points` where the defaults have 10,000 and half as many where they have 5,000 (10,000: the defaults)."""
        return cls(mig=points, factor_vae_variance=points, factor_vae_train=points, factor_vae_eval=points // 2,
                   train=points, test=points // 2)


@dataclass(frozen=True)
class FactorVAE:
    """The majority-vote classifier: eval and train accuracy, the codes not pruned, each code's factor (-1: none)."""

    score: float
    train_accuracy: float
    active: tuple[int, ...]
    assignment: tuple[int, ...]


@dataclass(frozen=True)
class DCI:
    """Disentanglement, completeness, train and test accuracy of the trees, and the importance matrix (D rows)."""

    disentanglement: float
    completeness: float
    informativeness_train: float
    informativeness_test: float
    importance: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Scores:
    """The four metrics of one representation (see the module docstring); `as_dict()` is JSON-ready."""

    mig: float
    factor_vae: FactorVAE
    dci: DCI
    sap: float
    information: tuple[tuple[float, ...], ...] = ()  # (D, K): each code's MI with each factor over its entropy
    correlation: tuple[tuple[float, ...], ...] = ()  # (D, K): Pearson's r of each code with each factor's class

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def classes(factors: NDArray[Any]) -> NDArray[np.int64]:
    """Factors (N, K) of any values -> class indices int64 (N, K), each column's sorted distinct values numbered."""
    factors = np.asarray(factors)
    if factors.ndim != 2 or len(factors) < 2 or factors.shape[1] < 1:
        raise ValueError(f"factors must be (N, K) with N >= 2 and K >= 1, got shape {factors.shape}")
    found = np.empty(factors.shape, np.int64)
    for column in range(factors.shape[1]):
        found[:, column] = np.unique(factors[:, column], return_inverse=True)[1].reshape(-1)
    if (found.max(axis=0) == 0).any():
        raise ValueError(f"factor columns {np.flatnonzero(found.max(axis=0) == 0).tolist()} have one value; expected "
                         "at least two values per factor (a constant factor has no information to find)")
    return found


def _codes(codes: NDArray[Any], count: int, least: int = 1) -> Codes:
    values = np.asarray(codes, dtype=np.float64)
    if values.ndim != 2 or len(values) != count or values.shape[1] < least or not np.isfinite(values).all():
        raise ValueError(f"codes must be finite floats (N, D) with N = {count} (one row per factor row) and D >= "
                         f"{least}, got {np.asarray(codes).dtype} {np.asarray(codes).shape}")
    return values


def discretize(codes: Codes, bins: int = BINS) -> NDArray[np.int64]:
    """Each code's values -> its histogram bin 1..bins (equal widths between its min and max), int64 (N, D)."""
    return np.stack([np.digitize(column, np.histogram(column, bins)[1][:-1]) for column in codes.T], axis=1)


def mutual_information(binned: NDArray[np.int64], factors: NDArray[np.int64]) -> NDArray[np.float64]:
    """Mutual information (nats) of each discrete code (N, D) with each factor (N, K), integers >= 0: (D, K)."""
    information = np.zeros((binned.shape[1], factors.shape[1]))
    for code in range(binned.shape[1]):
        for factor in range(factors.shape[1]):
            a, b = binned[:, code], factors[:, factor]
            shape = (int(a.max()) + 1, int(b.max()) + 1)
            joint = np.bincount(a * shape[1] + b, minlength=shape[0] * shape[1]).reshape(shape) / len(a)
            outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
            seen = joint > 0
            information[code, factor] = max(float(np.sum(joint[seen] * np.log(joint[seen] / outer[seen]))), 0.0)
    return information


def information_shares(codes: NDArray[Any], factors: NDArray[Any], bins: int = BINS) -> NDArray[np.float64]:
    """Each code's mutual information with each factor over the factor's entropy, (D, K) in [0, 1]: MIG's matrix."""
    found = classes(factors)
    information = mutual_information(discretize(_codes(codes, len(found), 2), bins), found)  # (D, K)
    entropy = np.diag(mutual_information(found, found))  # (K,): H(v) = I(v; v)
    return information / entropy


def mig(codes: NDArray[Any], factors: NDArray[Any], bins: int = BINS) -> float:
    """Mutual information gap of codes (N, D >= 2) and factors (N, K): in [0, 1], 1 when each factor is one code."""
    top = np.sort(information_shares(codes, factors, bins), axis=0)[::-1]
    return float(np.mean(top[0] - top[1]))


def correlations(codes: NDArray[Any], factors: NDArray[Any]) -> NDArray[np.float64]:
    """Pearson's r of each code with each factor's class index, (D, K); 0 where either is constant."""
    values, found = _codes(codes, len(factors), 1), classes(factors).astype(np.float64)
    a, b = values - values.mean(axis=0), found - found.mean(axis=0)
    scale = np.outer(np.sqrt((a * a).sum(axis=0)), np.sqrt((b * b).sum(axis=0)))
    return np.divide(a.T @ b, scale, out=np.zeros(scale.shape), where=scale > 0)


def factor_names(shares: NDArray[Any], factor_names: list[str], count: int,
                 least: float = MIN_SHARE) -> list[str | None]:
    """The factor each of the first `count` codes is named after, or None: the factor it holds the largest share of,
    where it also holds more of that factor than any other code does (all D codes compete) and at least `least`."""
    shares = np.asarray(shares, dtype=np.float64)
    names: list[str | None] = []
    for code in range(count):
        factor = int(np.argmax(shares[code]))
        best = shares[code, factor] >= least and int(np.argmax(shares[:, factor])) == code
        names.append(factor_names[factor] if best else None)
    return names


def factor_vae(variance_codes: NDArray[Any], fixed_batch: FixedBatch, factor_count: int, sizes: Sizes | None = None,
               seed: int = 0) -> FactorVAE:
    """FactorVAE score: `variance_codes` (M, D) of random images give the global variances; `fixed_batch(k, n,
    rng)` the codes (n, D) of n images that share a value of factor k (drawn as the data set has it)."""
    sizes, rng = sizes or Sizes(), np.random.default_rng(seed)
    global_variance = np.var(_codes(variance_codes, len(variance_codes)), axis=0, ddof=1)  # (D,)
    active = np.flatnonzero(np.sqrt(global_variance) >= PRUNE_STD)
    if not len(active):
        return FactorVAE(0.0, 0.0, (), (-1,) * len(global_variance))

    def votes(count: int) -> NDArray[np.int64]:
        tally = np.zeros((factor_count, len(global_variance)), np.int64)  # (K, D)
        for _ in range(count):
            factor = int(rng.integers(factor_count))
            batch = fixed_batch(factor, sizes.factor_vae_batch, rng)
            local = np.var(batch[:, active], axis=0, ddof=1) / global_variance[active]
            tally[factor, active[np.argmin(local)]] += 1  # filed under the code's own index
        return tally

    train = votes(sizes.factor_vae_train)
    chosen = np.argmax(train, axis=0)  # (D,): each code's factor
    train_accuracy = train[chosen, np.arange(train.shape[1])].sum() / train.sum()
    evaluated = votes(sizes.factor_vae_eval)
    score = evaluated[chosen, np.arange(evaluated.shape[1])].sum() / evaluated.sum()
    assignment = tuple(int(chosen[code]) if train[:, code].any() else -1 for code in range(train.shape[1]))
    return FactorVAE(float(score), float(train_accuracy), tuple(int(code) for code in active), assignment)


def dci(train_codes: NDArray[Any], train_factors: NDArray[Any], test_codes: NDArray[Any], test_factors: NDArray[Any],
        seed: int = 0) -> DCI:
    """DCI of codes against factors (K >= 2): a gradient-boosted tree per factor, fitted on train, scored on test."""
    from scipy.stats import entropy
    from sklearn.ensemble import GradientBoostingClassifier

    train_found, test_found = _joint_classes(train_factors, test_factors)
    if train_found.shape[1] < 2:
        raise ValueError("DCI disentanglement needs at least two factors (its entropies are in base K)")
    x_train, x_test = _codes(train_codes, len(train_found)), _codes(test_codes, len(test_found))
    importance = np.zeros((x_train.shape[1], train_found.shape[1]))  # (D, K)
    train_accuracy, test_accuracy = [], []
    for factor in range(train_found.shape[1]):
        model = GradientBoostingClassifier(random_state=seed).fit(x_train, train_found[:, factor])
        importance[:, factor] = np.abs(model.feature_importances_)
        train_accuracy.append(np.mean(model.predict(x_train) == train_found[:, factor]))
        test_accuracy.append(np.mean(model.predict(x_test) == test_found[:, factor]))
    weights = importance if importance.sum() else np.ones_like(importance)
    per_code = 1 - entropy(importance.T + 1e-11, base=importance.shape[1])  # (D,)
    per_factor = 1 - entropy(importance + 1e-11, base=importance.shape[0]) if importance.shape[0] > 1 else \
        np.ones(importance.shape[1])  # (K,): one code is complete
    return DCI(float(np.sum(per_code * weights.sum(axis=1) / weights.sum())),
               float(np.sum(per_factor * weights.sum(axis=0) / weights.sum())), float(np.mean(train_accuracy)),
               float(np.mean(test_accuracy)), tuple(tuple(float(value) for value in row) for row in importance))


def sap(train_codes: NDArray[Any], train_factors: NDArray[Any], test_codes: NDArray[Any], test_factors: NDArray[Any],
        seed: int = 0) -> float:
    """SAP of codes (D >= 2) against discrete factors: per (code, factor) a linear SVM's test accuracy."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    train_found, test_found = _joint_classes(train_factors, test_factors)
    x_train, x_test = _codes(train_codes, len(train_found), 2), _codes(test_codes, len(test_found), 2)
    score = np.zeros((x_train.shape[1], train_found.shape[1]))  # (D, K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # as disentanglement_lib: 1,000 iterations, C = 0.01
        for code in range(x_train.shape[1]):
            for factor in range(train_found.shape[1]):
                model = LinearSVC(C=0.01, class_weight="balanced", random_state=seed)
                model.fit(x_train[:, code:code + 1], train_found[:, factor])
                score[code, factor] = np.mean(model.predict(x_test[:, code:code + 1]) == test_found[:, factor])
    top = np.sort(score, axis=0)
    return float(np.mean(top[-1] - top[-2]))


def _joint_classes(train: NDArray[Any], test: NDArray[Any]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Train and test factors numbered by the same classes (the values of both splits together)."""
    train, test = np.asarray(train), np.asarray(test)
    found = classes(np.concatenate([train, test]))
    return found[:len(train)], found[len(train):]


def fixed_factor_batches(factors: NDArray[Any], encode: Encode) -> FixedBatch:
    """A `FixedBatch` over data-set rows: a row drawn at random fixes factor k's value, the batch is drawn (with
    replacement) from the rows that share it, as disentanglement_lib draws the other factors at random."""
    found = classes(factors)
    groups = [[np.flatnonzero(found[:, k] == value) for value in range(found[:, k].max() + 1)]
              for k in range(found.shape[1])]

    def batch(factor: int, size: int, rng: np.random.Generator) -> Codes:
        rows = groups[factor][found[rng.integers(len(found)), factor]]
        return np.asarray(encode(rows[rng.integers(len(rows), size=size)]), dtype=np.float64)

    return batch


def measure(encode: Encode, factors: NDArray[Any], sizes: Sizes | None = None, seed: int = 0) -> Scores:
    """The four metrics of the representation `encode(rows)` of data-set rows whose factors are `factors` (N, K):
    each metric draws its own rows uniformly (with replacement), seeded, as disentanglement_lib samples."""
    sizes, rng = sizes or Sizes(), np.random.default_rng(seed)
    found = classes(factors)

    def draw(count: int) -> tuple[Codes, NDArray[np.int64]]:
        rows = rng.integers(len(found), size=count)
        return np.asarray(encode(rows), dtype=np.float64), found[rows]

    mig_codes, mig_factors = draw(sizes.mig)
    variance_codes, _ = draw(sizes.factor_vae_variance)
    vae = factor_vae(variance_codes, fixed_factor_batches(found, encode), found.shape[1], sizes, seed)
    train, test = draw(sizes.train), draw(sizes.test)
    shares = information_shares(mig_codes, mig_factors)
    top = np.sort(shares, axis=0)[::-1]
    return Scores(float(np.mean(top[0] - top[1])), vae, dci(*train, *test, seed=seed), sap(*train, *test, seed=seed),
                  _rounded(shares), _rounded(correlations(mig_codes, mig_factors)))


def _rounded(matrix: NDArray[np.float64]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(round(float(value), 4) for value in row) for row in matrix)


def encoder_codes(encoder: Encoder, images: NDArray[np.uint8], basis: NDArray[Any] | None = None) -> Codes:
    """What an encoder reads of images of its own shape: the continuous means, then each categorical code's
    probabilities, float64 (N, n_continuous + sum of the categorical sizes). `basis` (k, k): the continuous codes
    as a description that is not yet the folder's would give them (rows direction x axis, as `Encoder.basis`)."""
    read = encoder.infer(np.asarray(images), preprocess="none")
    continuous = read.continuous if basis is None else read.continuous @ encoder.basis @ np.asarray(basis).T
    return np.concatenate([continuous, *read.code_probabilities], axis=1).astype(np.float64)


def known_factors(data: DataSet) -> list[str]:
    """The data set's factors the metrics use: one value per image, more than one value; sorted."""
    return sorted(name for name, values in data.train.factors.items()
                  if np.asarray(values).ndim == 1 and len(np.unique(values)) > 1)


def of_data_set(encoder: Encoder, data: DataSet, sizes: Sizes | None = None, seed: int = 0,
                basis: NDArray[Any] | None = None) -> dict[str, Any] | None:
    """The four metrics of `encoder`'s codes of `data`'s train images against its known factors (those with one
    value per image and more than one value), JSON-ready; None for a data set without such factors. Each image is
    read once, when a metric first draws it. `basis`: as `encoder_codes`."""
    names = known_factors(data)
    if not names:
        return None
    factors = np.stack([np.asarray(data.train.factors[name]) for name in names], axis=1)
    images = data.train.images
    cache: dict[str, Codes] = {}
    done = np.zeros(len(images), bool)

    def encode(rows: NDArray[np.int64]) -> Codes:
        missing = np.unique(rows[~done[rows]])
        if len(missing):
            codes = encoder_codes(encoder, images[missing], basis)
            if "codes" not in cache:
                cache["codes"] = np.zeros((len(images), codes.shape[1]))
            cache["codes"][missing], done[missing] = codes, True
        return cache["codes"][rows]

    scores = measure(encode, factors, sizes, seed)
    logger.info("disentanglement of %s over factors %s: read %d images", data.name, names, int(done.sum()))
    columns = list(encoder.continuous_names) + [f"{code.name}={label}" for code in encoder.categorical_codes
                                                 for label in code.labels]
    return {"factors": names, "codes": columns, **scores.as_dict(), "sizes": asdict(sizes or Sizes()), "seed": seed}
