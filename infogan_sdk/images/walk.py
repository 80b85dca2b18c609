"""Folders and globs -> the file paths they name, lazily: each file once, by device and inode (a symlink or hard
link to a file found before is skipped), and recursion enters real subfolders only, never a symlink to a folder
(as find and bash's globstar do), so no symlink loop can make it run away. A folder that cannot be listed is
yielded as Unlisted, for the reader to report and go on.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TypeAlias

from infogan_sdk.errors import InvalidInputError, shown

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm")
Seen: TypeAlias = set[tuple[int, int]]  # (st_dev, st_ino) of the folders and files given so far


@dataclass(frozen=True)
class Unlisted:
    """A folder met while expanding that could not be listed: `error` says why and names it."""

    path: str
    error: str


def find(inputs: Iterable[str | os.PathLike[str]], recursive: bool = False) -> Iterator[str | Unlisted]:
    """Paths, folders (their image files by IMAGE_SUFFIXES, sorted; subfolders with `recursive`) and globs
    (`**` with `recursive`) -> file paths, lazily, and Unlisted for a folder that cannot be listed. Each input's
    files come once each; a glob's matches are read as if named themselves, and a glob matching nothing is kept
    as a path (as the shell does), so reading it fails naming it."""
    for item in inputs:
        if not isinstance(item, (str, os.PathLike)):
            raise InvalidInputError(f"expected file, folder or glob paths (str or os.PathLike), got {shown(item)}")
        text, seen = os.fspath(item), Seen()
        if os.path.isdir(text):
            yield from _folder(text, recursive, seen)
        elif any(char in text for char in "*?[") and not os.path.lexists(text):
            matches = (found for match in _match(*_split(text), recursive) for found in (  # each as if named itself
                [match] if isinstance(match, Unlisted) else
                _folder(match, recursive, seen) if os.path.isdir(match) else _file(match, seen)))
            first = next(matches, None)
            yield from [text] if first is None else chain([first], matches)
        else:
            yield text


def _folder(folder: str, recursive: bool, seen: Seen) -> Iterator[str | Unlisted]:
    """A folder's image files in name order (hidden ones skipped), then its real subfolders' with `recursive`,
    depth first (a stack, not recursion: a deep tree is no RecursionError)."""
    pending = [folder]
    while pending:
        entries = _listing(pending.pop(), seen)
        if isinstance(entries, Unlisted):
            yield entries
            continue
        subfolders = {entry.name: entry.path for entry in entries if _real_folder(entry)}
        for entry in entries:
            if entry.name not in subfolders and entry.name.lower().endswith(IMAGE_SUFFIXES):
                yield from _file(entry.path, seen)
        pending.extend(reversed(subfolders.values()) if recursive else [])


def _file(path: str, seen: Seen) -> Iterator[str]:
    """`path` unless it is a folder or a file given before; one that cannot be looked at is given, for its reader
    to name the problem."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        yield path
        return
    if stat.S_ISDIR(status.st_mode):  # a symlink to a folder: walks never enter one
        return
    if _new(status, seen):
        yield path
    else:
        logger.info("%s: skipped, the same file as one found before", shown(path))


def _split(pattern: str) -> tuple[str, list[str]]:
    """A glob -> its literal head as written ("" or ending in a separator) and the components after it."""
    separators = [sep for sep in (os.sep, os.altsep) if sep]
    magic = min(pattern.find(char) for char in "*?[" if char in pattern)
    cut = max(pattern.rfind(sep, 0, magic) for sep in separators) + 1
    rest = pattern[cut:].replace(separators[-1], os.sep)
    return pattern[:cut], [part for part in rest.split(os.sep) if part]


def _match(base: str, parts: list[str], recursive: bool) -> Iterator[str | Unlisted]:
    """The paths below `base` that the glob's components `parts` match, lazily, in name order at each level;
    `**` (with recursive) is zero or more real subfolders."""
    if not parts:
        yield from [base or os.curdir] if os.path.lexists(base or os.curdir) else []
        return
    part, rest = parts[0], parts[1:]
    candidates: Iterable[str | Unlisted]
    if recursive and part == "**":
        candidates = _folders(base, set())
    elif any(char in part for char in "*?["):
        try:
            names = sorted(os.listdir(base or os.curdir))
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as error:
            yield _unlisted(base, error)
            return
        candidates = (os.path.join(base, name) for name in names  # hidden names only for a pattern saying so
                      if fnmatch.fnmatch(name, part) and (part.startswith(".") or not name.startswith(".")))
    else:
        candidates = [os.path.join(base, part)]
    for candidate in candidates:
        yield from [candidate] if isinstance(candidate, Unlisted) else _match(candidate, rest, recursive)


def _folders(base: str, seen: Seen) -> Iterator[str | Unlisted]:
    """`base` and the real subfolders below it, hidden ones skipped, depth first in name order, each once."""
    pending = [base]
    while pending:
        entries = _listing(folder := pending.pop(), seen)
        if isinstance(entries, Unlisted):
            yield entries
            continue
        yield folder
        pending.extend(reversed([os.path.join(folder, entry.name) for entry in entries if _real_folder(entry)]))


def _listing(folder: str, seen: Seen) -> list[os.DirEntry[str]] | Unlisted:
    """A folder's entries in name order, hidden ones left out (none if it was listed before: a bind mount loop)."""
    try:
        if not _new(os.stat(folder or os.curdir), seen):
            return []
        with os.scandir(folder or os.curdir) as listing:
            return sorted((entry for entry in listing if not entry.name.startswith(".")), key=lambda e: e.name)
    except OSError as error:
        return _unlisted(folder, error)


def _new(status: os.stat_result, seen: Seen) -> bool:
    """True the first time a file or folder is seen (by device and inode; always when the system gives none)."""
    key = (status.st_dev, status.st_ino)
    if status.st_ino and key in seen:
        return False
    seen.add(key)
    return True


def _real_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:  # it vanished, or cannot be looked at: not a folder to enter
        return False


def _unlisted(folder: str, error: OSError) -> Unlisted:
    return Unlisted(folder or os.curdir, f"{shown(folder or os.curdir)}: cannot list the folder: "
                                         f"{error.strerror or error}")
