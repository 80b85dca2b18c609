"""Shape measures of digit images after Morpho-MNIST (Castro et al. 2019, `morphomnist/measure.py`).

Each image (white ink on black, any size) is upsampled x4 (`skimage.transform.pyramid_expand`, cubic,
as Morpho-MNIST does), binarised at half its grey range, and measured there; lengths are given in
pixels of the original image:
- slant: arctan(-mu11 / mu02) of the upsampled grey image, in radians; positive = the top leans right
  (x to the right, y down, so a right lean has mu11 < 0).
- width: Morpho-MNIST's width, the horizontal side of the bounding parallelogram sheared by the
  image's slant that leaves out 1% of the ink on each side (`bound_frac` 0.02).
- thickness: 2 x the mean distance to the background along the medial axis (`skimage.morphology.
  medial_axis`) of the binarised image.
- length: the medial axis's length (neighbours along a row or column count 1, diagonal ones sqrt 2).
These follow Morpho-MNIST's definitions; tests check them on synthetic strokes of known width and angle.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import ndimage
from skimage import morphology, transform

try:  # the medial axis's inner loop; medial_axis itself rebuilds its lookup tables on every call (60 ms)
    from skimage.morphology._skeletonize_various_cy import _skeletonize_loop
except ImportError:  # another scikit-image layout: use the public function (same result, ~10x slower)
    _skeletonize_loop = None

logger = logging.getLogger(__name__)

MEASURES = ("slant", "width", "thickness", "length")
SCALE = 4  # upsampling for sub-pixel measurement
THRESHOLD = 0.5  # binarisation at this fraction of the upsampled image's grey range
BOUND_FRAC = 0.02  # ink left out of the bounding parallelogram, both sides together
# a skeleton pixel's length: its right neighbour counts 1, the three below 1 or sqrt 2 (each pair once)
_LENGTH_MASK = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [np.sqrt(2.0), 1.0, np.sqrt(2.0)]])


def measure(image: np.ndarray) -> dict[str, float]:
    """The four measures of one (H, W) uint8 image (white ink on black)."""
    grey = np.asarray(image)
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(f"expected one (H, W) uint8 image, got {grey.dtype} {grey.shape}")
    if grey.max() == grey.min():
        return dict.fromkeys(MEASURES, float("nan"))  # blank: nothing to measure
    hires = (255.0 * transform.pyramid_expand(grey, upscale=SCALE, order=3, channel_axis=None)).astype(np.uint8)
    low, high = int(hires.min()), int(hires.max())
    binary = hires >= low + (high - low) * THRESHOLD
    skeleton, distance = medial_axis(binary)
    skeleton_f = skeleton.astype(np.float64)
    length = float(np.sum(ndimage.correlate(skeleton_f, _LENGTH_MASK, mode="constant") * skeleton_f))
    mu11, mu02, shear_centre = _moments(hires.astype(np.float64))
    shear = mu11 / mu02
    return {"slant": float(np.arctan(-shear)),
            "width": _sheared_width(hires.astype(np.float64), shear, shear_centre) / SCALE,
            "thickness": float(2.0 * distance[skeleton].mean() / SCALE) if skeleton.any() else float("nan"),
            "length": length / SCALE}


def measure_batch(images: np.ndarray, workers: int = 1) -> dict[str, np.ndarray]:
    """Each measure of (N, H, W) uint8 images as an (N,) float64 array; `workers` > 1 uses processes."""
    batch = np.asarray(images)
    if workers > 1 and len(batch) >= 100:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(measure, batch, chunksize=64))
    else:
        rows = [measure(image) for image in batch]
    return {name: np.array([row[name] for row in rows], dtype=np.float64) for name in MEASURES}


def medial_axis(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`skimage.morphology.medial_axis(binary, return_distance=True, rng=42)` (Morpho-MNIST's call), with its
    lookup tables built once: (skeleton bool (H, W), distance to the background float (H, W))."""
    if _skeletonize_loop is None:
        skeleton, distance = morphology.medial_axis(binary, return_distance=True, rng=42)
        return skeleton, distance
    removable, cornerness = _tables()
    distance = ndimage.distance_transform_edt(binary)
    rows, columns = np.nonzero(binary)  # row-major, as skimage's mask indexing
    corner_score = cornerness[_neighbourhood_index(binary)][binary]
    tiebreaker = np.random.default_rng(42).permutation(np.arange(len(rows)))
    order = np.lexsort((tiebreaker, corner_score, distance[binary])).astype(np.int32)
    result = np.ascontiguousarray(binary, dtype=np.uint8)
    _skeletonize_loop(result, np.ascontiguousarray(rows, dtype=np.intp), np.ascontiguousarray(columns, dtype=np.intp),
                      order, removable)
    return result.astype(bool), distance


def _neighbourhood_index(binary: np.ndarray) -> np.ndarray:
    """Per pixel, its 3x3 neighbourhood as a 9-bit number (bit 4 the pixel itself, row-major; outside = 0)."""
    weights = (2 ** np.arange(9)).reshape(3, 3)
    return ndimage.correlate(binary.astype(np.int64), weights, mode="constant", cval=0)


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """medial_axis's tables over the 512 neighbourhoods: may the centre go (uint8), and its cornerness."""
    patterns = (np.arange(512)[:, None] >> np.arange(9)[None, :] & 1).astype(bool).reshape(512, 3, 3)
    eight = np.ones((3, 3), dtype=bool)
    centre = patterns[:, 1, 1]
    without = patterns.copy()
    without[:, 1, 1] = False
    splits = np.array([ndimage.label(with_centre, eight)[1] != ndimage.label(no_centre, eight)[1]
                       for with_centre, no_centre in zip(patterns, without, strict=True)])
    few = patterns.reshape(512, 9).sum(axis=1) < 3
    return np.ascontiguousarray(centre & (splits | few), dtype=np.uint8), 9 - patterns.reshape(512, 9).sum(axis=1)


def _moments(image: np.ndarray) -> tuple[float, float, float]:
    """mu11, mu02 (central moments, x right and y down) and the centroid's row."""
    y, x = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    mass = image.sum()
    mean_x, mean_y = (x * image).sum() / mass, (y * image).sum() / mass
    mu11 = ((x - mean_x) * (y - mean_y) * image).sum() / mass
    mu02 = ((y - mean_y) ** 2 * image).sum() / mass
    return float(mu11), float(mu02), float(mean_y)


def _sheared_width(image: np.ndarray, shear: float, middle: float) -> float:
    """Right minus left side of the parallelogram sheared by `shear` that holds all but BOUND_FRAC of the ink."""
    y, x = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    sheared = (x + 0.5 - shear * (y - middle)).ravel()  # each pixel's position along the sheared axis
    order = np.argsort(sheared)
    mass = image.ravel()[order]
    locations = np.arange(image.shape[1], dtype=np.float64)
    # cdf[t]: fraction of the ink strictly left of the sheared line through column t
    before = np.searchsorted(sheared[order], locations, side="left")
    cumulative = np.concatenate([[0.0], np.cumsum(mass)])
    cdf = cumulative[before] / cumulative[-1]
    left, right = np.interp([BOUND_FRAC / 2, 1 - BOUND_FRAC / 2], cdf, locations)
    return float(right - left)
