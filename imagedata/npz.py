"""A data set in one .npz archive (numpy.savez; numpy.savez_compressed works but is read into memory).

Keys (any other key is refused, so a typo is never silently ignored):
    images         uint8 (N, H, W) grey or (N, H, W, 3) RGB (integers in 0..255 are accepted and cast)  required
    labels         integers (N,): the first categorical code's class of each image                   optional
    class_names    strings (K,): the name of each class, labels in 0..K-1                               optional
    test_images    as images: the test split (without it a seeded 10% of images is held out)           optional
    test_labels    as labels, for test_images (required when there are labels and test_images)         optional
    factor_NAME, test_factor_NAME   one value per image (N, ...) of a known factor NAME               optional
Stored (uncompressed) arrays are memory-mapped, copy-on-write: only the images a step reads are paged in, and the
file is never changed. A hold-out test split is copied into memory (give test_images for a large data set).
"""

from __future__ import annotations

import logging
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imagedata.convert import as_uint8
from imagedata.dataset import DataSet, Split, check_labels, hold_out
from infogan_sdk.errors import DataSetError
from mnist_data.files import file_sha256

logger = logging.getLogger(__name__)
KEYS = ("images", "labels", "class_names", "test_images", "test_labels")
FACTOR, TEST_FACTOR = "factor_", "test_factor_"
_LOCAL_HEADER = 30  # bytes of a zip member's fixed local header; its name and extra field follow


def read_npz(path: Path, source: str) -> DataSet:
    """The DataSet of the .npz archive at `path`; DataSetError naming the file and key for anything amiss."""
    arrays = _arrays(path)
    unknown = sorted(key for key in arrays if key not in KEYS and not key.startswith((FACTOR, TEST_FACTOR)))
    if unknown or "images" not in arrays:
        problem = f"unknown keys {unknown}" if unknown else "no 'images' array"
        raise DataSetError(f"{path}: {problem}; expected the keys {list(KEYS)} (only images is required) and "
                           f"{FACTOR}NAME / {TEST_FACTOR}NAME; found {sorted(arrays)}")
    class_names = _class_names(arrays, path)
    train = _split(arrays, "", path, class_names)
    note = "its own arrays"
    if "test_images" in arrays:
        test = _split(arrays, "test_", path, class_names)
    else:
        if isinstance(train.images, np.memmap):
            logger.warning("%s has no test_images: the held-out split copies its images into memory", path)
        train, test, note = hold_out(train)
    return DataSet(path.stem, source, train, test, class_names, {path.name: file_sha256(path)}, note)


def _split(arrays: dict[str, Any], prefix: str, path: Path, class_names: tuple[str, ...] | None) -> Split:
    images = as_uint8(_load(arrays[f"{prefix}images"], path), f"{path}: {prefix}images")
    labels = None
    if f"{prefix}labels" in arrays:
        labels = np.asarray(_load(arrays[f"{prefix}labels"], path))
        check_labels(labels, len(images), f"{path}: {prefix}labels", class_names)
        labels = labels.astype(np.int64)
    elif "labels" in arrays:
        raise DataSetError(f"{path}: has labels but no {prefix}labels; expected labels for both splits or neither")
    prefix_factor = TEST_FACTOR if prefix else FACTOR
    factors = {key[len(prefix_factor):]: np.asarray(_load(value, path)) for key, value in arrays.items()
               if key.startswith(prefix_factor)}
    return Split(images, labels, factors)


def _class_names(arrays: dict[str, Any], path: Path) -> tuple[str, ...] | None:
    if "class_names" not in arrays:
        return None
    names = np.asarray(_load(arrays["class_names"], path))
    if names.ndim != 1 or names.dtype.kind != "U" or len(names) < 1:
        raise DataSetError(f"{path}: class_names must be a 1-D array of strings, got {names.dtype} {names.shape}")
    if "labels" not in arrays:
        raise DataSetError(f"{path}: class_names without labels; expected labels to name")
    return tuple(str(name) for name in names)


def _arrays(path: Path) -> dict[str, Any]:
    """Key -> a memory-mapped array (stored members) or a zip member name to read (compressed ones)."""
    if not path.is_file():
        raise DataSetError(f"{path}: no such file; expected an .npz archive")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".npy")]
        return {info.filename[:-4]: _member(path, info) for info in members}
    except (zipfile.BadZipFile, OSError, ValueError, struct.error) as error:
        raise DataSetError(f"{path}: cannot read it as an .npz archive: {error}") from error


def _member(path: Path, info: zipfile.ZipInfo) -> np.memmap | str:
    mapped = _mapped(path, info)
    return info.filename if mapped is None else mapped


def _mapped(path: Path, info: zipfile.ZipInfo) -> np.memmap | None:
    """A stored (uncompressed) member as a copy-on-write memory map; None for a compressed one."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 1:  # compressed or encrypted
        return None
    with open(path, "rb") as stream:
        stream.seek(info.header_offset)
        local = stream.read(_LOCAL_HEADER)
        if local[:4] != b"PK\x03\x04":
            raise ValueError(f"member {info.filename}: bad local header")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        stream.seek(info.header_offset + _LOCAL_HEADER + name_length + extra_length)
        version = np.lib.format.read_magic(stream)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = reader(stream)
        if dtype.hasobject or 0 in shape:
            return None  # refused (objects) or empty: read the ordinary way
        return np.memmap(path, dtype=dtype, mode="c", offset=stream.tell(), shape=shape,
                         order="F" if fortran else "C")


def _load(value: Any, path: Path) -> NDArray[Any]:
    """A memory map as it is, or a compressed member read (never unpickled)."""
    if not isinstance(value, str):
        return value  # type: ignore[no-any-return]
    try:
        with zipfile.ZipFile(path) as archive, archive.open(value) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise DataSetError(f"{path}: cannot read {value}: {error} (expected a numeric or string array, no "
                           "objects)") from error
