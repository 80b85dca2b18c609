"""What the continuous codes control, measured on images: slant and width from the ink's moments.

slant = mu11 / mu02 (the shear that deskewing removes, the classic MNIST measure) and
width = sqrt(mu20 - mu11^2 / mu02) (the horizontal spread left after deskewing), with central
moments of the pixel intensities (x to the right, y down), normalised by the total ink.
A code's effect on a measure is the change of the measure's mean between code = -2 and code = +2,
in units of that measure's standard deviation over real MNIST test images.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SWEEP = (-2.0, 2.0)
MEASURES = ("slant", "width")
NAME_FOR = {"slant": "rotation", "width": "width"}
# A code is named after a measure when it moves it by at least this many sd and by this factor
# more than the other measure; otherwise it keeps its index name ("c0", "c1").
NAMING_MIN_EFFECT = 0.5
NAMING_DOMINANCE = 1.5

# (digits (N,), continuous (N, n_continuous), seed) -> uint8 images (N, 28, 28); noise drawn from the seed
GenerateFn = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def slant_and_width(images: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image slant and width of (N, H, W) uint8 or float images (white ink on black)."""
    ink = images.astype(np.float64)
    height, width = ink.shape[1:]
    y, x = np.mgrid[0:height, 0:width]
    mass = ink.sum(axis=(1, 2)) + 1e-9
    mean_x = (ink * x).sum(axis=(1, 2)) / mass
    mean_y = (ink * y).sum(axis=(1, 2)) / mass
    dx = x[None] - mean_x[:, None, None]
    dy = y[None] - mean_y[:, None, None]
    mu20 = (ink * dx * dx).sum(axis=(1, 2)) / mass
    mu02 = (ink * dy * dy).sum(axis=(1, 2)) / mass + 1e-9
    mu11 = (ink * dx * dy).sum(axis=(1, 2)) / mass
    return {"slant": mu11 / mu02, "width": np.sqrt(np.maximum(mu20 - mu11**2 / mu02, 0.0))}


def continuous_effects(generate: GenerateFn, n_continuous: int, real_images: np.ndarray,
                       per_digit: int = 100, seed: int = 0) -> list[dict[str, float]]:
    """For each continuous code: the effect (in real-data sd) on slant and on width of sweeping it -2 -> +2.

    The others sit at 0; every sweep value reuses the same noise and digits (per_digit of each).
    """
    spread = {name: float(values.std()) for name, values in slant_and_width(real_images).items()}
    digits = np.repeat(np.arange(10), per_digit)
    effects = []
    for code in range(n_continuous):
        means = []
        for value in SWEEP:
            continuous = np.zeros((len(digits), n_continuous), dtype=np.float32)
            continuous[:, code] = value
            measured = slant_and_width(generate(digits, continuous, seed))
            means.append({name: float(v.mean()) for name, v in measured.items()})
        effects.append({name: (means[1][name] - means[0][name]) / spread[name] for name in MEASURES})
    return effects


def name_codes(effects: list[dict[str, float]]) -> list[str]:
    """Name each code after the measure it dominantly moves ("rotation" for slant, "width"), else "c<i>"."""
    names = [f"c{i}" for i in range(len(effects))]
    for measure in MEASURES:
        other = next(m for m in MEASURES if m != measure)
        candidates = [(abs(e[measure]), i) for i, e in enumerate(effects)
                      if abs(e[measure]) >= NAMING_MIN_EFFECT and abs(e[measure]) >= NAMING_DOMINANCE * abs(e[other])
                      and names[i].startswith("c")]
        if candidates:
            names[max(candidates)[1]] = NAME_FOR[measure]
    return names


def meets_target(effects: list[dict[str, float]]) -> bool:
    """The model issue's target: one code moves slant >= 1 sd and >= 2x width; another the reverse."""
    def finds(measure: str, other: str) -> set[int]:
        return {i for i, e in enumerate(effects) if abs(e[measure]) >= 1 and abs(e[measure]) >= 2 * abs(e[other])}

    slant_codes, width_codes = finds("slant", "width"), finds("width", "slant")
    return any(a != b for a in slant_codes for b in width_codes)
