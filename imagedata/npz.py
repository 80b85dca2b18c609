"""A data set in one .npz archive (numpy.savez; numpy.savez_compressed works but is read into memory).

Keys (any other key is refused, so a typo is never silently ignored):
    images         uint8 (N, H, W) grey or (N, H, W, 3) RGB (integers in 0..255 are accepted and cast)  required
    labels         integers (N,): the first categorical code's class of each image                   optional
    class_names    strings (K,): the name of each class, labels in 0..K-1                               optional
    test_images    as images: the test split (without it a seeded 10% of images is held out)           optional
    test_labels    as labels, for test_images (required when there are labels and test_images)         optional
    factor_NAME, test_factor_NAME   one value per image (N, ...) of a known factor NAME               optional
    packed_images, test_packed_images   binary images as bits, instead of images / test_images: uint8
                   (N, H, W / 8), np.packbits(images > 0, axis=2); each bit a pixel of 0 or 255
Stored (uncompressed) arrays are memory-mapped, copy-on-write: only the images a step reads are paged in, and the
file is never changed. A hold-out test split is copied into memory (give test_images for a large data set).
Packed images are unpacked once into the cache (`cache`; without a cache folder, into memory) and memory-mapped
from there: 8x smaller to store and ship (dSprites: 377 MB instead of 3 GB), a plain uint8 array to train on.
"""

from __future__ import annotations

import logging
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imagedata.cache import cache_key, cached
from imagedata.convert import as_uint8
from imagedata.dataset import DataSet, Split, check_labels, hold_out
from infogan_sdk.errors import DataSetError
from mnist_data.files import file_sha256

logger = logging.getLogger(__name__)
KEYS = ("images", "labels", "class_names", "test_images", "test_labels", "packed_images", "test_packed_images")
PACKED = "packed_images"
UNPACK_ROWS = 65_536  # images unpacked at a time (256 MB of 64x64 uint8)
FACTOR, TEST_FACTOR = "factor_", "test_factor_"
_LOCAL_HEADER = 30  # bytes of a zip member's fixed local header; its name and extra field follow


def read_npz(path: Path, source: str, cache_dir: Path | None = None) -> DataSet:
    """The DataSet of the .npz archive at `path` (packed images unpacked into `cache_dir`; None: into memory);
    DataSetError naming the file and key for anything amiss."""
    arrays = _arrays(path)
    unknown = sorted(key for key in arrays if key not in KEYS and not key.startswith((FACTOR, TEST_FACTOR)))
    if unknown or not {"images", PACKED} & set(arrays):
        problem = f"unknown keys {unknown}" if unknown else "no 'images' array (nor 'packed_images')"
        raise DataSetError(f"{path}: {problem}; expected the keys {list(KEYS)} (only images is required) and "
                           f"{FACTOR}NAME / {TEST_FACTOR}NAME; found {sorted(arrays)}")
    arrays = _unpacked(arrays, path, cache_dir)
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


def _unpacked(arrays: dict[str, Any], path: Path, cache_dir: Path | None) -> dict[str, Any]:
    """`arrays` with each split's packed_images unpacked to images (uint8 0 or 255), mapped from the cache."""
    prefixes = [prefix for prefix in ("", "test_") if f"{prefix}{PACKED}" in arrays]
    for prefix in prefixes:
        if f"{prefix}images" in arrays:
            raise DataSetError(f"{path}: both {prefix}images and {prefix}{PACKED}; expected one of them")
    if not prefixes:
        return arrays
    packed = {prefix: _packed(arrays.pop(f"{prefix}{PACKED}"), path, f"{prefix}{PACKED}") for prefix in prefixes}
    if cache_dir is None:
        return {**arrays, **{f"{prefix}images": unpack(bits, np.empty(_unpacked_shape(bits), np.uint8))
                             for prefix, bits in packed.items()}}

    def build(work: Path) -> dict[str, Any]:
        for prefix, bits in packed.items():
            out = np.lib.format.open_memmap(work / f"{prefix}images.npy", "w+", np.uint8, _unpacked_shape(bits))
            unpack(bits, out)
            out.flush()
        return {"unpacked": prefixes}

    entry, _ = cached(cache_dir, cache_key(path.parent, [str(path)], {"unpack": PACKED}), build)
    return {**arrays, **{f"{prefix}images": np.load(entry / f"{prefix}images.npy", mmap_mode="c")
                         for prefix in prefixes}}


def _packed(value: Any, path: Path, key: str) -> NDArray[np.uint8]:
    bits = _load(value, path)
    if bits.dtype != np.uint8 or bits.ndim != 3 or 0 in bits.shape:
        raise DataSetError(f"{path}: {key} must be uint8 (N, H, W / 8) bits (np.packbits(images > 0, axis=2)), got "
                           f"{bits.dtype} {bits.shape}")
    return bits


def _unpacked_shape(bits: NDArray[np.uint8]) -> tuple[int, int, int]:
    return (bits.shape[0], bits.shape[1], bits.shape[2] * 8)


def unpack(bits: NDArray[np.uint8], out: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Packed rows uint8 (N, H, W / 8) -> `out` uint8 (N, H, W), each bit 0 or 255, UNPACK_ROWS images at a time."""
    for start in range(0, len(bits), UNPACK_ROWS):
        out[start:start + UNPACK_ROWS] = np.unpackbits(bits[start:start + UNPACK_ROWS], axis=2) * np.uint8(255)
    return out


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
