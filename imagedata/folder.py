"""A folder of image files as a data set, in the usual layout.

    DIR/cat/*.png, DIR/dog/*.jpg      one subfolder per class: labels and class names (sorted names), images at
                                      any depth below each class folder
    DIR/*.png                         a flat folder: unlabelled
    DIR/train/..., DIR/test/...       either of the above per split (test classes a subset of train's); without
                                      test/, a seeded 10% is held out
Images are PNG, JPEG, BMP, GIF, TIFF, WebP or PPM (the SDK's readers), brought to one size and to grey or RGB
(`convert`); channels default to RGB if any image is in colour, the size to the images' own when they agree.
Decoded images are kept in a cache (`cache`) and memory-mapped; without a cache folder they are held in memory.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imagedata import decoding
from imagedata.cache import cache_key, cached
from imagedata.convert import refuse_size
from imagedata.dataset import HOLDOUT_FRACTION, HOLDOUT_SEED, DataSet, Split, holdout_rows
from infogan_sdk.errors import DataSetError
from infogan_sdk.images.walk import IMAGE_SUFFIXES, Unlisted, find

Entries = list[tuple[str, int]]  # (path, label; -1 unlabelled)
SUFFIXES = "/".join(IMAGE_SUFFIXES)


def read_folder(folder: Path, source: str, size: int | None = None, channels: int | None = None, policy: str = "",
                cache_dir: Path | None = None, workers: int = 0) -> DataSet:
    """The DataSet of the image folder `folder`; decoded by `workers` processes into `cache_dir` (None: memory)."""
    splits, class_names = layout(folder)
    note = "its test/ folder"
    if "test" not in splits:
        test_rows, train_rows = holdout_rows(len(splits["train"]))
        splits = {"train": [splits["train"][i] for i in train_rows], "test": [splits["train"][i] for i in test_rows]}
        note = (f"held out {len(test_rows)} of {len(test_rows) + len(train_rows)} images ({HOLDOUT_FRACTION:.0%}, "
                f"seed {HOLDOUT_SEED}): the folder has no test/ folder")
    options = {"size": size, "channels": channels, "policy": policy, "classes": class_names}

    def build(work: Path | None) -> dict[str, Any]:
        return _decode_splits(folder, splits, size, channels, policy, work, workers)

    if cache_dir is None:
        meta = build(None)
        arrays = meta.pop("arrays")
    else:
        files = [path for entries in splits.values() for path, _ in entries]
        entry, meta = cached(cache_dir, cache_key(folder, files, options), build)
        arrays = {name: np.load(entry / f"{name}.npy", mmap_mode="c" if name.endswith("images") else None)
                  for name in meta["arrays"]}
    parts = {split: Split(arrays[f"{split}_images"], arrays.get(f"{split}_labels")) for split in ("train", "test")}
    return DataSet(folder.name, source, parts["train"], parts["test"], class_names, meta["sha256"], note)


def layout(folder: Path) -> tuple[dict[str, Entries], tuple[str, ...] | None]:
    """{"train": entries[, "test": entries]} and the class names (None for flat folders)."""
    if not folder.is_dir():
        raise DataSetError(f"{folder}: no such folder; expected a folder of image files ({SUFFIXES})")
    subfolders = _subfolders(folder)
    if {"train", "test"} <= set(subfolders):
        train, classes = _split_entries(folder / "train", None)
        test, test_classes = _split_entries(folder / "test", classes)
        if (classes is None) != (test_classes is None):
            raise DataSetError(f"{folder}: one of train/ and test/ has class folders and the other not; expected "
                               "both labelled (class folders) or both flat")
        return {"train": train, "test": test}, classes
    train, classes = _split_entries(folder, None)
    return {"train": train}, classes


def _split_entries(root: Path, known: tuple[str, ...] | None) -> tuple[Entries, tuple[str, ...] | None]:
    """A split's (path, label) entries and class names; `known` (train's classes) labels a test split."""
    if not root.is_dir():
        raise DataSetError(f"{root}: no such folder; expected a folder of image files ({SUFFIXES})")
    loose = _images([root], False)
    classes = tuple(sorted(_subfolders(root)))
    if not classes:
        if not loose:
            raise DataSetError(f"{root}: no image files; expected {SUFFIXES} files, or one subfolder of them per "
                               "class")
        return [(path, -1) for path in loose], None
    if loose:
        raise DataSetError(f"{loose[0]}: an image beside the class folders of {root}; expected every image inside "
                           "its class folder (or no subfolders: a flat, unlabelled folder)")
    names = known or classes
    if unknown := sorted(set(classes) - set(names)):
        raise DataSetError(f"{root}: class folders {unknown} that train/ does not have; expected a subset of "
                           f"{list(names)}")
    entries: Entries = []
    for name in classes:
        found = _images([root / name], True)
        if not found:
            raise DataSetError(f"{root / name}: a class folder with no images; expected {SUFFIXES} files in it")
        entries += [(path, names.index(name)) for path in found]
    return entries, names


def _images(inputs: list[Path], recursive: bool) -> list[str]:
    found = []
    for item in find(inputs, recursive):
        if isinstance(item, Unlisted):
            raise DataSetError(item.error)
        found.append(item)
    return found


def _subfolders(folder: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(folder)
                      if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False))
    except OSError as error:
        raise DataSetError(f"{folder}: cannot list the folder: {error.strerror or error}") from error


def _decode_splits(folder: Path, splits: dict[str, Entries], size: int | None, channels: int | None, policy: str,
                   work: Path | None, workers: int) -> dict[str, Any]:
    """Decode every split into `work` (.npy files; None: arrays in memory); returns the entry's meta."""
    paths = [path for entries in splits.values() for path, _ in entries]
    found = decoding.headers(paths, workers)
    channels = channels or (3 if any(colour for _, _, colour in found) else 1)
    size = _common_size(paths, found, size, policy)
    arrays: dict[str, NDArray[Any]] = {}
    lines = []
    for split, entries in splits.items():
        jobs = [(path, size, channels, policy) for path, _ in entries]
        first = found[paths.index(entries[0][0])]
        side = (size, size) if size is not None else (first[1], first[0])
        shape = (len(entries), *side, *((3,) if channels == 3 else ()))
        images = _output(work, f"{split}_images", shape)
        for row, (image, digest) in enumerate(decoding.decode_many(jobs, workers)):
            images[row] = image
            lines.append(f"{os.path.relpath(entries[row][0], folder)}\t{digest}\n")
        arrays[f"{split}_images"] = images
        if entries[0][1] >= 0:
            arrays[f"{split}_labels"] = np.asarray([label for _, label in entries], dtype=np.int64)
    digest = hashlib.sha256("".join(sorted(lines)).encode("utf-8", "surrogateescape")).hexdigest()
    meta: dict[str, Any] = {"arrays": sorted(arrays), "sha256": {f"{folder.name}/ ({len(lines)} files)": digest}}
    if work is None:
        meta["arrays"] = arrays
        return meta
    for name, array in arrays.items():
        if name.endswith("labels"):
            np.save(work / f"{name}.npy", array)
        else:
            array.flush()  # type: ignore[attr-defined]
    return meta


def _common_size(paths: Sequence[str], found: list[tuple[int, int, bool]], size: int | None,
                 policy: str) -> int | None:
    """The side images are brought to (None: their own, all equal); DataSetError for mixed sizes without a policy."""
    for path, (width, height, _) in zip(paths, found, strict=True):
        if size is not None and (height, width) != (size, size):
            refuse_size((height, width), size, policy, path)
        elif size is None and (width, height) != found[0][:2]:
            raise DataSetError(f"{path}: image is {height}x{width}, but {paths[0]} is {found[0][1]}x{found[0][0]}: "
                               "mixed sizes; choose an image size and a resize policy ('resize' or 'crop')")
    return size


def _output(work: Path | None, name: str, shape: tuple[int, ...]) -> NDArray[np.uint8]:
    if work is None:
        return np.empty(shape, np.uint8)
    return np.lib.format.open_memmap(work / f"{name}.npy", mode="w+", dtype=np.uint8, shape=shape)
