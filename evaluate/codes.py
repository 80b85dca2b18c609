"""What each continuous code does, measured on generated images, and the name and direction that follow.

A code's effect on a measure is the change of the measure's mean when the code goes from -2 to +2
(the other continuous codes at 0; the same digits, `per_digit` of each, and the same noise at both
ends), in standard deviations of that measure over real MNIST test images. A code is named
`rotation` (slant), `width` or `thickness` when its effect on that measure is at least MIN_EFFECT sd
and at least DOMINANCE times its effect on each of the other two; otherwise it stays `c<i>`.
If several codes qualify for one name, the strongest takes it.

One convention for every model: positive = leans right, wider, thicker. A named code whose effect
is negative gets direction -1, which the SDK applies (user value = direction x the network's input,
both ways), so `thickness=+1.5` draws thicker digits in every model. Unnamed codes keep their direction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaluate.morphometrics import MEASURES, measure_batch
from infogan_sdk import Generator

SWEEP = (-2.0, 2.0)
NAMED = {"slant": "rotation", "width": "width", "thickness": "thickness"}  # measure -> code name
MIN_EFFECT = 1.0
DOMINANCE = 2.0


def real_spread(images: np.ndarray, workers: int = 1) -> dict[str, dict[str, float]]:
    """Mean and sd of each measure over real (N, 28, 28) images: the unit of every effect."""
    measured = measure_batch(images, workers)
    return {name: {"mean": float(np.nanmean(v)), "sd": float(np.nanstd(v))} for name, v in measured.items()}


def code_effects(generator: Generator, spread: dict[str, dict[str, float]], per_digit: int = 100, seed: int = 0,
                 workers: int = 1) -> list[dict[str, float]]:
    """For each continuous code, in the generator's current directions: {measure: effect in real sd}."""
    n_codes = generator.spec.n_continuous
    digits = np.repeat(np.arange(10), per_digit) if generator.spec.categorical_sizes else None
    count = None if digits is not None else 10 * per_digit
    noise = generator.generate(digits=digits, count=count, seed=seed).noise  # one noise row per image, reused
    effects = []
    for code in range(n_codes):
        means = []
        for value in SWEEP:
            continuous = np.zeros((len(noise), n_codes), dtype=np.float32)
            continuous[:, code] = value
            images = generator.generate(digits=digits, continuous=continuous, noise=noise).images
            measured = measure_batch(images, workers)  # NaN for blank images, which have no shape
            means.append({name: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
                          for name, v in measured.items()})
        changes = {name: (means[1][name] - means[0][name]) / spread[name]["sd"] for name in MEASURES}
        effects.append({name: value for name, value in changes.items() if np.isfinite(value)})  # blank: no measure
    return effects


def name_codes(effects: list[dict[str, float]]) -> list[str]:
    """Each code's name: the NAMED measure it dominantly moves, else "c<i>"."""
    names = [f"c{i}" for i in range(len(effects))]
    for measure, name in NAMED.items():
        others = [m for m in NAMED if m != measure]
        candidates = [(abs(e[measure]), i) for i, e in enumerate(effects)
                      if measure in e and all(m in e for m in others) and abs(e[measure]) >= MIN_EFFECT
                      and all(abs(e[measure]) >= DOMINANCE * abs(e[m]) for m in others) and names[i].startswith("c")]
        if candidates:
            names[max(candidates)[1]] = name
    return names


def describe_codes(generator: Generator, spread: dict[str, dict[str, float]], per_digit: int = 100, seed: int = 0,
                   workers: int = 1) -> list[dict[str, Any]]:
    """The manifest's `continuous_codes`: name, direction, effects (in the new direction), ranges.

    Effects are measured in the generator's current directions (all +1 for a fresh export), so
    describing a model again gives the same names and directions.
    """
    measured = code_effects(generator, spread, per_digit, seed, workers)
    names = name_codes(measured)
    codes = []
    for code, (name, effects, old) in enumerate(zip(names, measured, generator.directions, strict=True)):
        measure = next((m for m, n in NAMED.items() if n == name), None)
        flip = -1 if measure is not None and effects[measure] < 0 else 1
        codes.append({"name": name, "index": code, "direction": old * flip,
                      "effects": {m: flip * v for m, v in effects.items()},
                      "range": list(generator.spec.continuous_range), "sweep": list(SWEEP),
                      "images_per_end": int(10 * per_digit)})
    return codes


def meets_target(codes: list[dict[str, Any]], wanted: tuple[str, ...], min_effect: float,
                 dominance: float) -> dict[str, bool]:
    """For each wanted name: is there such a code that moves its measure >= min_effect sd (in the positive
    direction) and >= dominance x its effect on each other named measure? (The model issue's targets.)"""
    measure_of = {n: m for m, n in NAMED.items()}
    result = {}
    for name in wanted:
        entry = next((c for c in codes if c["name"] == name), None)
        if entry is None:
            result[name] = False
            continue
        own = entry["effects"][measure_of[name]]  # a named code has every named measure
        result[name] = own >= min_effect and all(own >= dominance * abs(entry["effects"][m])
                                                 for m in NAMED if m != measure_of[name])
    return result
