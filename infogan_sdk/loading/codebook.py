"""What a model's manifest says its outputs mean: the continuous codes (name, direction, measured effects,
range); the categorical codes' labels are `labels`.

Directions make one convention hold for every model: positive = leans right, wider, thicker. A code
with direction -1 is flipped by the SDK both ways (the network gets -value; `infer` reports -output),
so users never see the network's own sign.

A code may also be a direction across the network's codes (`axis`, a unit vector; the axes of all codes are
orthonormal): when no network code moves one measure alone but a mix of two does, the describe step rotates
the basis. Users' values u and the network's c then relate by c = u @ basis and u = c @ basis.T, where
basis[i] = direction_i x axis_i (`code_basis`); without axes the basis is the signed identity.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from infogan_sdk.errors import IncompatibleModelError
from infogan_sdk.loading.manifest import Manifest

ORTHONORMAL_TOLERANCE = 1e-4  # axes are stored as JSON decimals


@dataclass(frozen=True)
class ContinuousCode:
    """One continuous code.

    name: "rotation", "width", "thickness" or "c<i>" (a code that moves no measure cleanly).
    index: its column in `continuous` arrays. direction: +1, or -1 when the SDK flips the network's sign.
    axis: the code as a unit vector over the network's continuous inputs (e_index unless the basis is rotated).
    effects: measure ("slant", "width", "thickness", "length") -> change of the measure's mean when the
    code goes from -2 to +2, in standard deviations of the real test images the description measured, in the SDK's
    direction.
    range: the values the model was trained on for this code: those its prior gives it (the SDK draws from that
    prior, the spec's range on each network input); for a turned code (an axis mixing several network inputs) the
    range reaches the square's corners, 1.41 for a 45-degree mix. sweep: the span effects use.
    """

    name: str
    index: int
    direction: int
    effects: MappingProxyType[str, float]
    range: tuple[float, float]
    sweep: tuple[float, float]
    axis: tuple[float, ...]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k} {v:+.2f} sd" for k, v in self.effects.items())
        return f"ContinuousCode({self.name!r}, index={self.index}, direction={self.direction:+d}, effects: {shown})"

    @property
    def rotated(self) -> bool:
        """True when the code mixes several network inputs (its axis is not a unit axis)."""
        return sum(1 for value in self.axis if value != 0.0) > 1


def network_inputs(direction: int, axis: list[float] | tuple[float, ...]) -> str:
    """What a code feeds the generator's ONNX input `continuous`, as text: "+continuous[1]", or
    "-0.50 continuous[0] -0.87 continuous[2]" for a turned code (not "c0": that is also a code's name)."""
    terms = [(direction * value, i) for i, value in enumerate(axis) if value != 0]
    if len(terms) == 1:
        return f"{'+' if terms[0][0] > 0 else '-'}continuous[{terms[0][1]}]"
    return " ".join(f"{value:+.2f} continuous[{i}]" for value, i in terms)


def read_codes(manifest: Manifest) -> tuple[ContinuousCode, ...]:
    """The manifest's `continuous_codes` (or "c0", "c1", ... with direction +1 if absent), checked."""
    n_continuous, trained = manifest.spec.n_continuous, manifest.spec.continuous_range
    entries = manifest.data.get("continuous_codes")
    if entries is None:
        entries = [{"name": f"c{index}"} for index in range(n_continuous)]
    if not isinstance(entries, list) or len(entries) != n_continuous or not all(isinstance(e, dict) for e in entries):
        raise IncompatibleModelError(f"{manifest.path}: continuous_codes must be a list of {n_continuous} objects, "
                                     f"got {reprlib.repr(entries)}")
    codes = tuple(_code(manifest, index, entry, trained) for index, entry in enumerate(entries))
    names = [code.name for code in codes]
    if len(set(names)) != len(names):
        raise IncompatibleModelError(f"{manifest.path}: continuous code names must be unique, got {names}")
    axes = np.asarray([code.axis for code in codes], dtype=np.float64).reshape(n_continuous, n_continuous)
    if not np.allclose(axes @ axes.T, np.eye(n_continuous), atol=ORTHONORMAL_TOLERANCE):
        raise IncompatibleModelError(f"{manifest.path}: the continuous codes' axes must be orthonormal unit vectors "
                                     f"(within {ORTHONORMAL_TOLERANCE}), got {axes.round(4).tolist()}")
    return codes


def code_basis(codes: tuple[ContinuousCode, ...]) -> np.ndarray | None:
    """The (k, k) float32 matrix taking users' values to the network's (c = u @ basis; back: u = c @ basis.T),
    or None when it is the identity (nothing to convert)."""
    basis = np.asarray([np.asarray(code.axis) * code.direction for code in codes], dtype=np.float32)
    return None if np.array_equal(basis, np.eye(len(codes), dtype=np.float32)) else basis


def _code(manifest: Manifest, index: int, entry: dict[str, Any], trained: tuple[float, float]) -> ContinuousCode:
    name, direction = entry.get("name"), entry.get("direction", 1)
    effects, sweep = entry.get("effects", {}), entry.get("sweep", [-2.0, 2.0])
    size = manifest.spec.n_continuous
    axis = entry.get("axis", [1.0 if column == index else 0.0 for column in range(size)])
    problem = None
    if not isinstance(name, str) or not name.isidentifier():
        problem = f"a 'name' that is an identifier, got {reprlib.repr(name)}"
    elif isinstance(direction, bool) or direction not in (1, -1):
        problem = f"'direction' 1 or -1, got {reprlib.repr(direction)}"
    elif not isinstance(effects, dict) or not all(isinstance(k, str) and _number(v) for k, v in effects.items()):
        problem = f"'effects' mapping measure names to finite numbers, got {reprlib.repr(effects)}"
    elif not isinstance(sweep, list) or len(sweep) != 2 or not all(_number(v) for v in sweep):
        problem = f"'sweep' as two numbers, got {reprlib.repr(sweep)}"
    elif not isinstance(axis, list) or len(axis) != size or not all(_number(v) for v in axis):
        problem = f"'axis' as {size} numbers (a unit vector over the network's continuous inputs), got " \
                  f"{reprlib.repr(axis)}"
    if problem is not None:
        raise IncompatibleModelError(f"{manifest.path}: continuous code {index} needs {problem}")
    middle, half, reach = (trained[0] + trained[1]) / 2, (trained[1] - trained[0]) / 2, sum(abs(v) for v in axis)
    if reach > 1:  # a turned code: outward to 4 decimals, so that every drawn value (float32) lies inside
        trained = (math.floor((middle - half * reach) * 1e4) / 1e4, math.ceil((middle + half * reach) * 1e4) / 1e4)
    return ContinuousCode(str(name), index, int(direction), MappingProxyType({k: float(v) for k, v in effects.items()}),
                          trained, (float(sweep[0]), float(sweep[1])), tuple(float(v) for v in axis))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

