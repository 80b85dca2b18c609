"""What each continuous code does, measured on generated images, and the name and direction that follow.

Codes are named after a family of measures (`Measures`): Morpho-MNIST's for MNIST models (`MORPHO`: slant, width,
thickness name `rotation`, `width`, `thickness`), the generic image measures of `evaluate.measures` for the others
(`generic(channels)`: brightness, size, x_position, y_position, orientation, and hue in colour, each its own name).
A code's effect on a measure is the change of the measure's mean when the code goes from -2 to +2
(the other continuous codes at 0; the same classes, `per_digit` images of each value of the first categorical code,
and the same noise at both ends), in standard deviations of that measure over real test images. A code is named
after a named measure when its effect on it is at least MIN_EFFECT sd and at least DOMINANCE times its effect on
each of the family's other named measures, and only if the measure rises at every step
of CURVE (9 points over [-2, 2], no step back of more than REVERSAL sd: a code thinnest at 0 and thick at both
ends is not `thickness`); otherwise it stays `c<i>`. Each code's curve is kept in the manifest.
If several codes qualify for one name, the strongest takes it.

One convention for every model: positive = the measure grows (leans right, wider, thicker; brighter, bigger, to
the right, lower). A named code whose effect is negative gets direction -1, which the SDK applies (user value =
direction x the network's input, both ways), so `thickness=+1.5` draws thicker digits in every model. Unnamed codes
keep their direction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluate import measures as generic_measures
from evaluate import morphometrics
from infogan_sdk import Generator


@dataclass(frozen=True)
class Measures:
    """A family of image measures codes are named after: every measure (`names`, as `batch` returns them), the
    named ones (measure -> the code name it gives), and `batch(images, workers) -> {measure: (N,) float64}`."""

    names: tuple[str, ...]
    named: Mapping[str, str]
    batch: Callable[[np.ndarray, int], dict[str, np.ndarray]]


MORPHO = Measures(morphometrics.MEASURES, {"slant": "rotation", "width": "width", "thickness": "thickness"},
                  morphometrics.measure_batch)


def generic(channels: int) -> Measures:
    """The generic measures of images with `channels` channels, each naming a code after itself."""
    names = generic_measures.measure_names(channels)
    return Measures(names, {name: name for name in names}, generic_measures.measure_batch)


SWEEP = (-2.0, 2.0)
CURVE = tuple(float(v) for v in np.linspace(-2.0, 2.0, 9))  # a named code must move its measure at every step
REVERSAL = 0.1  # sd: the largest step against the code's direction that still counts as monotonic
def measurable(family: Measures, spread: dict[str, dict[str, float]]) -> Measures:
    """The family without the measures that do not vary over the real images: their sd is no unit for an effect."""
    kept = tuple(name for name in family.names if np.isfinite(spread[name]["sd"]) and spread[name]["sd"] > 0)
    return Measures(kept, {m: n for m, n in family.named.items() if m in kept}, family.batch)


NAMED = MORPHO.named  # MNIST's: measure -> code name
MIN_EFFECT = 1.0
DOMINANCE = 2.0
TURN_STEP = 10  # degrees between the turns of a plane of unnamed codes that are measured (divides 90)
TURN_FRACTION = 5  # the turns are measured on 1/5 of the images per digit; the chosen one again on all


def real_spread(images: np.ndarray, workers: int = 1, family: Measures = MORPHO) -> dict[str, dict[str, float]]:
    """Mean and sd of each measure over real images (uint8 (N, H, W), or (N, H, W, 3) for generic measures): the
    unit of every effect."""
    measured = family.batch(images, workers)
    return {name: {"mean": float(np.nanmean(v)), "sd": float(np.nanstd(v))} for name, v in measured.items()}


def code_effects(generator: Generator, spread: dict[str, dict[str, float]], per_digit: int = 100, seed: int = 0,
                 workers: int = 1, axes: np.ndarray | None = None,
                 family: Measures = MORPHO) -> list[dict[str, float]]:
    """For each code (or each row of `axes`, a direction over the generator's current codes), {measure: effect
    in real sd}: the change of the measure's mean between the ends of SWEEP."""
    curves = code_curves(generator, spread, per_digit, seed, workers, axes, SWEEP, family)
    return [{name: curve[-1] - curve[0] for name, curve in measures.items()} for measures in curves]


def code_curves(generator: Generator, spread: dict[str, dict[str, float]], per_digit: int = 100, seed: int = 0,
                workers: int = 1, axes: np.ndarray | None = None, points: tuple[float, ...] = CURVE,
                family: Measures = MORPHO) -> list[dict[str, list[float]]]:
    """For each code (or row of `axes`), {measure: its mean at each of `points`, in real sd}. The same classes
    (`per_digit` of each, `class_values`) and the same noise at every point; measures that are NaN anywhere (blank
    images have no shape) are left out."""
    n_codes = generator.spec.n_continuous
    axes = np.eye(n_codes, dtype=np.float32) if axes is None else np.asarray(axes, dtype=np.float32)
    classes = class_values(generator, per_digit)
    count = None if classes is not None else 10 * per_digit
    noise = generator.generate(categorical=classes, count=count, seed=seed).noise  # one noise row per image, reused
    curves = []
    for axis in axes:
        means: dict[str, list[float]] = {name: [] for name in family.names}
        for value in points:
            continuous = np.repeat(np.float32(value) * axis[None], len(noise), axis=0)
            # the curve's points run to +-2, beyond the trained range on purpose (the card's sweep)
            images = generator.generate(categorical=classes, continuous=continuous, noise=noise,
                                        beyond_range=True).images
            measured = family.batch(images, workers)  # NaN for blank images, which have no shape
            for name in means:
                v = measured[name]
                means[name].append(float(np.nanmean(v)) / spread[name]["sd"] if np.isfinite(v).any() else np.nan)
        curves.append({name: values for name, values in means.items() if np.all(np.isfinite(values))})
    return curves


def class_values(generator: Generator, per_class: int) -> np.ndarray | None:
    """The first categorical code's values, `per_class` of each (None without categorical codes), in the order of
    the classes they stand for where the model says (an MNIST model's code_to_digit: digit 0's first)."""
    size = generator.spec.categorical_sizes[0] if generator.spec.categorical_sizes else 0
    if not size:
        return None
    mapping = [int(v) for v in getattr(generator, "code_to_digit", ())]
    order = np.argsort(mapping) if sorted(mapping) == list(range(size)) else np.arange(size)
    return np.repeat(order, per_class)


def monotonic(curve: list[float], tolerance: float = REVERSAL) -> bool:
    """Does `curve` (a measure along a sweep, in sd) rise at every step, no step falling more than `tolerance`?"""
    return bool(np.all(np.diff(curve) >= -tolerance))


def name_codes(effects: list[dict[str, float]], family: Measures = MORPHO) -> list[str]:
    """Each code's name: the family's named measure it dominantly moves, else "c<i>"."""
    names = [f"c{i}" for i in range(len(effects))]
    for measure, name in family.named.items():
        others = [m for m in family.named if m != measure]
        candidates = [(abs(e[measure]), i) for i, e in enumerate(effects)
                      if measure in e and all(m in e for m in others) and abs(e[measure]) >= MIN_EFFECT
                      and all(abs(e[measure]) >= DOMINANCE * abs(e[m]) for m in others) and names[i].startswith("c")]
        if candidates:
            names[max(candidates)[1]] = name
    return names


def _named(names: list[str]) -> int:
    return sum(not name.startswith("c") for name in names)


def turn_unnamed(generator: Generator, spread: dict[str, dict[str, float]], names: list[str], per_digit: int,
                 seed: int = 0, workers: int = 1, family: Measures = MORPHO) -> np.ndarray | None:
    """A rotation of the current codes (k, k; row i = new code i over the current ones) that names more codes, or None.

    For each pair of codes with at least one unnamed (each code in one pair at most), every turn of their plane by
    TURN_STEP degrees is measured; the turn whose two codes get the most names (then the cleanest: the highest ratio
    of own effect to the largest other named effect) replaces the pair if it names more of the two than they had.
    So a named code moves only to name an unnamed partner too: `rotation` that also thickens a little, beside a
    code that thickens and leans, turn into a clean `rotation` and `thickness`.
    """
    size = generator.spec.n_continuous
    turn, touched = np.eye(size, dtype=np.float32), set[int]()
    angles = np.radians(np.arange(0, 180, TURN_STEP))
    quarter = 90 // TURN_STEP
    for first, second in itertools.combinations(range(size), 2):
        already = _named([names[first], names[second]])
        if already == 2 or touched & {first, second}:
            continue
        axes = np.zeros((len(angles), size), dtype=np.float32)
        axes[:, first], axes[:, second] = np.cos(angles), np.sin(angles)
        measured = code_effects(generator, spread, per_digit, seed, workers, axes, family)
        best = max(range(len(angles)), key=lambda a: _turn_score(measured[a], measured[(a + quarter) % len(angles)],
                                                                 family))
        if _turn_score(measured[best], measured[(best + quarter) % len(angles)], family)[0] <= already:
            continue
        partner = (best + quarter) % len(angles)  # the turn 90 degrees on (its sign flipped past 180)
        turn[first], turn[second] = axes[best], axes[partner] * (1 if partner > best else -1)
        touched |= {first, second}
    return None if not touched else turn


def _turn_score(one: dict[str, float], other: dict[str, float], family: Measures = MORPHO) -> tuple[int, float]:
    """(codes named, the cleanest named code's own effect over its largest other named effect)."""
    names = name_codes([one, other], family)
    measure_of = {n: m for m, n in family.named.items()}
    ratios = [abs(e[measure_of[n]]) / max(max(abs(e[m]) for m in family.named if m != measure_of[n]), 1e-9)
              for n, e in zip(names, (one, other), strict=True) if n in measure_of]
    return _named(names), max(ratios, default=0.0)


def describe_codes(generator: Generator, spread: dict[str, dict[str, float]], per_digit: int = 100, seed: int = 0,
                   workers: int = 1, family: Measures = MORPHO, turn_codes: bool = True) -> list[dict[str, Any]]:
    """The manifest's `continuous_codes`: name, direction, axis, effects (in the new direction), ranges.

    Effects are measured in the generator's current basis (directions and axes), which describing builds on, so
    describing a model again gives the same names, directions and axes. Unnamed codes are turned in their plane
    (`turn_unnamed`) when that names more of them, measured again at full size; `turn_codes=False` keeps the
    basis (a data set with known factors names its codes after them, on the axes the network learnt).
    """
    measured = code_effects(generator, spread, per_digit, seed, workers, family=family)
    names = name_codes(measured, family)
    turn = turn_unnamed(generator, spread, names, max(1, per_digit // TURN_FRACTION), seed, workers, family) \
        if turn_codes else None
    if turn is not None:
        turned = code_effects(generator, spread, per_digit, seed, workers, turn, family)
        turned_names = name_codes(turned, family)
        if _named(turned_names) > _named(names):
            measured, names = turned, turned_names
        else:
            turn = None
    basis = (np.eye(len(names)) if turn is None else turn.astype(np.float64)) @ generator.basis  # over the network
    curves = code_curves(generator, spread, per_digit, seed, workers, turn, family=family)
    classes = class_values(generator, per_digit)
    images_per_end = 10 * per_digit if classes is None else len(classes)
    codes = []
    for code, (name, effects, row, curve) in enumerate(zip(names, measured, basis, curves, strict=True)):
        measure = next((m for m, n in family.named.items() if n == name), None)
        flip = -1 if measure is not None and effects[measure] < 0 else 1
        shown = {m: values[::-1] if flip < 0 else values for m, values in curve.items()}  # over the user's values
        if measure is not None and not monotonic(shown[measure]):  # a name is a promise along the whole sweep
            name, measure, flip = f"c{code}", None, 1
            shown = curve
        row = flip * row
        direction = 1 if row[np.argmax(np.abs(row))] > 0 else -1  # the sign of the network code it follows most
        codes.append({"name": name, "index": code, "direction": direction,
                      "axis": [round(float(v), 6) + 0.0 for v in direction * row],
                      "effects": {m: flip * v for m, v in effects.items()},
                      "range": list(generator.spec.continuous_range), "sweep": list(SWEEP),
                      "curve": {"points": list(CURVE), "sd": {m: [round(v, 4) for v in c] for m, c in shown.items()},
                                "monotonic": None if measure is None else True},
                      "images_per_end": images_per_end})
    return codes


def meets_target(codes: list[dict[str, Any]], wanted: tuple[str, ...], min_effect: float,
                 dominance: float, family: Measures = MORPHO) -> dict[str, bool]:
    """For each wanted name: is there such a code that moves its measure >= min_effect sd (in the positive
    direction) and >= dominance x its effect on each other named measure? (The model issue's targets.)"""
    measure_of = {n: m for m, n in family.named.items()}
    result = {}
    for name in wanted:
        entry = next((c for c in codes if c["name"] == name), None)
        if entry is None:
            result[name] = False
            continue
        own = entry["effects"][measure_of[name]]  # a named code has every named measure
        result[name] = own >= min_effect and all(own >= dominance * abs(entry["effects"][m])
                                                 for m in family.named if m != measure_of[name])
    return result
