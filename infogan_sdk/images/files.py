"""Finding image files: folders, globs and path lists expanded lazily, and standard input told apart (one image's
bytes, or paths one per line). `Encoder.infer_files` reads what they yield chunk by chunk."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO, TypeAlias

from infogan_sdk.errors import InvalidInputError, shown

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm")
FileInput: TypeAlias = str | os.PathLike[str] | tuple[str, bytes]  # a path, or (name, encoded image bytes)
SNIFF = 512  # bytes of standard input looked at to tell an image from a list of paths


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
