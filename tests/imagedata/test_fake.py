"""The fake digits of dry runs: seeded, shaped like MNIST, and classes a network can tell apart."""

from __future__ import annotations

import numpy as np

from imagedata.fake import fake_mnist


def test_fake_mnist_shapes_and_determinism() -> None:
    images, labels = fake_mnist(512, seed=3)
    assert images.shape == (512, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (512,) and labels.dtype == np.int64
    assert set(np.bincount(labels, minlength=10).tolist()) <= {51, 52}
    again_images, again_labels = fake_mnist(512, seed=3)
    np.testing.assert_array_equal(images, again_images)
    np.testing.assert_array_equal(labels, again_labels)
    assert not np.array_equal(fake_mnist(512, seed=4)[0], images)
    assert fake_mnist(0, seed=0)[0].shape == (0, 28, 28)


def test_fake_mnist_classes_are_distinct() -> None:
    images, labels = fake_mnist(1000, seed=0)
    assert images.max() > 200 and np.median(images) < 20  # bright strokes on a dark background
    means = np.stack([images[labels == k].astype(np.float64).mean(0) for k in range(10)])  # (10, 28, 28)
    distances = np.abs(means[:, None] - means[None, :]).mean(axis=(2, 3))  # (10, 10)
    assert distances[~np.eye(10, dtype=bool)].min() > 5  # every pair of class means differs clearly
