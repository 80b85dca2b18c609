"""Atomic outputs: a file or folder is written under a temporary name beside its target and renamed into
place only when complete, so a failed, interrupted (Ctrl-C) or killed write never leaves a half-written one.

The one fsync policy, for every output (CLI files, data sets, manifests, checkpoints, sample grids, metrics):
what is renamed into place is on disk first (each file's data is fsynced, a folder output's files too), and
the parent folder is fsynced after the rename, so even a power cut leaves the old output or the new one.

A killed writer still leaves its temporary behind. Its name, `.NAME.<pid>-<8 hex>.tmp` (`.parts` for scratch
folders, `.old` for a replaced folder), holds the writer's pid, and the next write into the same folder removes
every such temporary of a process that no longer runs, never one of a live process (it may be writing right now):
a replaced folder whose new version never arrived is put back instead. Checkpoints and exported model folders
(train/, export/) use the same helpers.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infogan_sdk.errors import OutputExistsError

logger = logging.getLogger(__name__)


def prefix(stem: str) -> str:
    """The name prefix of this process's temporaries for a target: `stem`, the pid, a dash."""
    return f"{stem}{os.getpid()}-"


TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.(?P<kind>tmp|parts|old)")  # see `prefix`


def remove_dead(folder: Path, stem: str | None = None) -> list[Path]:
    """Delete the temporaries in `folder` (only those of one target, `stem` = ".NAME.", if given) whose process is
    gone; a dead writer's `.old` folder whose target is missing goes back in place. Returns what was removed."""
    removed = []
    try:
        entries = [entry.name for entry in os.scandir(folder)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in entries:
        match = TEMPORARY.fullmatch(name)
        if match is None or (stem is not None and not name.startswith(stem)) or _alive(int(match["pid"])):
            continue
        entry, target = folder / name, folder / match["name"]
        if match["kind"] == "old" and not (target.exists() or target.is_symlink()):
            try:
                os.replace(entry, target)  # killed between its two renames: the previous output is the only one
            except FileNotFoundError:  # another process put it back first
                continue
            logger.warning("put back %s, which a killed process (pid %s) was replacing", target, match["pid"])
            continue
        _remove(entry)
        removed.append(entry)
        logger.info("removed %s, left by a killed process (pid %s)", entry, match["pid"])
    return removed


def check_new(target: Path, overwrite: bool) -> None:
    """Raise OutputExistsError if `target` exists and `overwrite` is false."""
    if not overwrite and (target.exists() or target.is_symlink()):
        raise OutputExistsError(f"{target} already exists: expected a new path (pass overwrite=True, or "
                                "--overwrite on the command line, to replace it)")


@contextmanager
def atomic_output(target: str | os.PathLike[str], folder: bool = False, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target` (an empty folder when `folder`, else a file path not yet
    created); when the block ends normally it is renamed to `target`, on any exception it is deleted.

    Raises OutputExistsError when `target` exists and not `overwrite` (checked before and after the block).
    """
    target = Path(target)
    check_new(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_dead(target.parent)
    work = target.parent / f"{prefix(f'.{target.name}.')}{secrets.token_hex(4)}.tmp"
    try:  # mkdir inside: an interrupt right after it still removes the folder
        if folder:
            work.mkdir()
        yield work
        check_new(target, overwrite)
        _sync(work)
        _replace(work, target)
    except BaseException:  # KeyboardInterrupt included: nothing half-written stays
        _remove(work)
        raise
    _sync_folder(target.parent)


@contextmanager
def scratch(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary working folder beside `target` (same file system), deleted when the block ends."""
    target = Path(target)
    work = target.parent / f"{prefix(f'.{target.name}.')}{secrets.token_hex(4)}.parts"
    try:
        work.mkdir(parents=True)
        yield work
    finally:
        _remove(work)


def _replace(work: Path, target: Path) -> None:
    """Rename `work` to `target`; an existing folder `target` is removed only after the new one is in place."""
    if work.is_dir() and target.exists():
        old = target.parent / f"{prefix(f'.{target.name}.')}{secrets.token_hex(4)}.old"
        os.replace(target, old)
        try:
            os.replace(work, target)
        except BaseException:  # interrupted between the renames: the previous output goes back
            if not (target.exists() or target.is_symlink()):
                os.replace(old, target)
            raise
        _remove(old)
        return
    if target.is_dir():
        raise OutputExistsError(f"{target} is a folder: expected a file path (or remove the folder)")
    os.replace(work, target)


def _sync(path: Path) -> None:
    """fsync a file, or everything in a folder (files' data, folders' entries) and the folder itself."""
    if path.is_dir():
        for entry in path.rglob("*"):
            if entry.is_symlink():
                continue
            if entry.is_dir():
                _sync_folder(entry)
            elif entry.is_file():
                _sync(entry)
        _sync_folder(path)
    elif path.exists():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """fsync a folder, which makes the renames in it durable (not possible on Windows: skipped there)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OverflowError:  # not a pid: not a temporary of ours, so keep it
        return True
    except PermissionError:  # exists, owned by someone else
        return True
    return True
