"""The training run's view of its data set: the `imagedata` adapter's splits as tensors, the checks that the data
fits the model and the mode (before any work), the label budget and the per-epoch order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imagedata import DataSet, default_options, open_source
from infogan_sdk.errors import DataSetError
from train.config import ModelConfig, TrainConfig

DIGIT_SOURCES = ("mnist", "fake")  # data sets of digits, which the MNIST-only options (Morpho-MNIST) assume


@dataclass(frozen=True)
class Dataset:
    """A run's images and labels as tensors (labels None when the data set has none), the checksums of the files
    they came from and the data set's description (`imagedata.DataSet.describe`)."""

    images: torch.Tensor  # (N, H, W) or (N, H, W, 3) uint8; shares a memory-mapped array's pages
    labels: torch.Tensor | None  # (N,) int64
    test_images: torch.Tensor
    test_labels: torch.Tensor | None
    checksums: dict[str, str]
    description: dict[str, Any] = field(default_factory=dict)
    mapped: bool = False  # images memory-mapped from disk: read by the batch, not copied whole to a GPU

    def to(self, device: torch.device) -> Dataset:
        move = (lambda tensor: None if tensor is None else tensor.to(device))  # noqa: E731
        return Dataset(self.images.to(device), move(self.labels), self.test_images.to(device),
                       move(self.test_labels), self.checksums, self.description, self.mapped)


def load_data(config: TrainConfig, data_dir: str | Path | None) -> Dataset:
    """The data set `config.data` names (`imagedata.sources`), brought to the config's image size and channels.

    Raises DataSetError (naming the file) for a source that is missing, empty, corrupt or inconsistent.
    """
    return as_tensors(open_data(config, data_dir))


def open_data(config: TrainConfig, data_dir: str | Path | None) -> DataSet:
    """The `imagedata.DataSet` of `config.data`, with the config's size, channels and resize policy."""
    options = default_options(size=config.image_size or None, channels=config.channels or None,
                              policy=config.resize_policy, data_dir=None if data_dir is None else Path(data_dir),
                              fake_size=config.fake_size, seed=config.seed)
    return open_source(config.data, options)


def data_shape(config: TrainConfig, data_dir: str | Path | None) -> tuple[int, int, int]:
    """(channels, height, width) of the images `config.data` gives: from the config when it fixes both size and
    channels, else by opening the data set (a folder is decoded into its cache once, then mapped)."""
    if config.image_size and config.channels:
        return (config.channels, config.image_size, config.image_size)
    return open_data(config, data_dir).image_shape


def as_tensors(data: DataSet) -> Dataset:
    """The DataSet's arrays as tensors, sharing their memory (a memory-mapped array stays on disk)."""
    def tensor(array: np.ndarray | None) -> torch.Tensor | None:
        return None if array is None else torch.from_numpy(np.ascontiguousarray(array))

    return Dataset(tensor(data.train.images), tensor(data.train.labels), tensor(data.test.images),  # type: ignore[arg-type]
                   tensor(data.test.labels), dict(data.sha256), data.describe(),
                   isinstance(data.train.images, np.memmap))


def check_data(data: Dataset, model_config: ModelConfig, config: TrainConfig) -> None:
    """Refuse, before any work, data that does not fit the model or the mode: its image shape against
    LatentSpec.image_shape, labels for the first categorical code where the mode reads them, and MNIST-only
    options on other data. Raises DataSetError."""
    spec, described = model_config.latent, data.description
    shape = tuple(described.get("image_shape", ()))
    if len(data.images) < config.batch_size:
        raise DataSetError(f"{config.data}: {len(data.images)} training images, expected at least one batch "
                           f"({config.batch_size})")
    if shape != tuple(spec.image_shape):
        raise DataSetError(f"{config.data}: images are {_shape(shape)} (channels, height, width), but the model draws "
                           f"{_shape(spec.image_shape)}: choose --image-size and --channels to match (with "
                           "--resize-policy to resize), or a model of the data's shape")
    if config.mode != "unsupervised":
        if data.labels is None:
            raise DataSetError(f"{config.data}: {config.mode} training needs labels for the first categorical code, "
                               "and this data set has none (a flat folder is unlabelled: put each class in its own "
                               "subfolder; an .npz needs a labels array)")
        if described.get("classes") != spec.digit_code_size:
            raise DataSetError(f"{config.data}: {described.get('classes')} classes, but the first categorical code "
                               f"has {spec.digit_code_size} values; {config.mode} training needs one value per class")
    if config.morph_probability:
        check_digits(data, "--morph-probability thins and thickens digit strokes (Morpho-MNIST)")


def check_digits(data: Dataset, option: str) -> None:
    """Refuse an MNIST-only `option` (it says what it does) on a data set of anything but digits."""
    name = data.description.get("name")
    if name not in DIGIT_SOURCES:
        raise DataSetError(f"{data.description.get('source')}: {option}; expected digits "
                           f"({', '.join(DIGIT_SOURCES)}), got {name!r}")


def labelled_subset(labels: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of `per_class` images of each class, chosen by seed: the semi-supervised label budget."""
    rng = torch.Generator().manual_seed(seed)
    chosen = []
    for label in range(int(labels.max()) + 1):
        candidates = torch.nonzero(labels.cpu() == label).flatten(0)
        chosen.append(candidates[torch.randperm(len(candidates), generator=rng)[:per_class]])
    return torch.cat(chosen)


def epoch_order(seed: int, epoch: int, size: int) -> torch.Tensor:
    """The order in which an epoch reads the training images: a permutation, a function of (seed, epoch)."""
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "of no known shape"
