"""What `write_dataset` checks before any work: that an existing output is a data set it wrote (the only thing
`overwrite` replaces: never a user's file or folder) and that the disk has room for the whole job.

The room needed is the peak while writing: an .npz is built from .npy parts, so parts and archive sit side by
side; a folder uses whole file system blocks per PNG. Formats that compress (PNG, Parquet, a compressed .npz)
are first bounded by their raw size; only when that bound does not fit is one block of images made and
measured, so small jobs never pay for an estimate.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from infogan_sdk.datasets.plan import DatasetPlan, generate_block, layout, metadata
from infogan_sdk.errors import OutputError, OutputExistsError
from infogan_sdk.generator import Generator

SLACK = 1 << 20  # headers, the zip directory, metadata: a data set's bytes besides its images' own
ROW_BYTES = 96  # labels.csv: file name, index, digit and the codes of one image, at most about this
PNG_FILE = re.compile(r"\d+\.png")
META = ("model", "seed", "total", "continuous_names", "continuous_ranges")


def check_replaceable(generator: Generator, target: Path, kind: str) -> None:
    """Raise OutputExistsError unless `target` is missing, an empty folder, or a data set of this `kind` ("npz",
    "parquet", "folder") as `write_dataset` writes it."""
    if not (target.exists() or target.is_symlink()):
        return
    problem = _foreign(generator, target, kind)
    if problem is not None:
        raise OutputExistsError(f"{target} exists and is not a data set written by infogan dataset ({problem}): "
                                "refusing to replace it, even with overwrite; remove it yourself or choose another "
                                "output path")


def _foreign(generator: Generator, target: Path, kind: str) -> str | None:
    """Why `target` is not a data set of this kind, or None when it is one."""
    if kind == "folder":
        if not target.is_dir():
            return "expected a folder of PNG files and labels.csv, found a file"
        with os.scandir(target) as entries:  # streamed: a data set folder may hold millions of files
            empty = True
            for entry in entries:
                empty = False
                if entry.name != "labels.csv" and not PNG_FILE.fullmatch(entry.name):
                    return f"it holds {entry.name!r}, which infogan dataset does not write (NNNNN.png files and " \
                           "labels.csv)"
        if not empty and not _starts(target / "labels.csv", b"file,index,digit"):
            return "its labels.csv is missing or has another header than file,index,digit,..."
        return None
    if target.is_dir():
        return f"expected a .{kind} file, found a folder"
    if kind == "npz":
        wanted = {f"{name}.npy" for name in (*layout(generator.spec, 0), *META)}
        try:
            with zipfile.ZipFile(target) as archive:
                missing = wanted - set(archive.namelist())
        except (OSError, zipfile.BadZipFile) as error:
            return f"not a readable .npz: {error}"
        return f"it lacks {sorted(missing)}" if missing else None
    from infogan_sdk.datasets.parquet import pyarrow  # pyarrow only for Parquet

    pyarrow()
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(target).metadata or {}
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        return f"not a readable Parquet file: {error}"
    return None if b"infogan" in meta else "its schema has no infogan metadata"


def _starts(path: Path, head: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(head)) == head
    except OSError:
        return False


def check_space(generator: Generator, data: DatasetPlan, target: Path, kind: str, compress: bool) -> None:
    """Raise OutputError when the file system under `target` has less room than writing the data set needs."""
    n = len(data.indices)
    if n == 0:
        return
    folder = _existing(target.parent)
    free = shutil.disk_usage(folder).free
    stats = os.statvfs(folder) if hasattr(os, "statvfs") else None
    block = (stats.f_frsize or stats.f_bsize) if stats is not None else 4096
    need = _bytes(generator, data, kind, compress, block, sample=False)
    if need > free and (kind != "npz" or compress):  # the bound from raw sizes does not fit: measure
        need = _bytes(generator, data, kind, compress, block, sample=True)
    if need > free:
        raise OutputError(f"{target} needs about {_size(need)} of disk while it is written ({n:,} images), but "
                          f"{folder} has {_size(free)} free: write fewer images (count, per_digit, shard), write "
                          "elsewhere, or pass check_disk=False (--ignore-disk-check) to start anyway")
    if kind == "folder" and stats is not None and stats.f_files and n + 1 > stats.f_favail:
        raise OutputError(f"{target} needs {n + 1:,} files, but the file system of {folder} has room for "
                          f"{stats.f_favail:,} more (free inodes): write fewer images, or a .npz or .parquet file, "
                          "or pass check_disk=False (--ignore-disk-check) to start anyway")


def _bytes(generator: Generator, data: DatasetPlan, kind: str, compress: bool, block: int, sample: bool) -> int:
    """The disk a data set needs at its peak: an upper bound from raw sizes, or with `sample` an estimate from one
    block of its images as they are written."""
    n = len(data.indices)
    raw = sum(np.dtype(dtype).itemsize * math.prod(shape) for dtype, shape in layout(generator.spec, 1).values())
    pixels = math.prod(generator.spec.image_shape[1:])
    if kind == "npz":  # the .npy parts, then the archive beside them
        ratio = 1.0 if not compress else 1.01 if not sample else _measure(generator, data, "deflate") / raw
        return math.ceil(n * raw * (1 + ratio)) + SLACK
    if kind == "parquet":
        per_row = 2 * raw if not sample else _measure(generator, data, "parquet")
        return math.ceil(n * per_row * 1.05) + SLACK
    png = pixels + 1024 if not sample else _measure(generator, data, "png")  # PNG: raw pixels plus headers at most
    return n * (-(-math.ceil(png) // block) * block + ROW_BYTES) + SLACK


def _measure(generator: Generator, data: DatasetPlan, how: str) -> float:
    """Bytes per image of the shard's first block: deflated arrays, Parquet rows or PNG files."""
    chunk = generate_block(generator, data, data.blocks.start)
    columns, rows = chunk.columns(), len(chunk.index)
    if how == "deflate":
        return sum(len(zlib.compress(np.ascontiguousarray(v).tobytes())) for v in columns.values()) / rows
    if how == "png":
        sizes = []
        for image in chunk.result.images:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG")
            sizes.append(buffer.tell())
        return max(sizes)
    from infogan_sdk.datasets.parquet import pyarrow, to_table

    pyarrow()
    import pyarrow.parquet as pq

    table, sizes = to_table(columns, metadata(generator, data)), []
    for part in (table, table.slice(0, 0)):  # the rows' bytes: the whole, less the file's own
        buffer = io.BytesIO()
        pq.write_table(part, buffer)
        sizes.append(buffer.tell())
    return (sizes[0] - sizes[1]) / rows


def _existing(folder: Path) -> Path:
    """`folder` or its nearest existing ancestor (where the output's file system is)."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _size(count: int) -> str:
    """Bytes as disks are sold and `df -H` shows them: 1.2 TB (powers of 1000)."""
    units = ("bytes", "kB", "MB", "GB", "TB", "PB")
    power = min((len(str(count)) - 1) // 3, len(units) - 1)
    return f"{count:,} bytes" if power == 0 else f"{count / 1000 ** power:,.1f} {units[power]}"
