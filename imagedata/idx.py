"""A folder of IDX files, as MNIST ships (Fashion-MNIST, KMNIST and EMNIST ship the same way), gzipped or not.

A file is images if its name holds "images" (IDX magic 2051: uint8, (N, H, W)), labels if it holds "labels"
(2049: uint8, (N,)); it is the test split's if its name holds "t10k" or "test", else the train split's. A folder
with train images is required; labels come for both splits or neither; without test images a seeded part of the
train images is held out (`dataset.hold_out`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imagedata.dataset import DataSet, Split, hold_out
from infogan_sdk.errors import DataSetError
from mnist_data.files import IMAGES_MAGIC, LABELS_MAGIC, file_sha256, read_idx

NAMES = "names like train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]"


def idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """(split, "images" or "labels") -> its file in `folder`; DataSetError for none, or two of one kind."""
    if not folder.is_dir():
        raise DataSetError(f"{folder}: no such folder; expected a folder of IDX files ({NAMES})")
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        kind = "images" if "images" in name else "labels" if "labels" in name else None
        if name.startswith(".") or kind is None or "idx" not in name or not path.is_file():
            continue
        key = ("test" if "t10k" in name or "test" in name else "train", kind)
        if key in found:
            raise DataSetError(f"{folder}: two {key[0]} {kind} files, {found[key].name} and {path.name}; "
                               "expected one")
        found[key] = path
    if ("train", "images") not in found:
        raise DataSetError(f"{folder}: no IDX train images found; expected {NAMES}")
    return found


def read_idx_folder(folder: Path, source: str, name: str, class_names: tuple[str, ...] | None = None) -> DataSet:
    """The IDX files of `folder` as a DataSet named `name`; errors name the file and what was expected."""
    files = idx_files(folder)
    has_labels = [key for key in files if key[1] == "labels"]
    if has_labels and ("train", "labels") not in files:
        raise DataSetError(f"{folder}: test labels but no train labels; expected labels for both splits or neither")
    splits = {split: _split(files, split) for split in ("train", "test") if (split, "images") in files}
    if ("test", "labels") not in files and ("train", "labels") in files and "test" in splits:
        raise DataSetError(f"{files['test', 'images']}: test images without a test labels file; expected "
                           "labels for both splits or neither")
    note = "its own files"
    if "test" not in splits:
        splits["train"], splits["test"], note = hold_out(splits["train"])
    checksums = {path.name: file_sha256(path) for path in files.values()}
    return DataSet(name, source, splits["train"], splits["test"], class_names, checksums, note)


def _split(files: dict[tuple[str, str], Path], split: str) -> Split:
    images_path = files[split, "images"]
    images = read_idx(images_path, IMAGES_MAGIC, None)
    labels = None
    if (split, "labels") in files:
        labels_path = files[split, "labels"]
        labels = read_idx(labels_path, LABELS_MAGIC, ()).astype(np.int64)
        if len(labels) != len(images):
            raise DataSetError(f"{labels_path}: {len(labels)} labels, expected one per image of {images_path.name} "
                               f"({len(images)})")
    return Split(images, labels)
