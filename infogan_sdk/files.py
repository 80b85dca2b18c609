"""Reading many image files: folders, globs and path lists expanded lazily, read and inferred chunk by chunk.

Memory stays bounded by the chunk: only `chunk_size` decoded images are held at a time. With
`skip_errors`, a file that cannot be read is recorded with its error and the rest go on.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

import numpy as np

from infogan_sdk.errors import InvalidInputError, shown
from infogan_sdk.reading import read_image
from infogan_sdk.results import InferResult

if TYPE_CHECKING:
    from infogan_sdk.encoder import Encoder

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm")
FileInput: TypeAlias = str | os.PathLike[str] | tuple[str, bytes]  # a path, or (name, encoded image bytes)
SNIFF = 512  # bytes of standard input looked at to tell an image from a list of paths


@dataclass(frozen=True, eq=False)
class FileBatch:
    """One chunk of files: every file in input order, each one's error (None when read), and the results.

    result: one row per file whose error is None, in the same order; None when no file of the chunk was read.
    """

    files: tuple[str, ...]
    errors: tuple[str | None, ...]
    result: InferResult | None


def expand(inputs: Iterable[str | os.PathLike[str]], recursive: bool = False) -> Iterator[str]:
    """Paths, folders (their image files by IMAGE_SUFFIXES, sorted; subfolders with `recursive`) and globs
    (`**` with `recursive`) -> file paths, lazily. A glob matching nothing is kept as a path (as the shell
    does), so reading it fails naming it."""
    for item in inputs:
        if not isinstance(item, (str, os.PathLike)):
            raise InvalidInputError(f"expected file, folder or glob paths (str or os.PathLike), got {shown(item)}")
        text = os.fspath(item)
        if os.path.isdir(text):
            yield from _folder(Path(text), recursive)
        elif any(char in text for char in "*?[") and not os.path.exists(text):
            matches = sorted(glob.glob(text, recursive=recursive))
            yield from (expand(matches, recursive) if matches else [text])
        else:
            yield text


def read_stdin(stream: BinaryIO) -> Iterator[FileInput]:
    """Standard input -> one image ("-", its bytes) if it holds a NUL byte in its first SNIFF bytes (every
    binary image header does, no text path can), else its lines as paths (UTF-8, blank lines skipped)."""
    head = stream.read(SNIFF)
    if b"\0" in head:
        yield ("-", head + stream.read())
        return
    pending = b""
    for piece in chain([head], iter(lambda: stream.read(1 << 16), b"")):
        *lines, pending = (pending + piece).split(b"\n")
        yield from (line.decode().rstrip("\r") for line in lines if line.strip())
    if pending.strip():
        yield pending.decode().rstrip("\r")


def infer_files(encoder: Encoder, inputs: Iterable[FileInput], *, chunk_size: int = 256, skip_errors: bool = False,
                preprocess: str = "auto") -> Iterator[FileBatch]:
    """Read and infer `inputs` (paths, or (name, bytes) pairs), `chunk_size` files at a time, in order.

    Raises InvalidInputError naming the first unreadable file, unless `skip_errors`: then its error is
    recorded in the batch and reading goes on.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be a positive integer, got {shown(chunk_size)}")
    size = encoder.spec.image_shape[1:]
    items, ordinal = iter(inputs), 0
    while chunk := list(islice(items, chunk_size)):
        names: list[str] = []
        errors: list[str | None] = []
        pixels = []
        for item in chunk:
            name, source = (item if isinstance(item, tuple) else (os.fspath(item), item))
            names.append(name)
            try:
                pixels.append(read_image(source, size, preprocess, f"input {ordinal}"))
                errors.append(None)
            except InvalidInputError as error:
                if not skip_errors:
                    raise
                errors.append(str(error))
            ordinal += 1
        result = encoder.infer(np.concatenate(pixels), preprocess="none") if pixels else None
        yield FileBatch(tuple(names), tuple(errors), result)


def _folder(folder: Path, recursive: bool) -> Iterator[str]:
    """A folder's image files in name order (hidden ones skipped), then its subfolders' with `recursive`."""
    entries = sorted((entry for entry in os.scandir(folder) if not entry.name.startswith(".")),
                     key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_file() and entry.name.lower().endswith(IMAGE_SUFFIXES):
            yield entry.path
    if recursive:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _folder(Path(entry.path), recursive)
