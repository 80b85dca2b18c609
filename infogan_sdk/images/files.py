"""Finding image files: folders, globs and path lists expanded lazily (`walk`), standard input told apart (one
image's bytes, or paths one per line), and a file opened only when it is a regular one. `Encoder.infer_files`
reads what they yield chunk by chunk. A name that is not UTF-8 is a str with surrogate escapes, as os.fsdecode
gives it (b"bad\\xff.png" -> "bad\\udcff.png"); os.fsencode gives the bytes back.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import BinaryIO, TypeAlias

from infogan_sdk.errors import InvalidInputError
from infogan_sdk.images.walk import Unlisted, find

FileInput: TypeAlias = str | os.PathLike[str] | tuple[str, bytes]  # a path, or (name, encoded image bytes)
SNIFF = 512  # bytes of standard input looked at to tell an image from a list of paths


def expand(inputs: Iterable[str | os.PathLike[str]], recursive: bool = False) -> Iterator[str]:
    """Paths, folders and globs -> file paths, lazily, as `walk.find` gives them (folders: their image files,
    sorted, subfolders too with `recursive`; globs: `**` with `recursive`; each file once). Raises
    InvalidInputError naming a folder that cannot be listed."""
    for found in find(inputs, recursive):
        if isinstance(found, Unlisted):
            raise InvalidInputError(found.error)
        yield found


def open_regular(path: str | os.PathLike[str], where: str) -> BinaryIO:
    """`path` opened for reading if it is a regular file; else InvalidInputError naming `where`. A FIFO, device
    or socket is refused without being opened (opening a FIFO waits for a writer, forever)."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in: no wait
    try:
        mode = os.stat(path).st_mode
        descriptor = os.open(path, flags) if stat.S_ISREG(mode) else -1
    except FileNotFoundError as error:
        raise InvalidInputError(f"{where}: {'broken symbolic link' if os.path.islink(path) else 'no such file'}") \
            from error
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name
        raise InvalidInputError(f"{where}: cannot open it: {getattr(error, 'strerror', None) or error}") from error
    if descriptor < 0:
        raise InvalidInputError(f"{where}: not a regular file ({_kind(mode)}): refused without opening it")
    try:
        if not stat.S_ISREG(mode := os.fstat(descriptor).st_mode):
            raise InvalidInputError(f"{where}: not a regular file ({_kind(mode)}): refused")
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_stdin(stream: BinaryIO) -> Iterator[FileInput]:
    """Standard input -> one image ("-", its bytes) if it holds a NUL byte in its first SNIFF bytes (every
    binary image header does, no text path can), else its lines as paths (any bytes: os.fsdecode; blank lines
    skipped)."""
    head = stream.read(SNIFF)
    if b"\0" in head:
        yield ("-", head + stream.read())
        return
    pending = b""
    for piece in chain([head], iter(lambda: stream.read(1 << 16), b"")):
        *lines, pending = (pending + piece).split(b"\n")
        yield from (os.fsdecode(line.rstrip(b"\r")) for line in lines if line.strip())
    if pending.strip():
        yield os.fsdecode(pending.rstrip(b"\r"))


def _kind(mode: int) -> str:
    kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a character device",
             stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}
    return next((name for test, name in kinds.items() if test(mode)), "not a file")
