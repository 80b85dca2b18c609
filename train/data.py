"""The training run's view of MNIST: the images as tensors (or fake digits for dry runs), the label budget and the
per-epoch order. The files themselves are read by `mnist_data.files`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mnist_data.files import data_sha256, default_data_dir, load_mnist
from train.config import TrainConfig
from train.fake_data import fake_mnist


@dataclass(frozen=True)
class Dataset:
    """A run's images and labels as tensors, and the checksums of the files they came from."""

    images: torch.Tensor  # (N, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64
    test_images: torch.Tensor
    test_labels: torch.Tensor
    checksums: dict[str, str]

    def to(self, device: torch.device) -> Dataset:
        return Dataset(self.images.to(device), self.labels.to(device), self.test_images.to(device),
                       self.test_labels.to(device), self.checksums)


def load_data(config: TrainConfig, data_dir: str | Path | None) -> Dataset:
    """MNIST (train and test splits) or, with config.data == "fake", seeded fake digits."""
    if config.data == "fake":
        images, labels = fake_mnist(config.fake_size, config.seed)
        test_images, test_labels = fake_mnist(max(config.fake_size // 4, 10), config.seed + 1)
        checksums = {"fake": f"fake_mnist(n={config.fake_size}, seed={config.seed})"}
    else:
        folder = Path(data_dir) if data_dir is not None else default_data_dir()
        images, labels = load_mnist("train", folder)
        test_images, test_labels = load_mnist("test", folder)
        checksums = data_sha256(folder)
    return Dataset(*(torch.from_numpy(np.ascontiguousarray(a)) for a in (images, labels, test_images, test_labels)),
                   checksums)


def labelled_subset(labels: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of `per_class` images of each class, chosen by seed: the semi-supervised label budget."""
    rng = torch.Generator().manual_seed(seed)
    chosen = []
    for digit in range(int(labels.max()) + 1):
        candidates = torch.nonzero(labels.cpu() == digit).flatten(0)
        chosen.append(candidates[torch.randperm(len(candidates), generator=rng)[:per_class]])
    return torch.cat(chosen)


def epoch_order(seed: int, epoch: int, size: int) -> torch.Tensor:
    """The order in which an epoch reads the training images: a permutation, a function of (seed, epoch)."""
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
