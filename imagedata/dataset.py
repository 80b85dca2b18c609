"""The data-set adapter: what every source gives train, export and evaluate (`DataSet`, two `Split`s), checked.

Images are uint8 (N, H, W) grey or (N, H, W, 3) RGB in 0..255, possibly memory-mapped (read-only); labels, where
the data set has them, are int64 (N,) in 0..classes-1 for the first categorical code; known factors map a name to
one value per image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import DataSetError

HOLDOUT_FRACTION = 0.1  # the test split held out of a source that has none
HOLDOUT_SEED = 0  # fixed, not the training seed: runs with other seeds see the same test images


@dataclass(frozen=True)
class Split:
    """One split: images uint8 (N, H, W) or (N, H, W, 3); labels int64 (N,) or None; factors name -> (N, ...)."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64] | None = None
    factors: Mapping[str, NDArray[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.images)

    def take(self, rows: NDArray[np.int64]) -> Split:
        """The images (and their labels and factors) at `rows`, in memory."""
        return Split(np.asarray(self.images[rows]), None if self.labels is None else self.labels[rows],
                     {name: values[rows] for name, values in self.factors.items()})


@dataclass(frozen=True)
class DataSet:
    """A data set as training reads it: a train and a test split, class names of the first code's labels, the
    sha256 of the files it came from and how its test split was made. Checked on construction (`check_split`)."""

    name: str  # "mnist", "fashion", "fake", or the file or folder's name
    source: str  # as given: "mnist", "npz:/data/shapes.npz", ...
    train: Split
    test: Split
    class_names: tuple[str, ...] | None = None
    sha256: Mapping[str, str] = field(default_factory=dict)  # file name -> sha256 hex (fake data: its recipe)
    test_split: str = "its own files"  # where the test split came from (a hold-out says so)

    def __post_init__(self) -> None:
        check_split(self.train, self.source, "train", self.class_names)
        check_split(self.test, self.source, "test", self.class_names)
        if self.test.images.shape[1:] != self.train.images.shape[1:]:
            raise DataSetError(f"{self.source}: test images are {_shape(self.test.images)}, expected the train "
                               f"images' {_shape(self.train.images)}")
        if (self.train.labels is None) != (self.test.labels is None):
            raise DataSetError(f"{self.source}: labels for one split only; expected both splits labelled or neither")
        if set(self.train.factors) != set(self.test.factors):
            raise DataSetError(f"{self.source}: factors {sorted(self.train.factors)} in train but "
                               f"{sorted(self.test.factors)} in test; expected the same in both")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width), as `LatentSpec.image_shape`."""
        shape = self.train.images.shape
        return (shape[3] if len(shape) == 4 else 1, shape[1], shape[2])

    @property
    def classes(self) -> int:
        """The number of classes of the labels (0 without labels)."""
        if self.train.labels is None:
            return 0
        if self.class_names is not None:
            return len(self.class_names)
        return int(max(self.train.labels.max(initial=-1), self.test.labels.max(initial=-1))) + 1  # type: ignore[union-attr]

    def describe(self) -> dict[str, Any]:
        """What the checkpoint (and a model's manifest) records of the data set; JSON-ready."""
        return {"name": self.name, "source": self.source, "image_shape": list(self.image_shape),
                "counts": {"train": len(self.train), "test": len(self.test)},
                "labelled": self.train.labels is not None, "classes": self.classes,
                "class_names": None if self.class_names is None else list(self.class_names),
                "factors": sorted(self.train.factors), "sha256": dict(self.sha256), "test_split": self.test_split}


def check_split(split: Split, where: str, name: str, class_names: tuple[str, ...] | None = None) -> None:
    """Raise DataSetError naming `where` unless `split` holds uint8 grey or RGB images, and labels and factors that
    match them (one per image; labels in range of `class_names` when given, else >= 0)."""
    images = split.images
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[3] != 3):
        raise DataSetError(f"{where}: {name} images must be uint8 (N, H, W) grey or (N, H, W, 3) RGB, got "
                           f"{images.dtype} {images.shape}")
    if len(images) == 0 or min(images.shape[1:3]) < 1:
        raise DataSetError(f"{where}: expected at least one {name} image, got shape {images.shape}")
    if split.labels is not None:
        check_labels(split.labels, len(images), f"{where}: {name} labels", class_names)
    for factor, values in split.factors.items():
        if len(values) != len(images):
            raise DataSetError(f"{where}: {name} factor {factor!r} has {len(values)} values, expected one per image "
                               f"({len(images)})")


def check_labels(labels: NDArray[Any], count: int, where: str, class_names: tuple[str, ...] | None) -> None:
    """Raise DataSetError unless `labels` is (count,) integers in 0..len(class_names)-1 (or >= 0 without names)."""
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataSetError(f"{where}: expected integers (N,), got {labels.dtype} {labels.shape}")
    if len(labels) != count:
        raise DataSetError(f"{where}: {len(labels)} labels, expected one per image ({count})")
    low, high = (int(labels.min()), int(labels.max())) if len(labels) else (0, 0)
    top = len(class_names) - 1 if class_names is not None else None
    if low < 0 or (top is not None and high > top):
        expected = "labels must be >= 0" if top is None else f"labels must be in 0..{top} (one per class name)"
        raise DataSetError(f"{where}: {expected}, got {low}..{high}")


def hold_out(split: Split, fraction: float = HOLDOUT_FRACTION, seed: int = HOLDOUT_SEED) -> tuple[Split, Split, str]:
    """(train, test, what was done): a seeded `fraction` of the images (at least one) as a test split, in memory."""
    if len(split) < 2:
        raise DataSetError(f"expected at least 2 images to hold some out as a test split, got {len(split)}")
    test_rows, train_rows = holdout_rows(len(split), fraction, seed)
    note = f"held out {len(test_rows)} of {len(split)} images ({fraction:.0%}, seed {seed}): the source has no test " \
        "split"
    return split.take(train_rows), split.take(test_rows), note


def holdout_rows(count: int, fraction: float = HOLDOUT_FRACTION,
                 seed: int = HOLDOUT_SEED) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(test rows, train rows), each sorted: a seeded permutation's first max(1, round(fraction * count))."""
    order = np.random.default_rng(seed).permutation(count)
    held = min(max(1, round(fraction * count)), count - 1)
    return np.sort(order[:held]), np.sort(order[held:])


def _shape(images: NDArray[Any]) -> str:
    return "x".join(map(str, images.shape[1:]))
