"""Tiny, deterministic data sets written under a test's tmp_path: image folders, IDX files and .npz archives."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from PIL import Image


def images(n: int, size: int = 8, channels: int = 1, seed: int = 0) -> np.ndarray:
    """uint8 (n, size, size) or (n, size, size, 3): seeded noise, image i's mean rising with i (so rows differ)."""
    rng = np.random.default_rng(seed)
    shape = (n, size, size) + ((3,) if channels == 3 else ())
    base = rng.integers(0, 128, size=shape)
    return (base + (np.arange(n) * 7 % 128).reshape(-1, *([1] * (len(shape) - 1)))).astype(np.uint8)


def write_folder(root: Path, counts: dict[str, int] | int, size: int = 8, channels: int = 1, suffix: str = ".png",
                 seed: int = 0) -> Path:
    """Class folders (counts: class name -> images) or a flat folder (counts: an int) of PNG files under root."""
    mode = "RGB" if channels == 3 else "L"
    groups = counts.items() if isinstance(counts, dict) else [("", counts)]
    for offset, (name, n) in enumerate(groups):
        folder = root / name if name else root
        folder.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(images(n, size, channels, seed + offset)):
            Image.fromarray(image, mode).save(folder / f"{index:04d}{suffix}")
    return root


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file of a uint8 array: magic 0x08 0x0D (uint8, ndim), then each dimension, big-endian."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(folder: Path, splits: dict[str, tuple[np.ndarray, np.ndarray | None]], gz: bool = True) -> Path:
    """MNIST-named IDX files (train, t10k) of the given (images, labels) per split, gzipped or not."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, (pictures, labels) in splits.items():
        prefix = "t10k" if split == "test" else "train"
        files = {f"{prefix}-images-idx3-ubyte": pictures, f"{prefix}-labels-idx1-ubyte": labels}
        for name, array in files.items():
            if array is not None:
                data = idx_bytes(array)
                (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return folder
