"""Decoded image folders kept as .npy files, so a folder is decoded once and then memory-mapped.

An entry is a folder `<cache>/<key>/` (train.npy, test.npy, their labels, meta.json), written whole under a
temporary name and renamed into place (`infogan_sdk.atomic`); processes building the same entry (torchrun ranks)
take turns on a lock file, so one decodes and the others read its result. The key is a sha256 of the source
folder's path, each file's name, size and modification time, and the options: a changed file is a new entry (old
entries stay until the cache folder is cleared). Nothing is written inside the data folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from infogan_sdk.atomic import atomic_output

FORMAT = 1  # part of every key: a new layout of the entries never reads an old one
META = "meta.json"


def default_cache_dir() -> Path:
    """``$INFOGAN_DATA_CACHE``, else ``$XDG_CACHE_HOME/infogan-sdk/imagedata`` (default ``~/.cache``); not created."""
    env = os.environ.get("INFOGAN_DATA_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "infogan-sdk" / "imagedata"


def cache_key(folder: Path, files: list[str], options: dict[str, Any]) -> str:
    """sha256 hex of the folder, each file's relative name, size and mtime, and the options."""
    digest = hashlib.sha256(json.dumps([FORMAT, str(folder.resolve()), options], sort_keys=True).encode())
    for path in files:
        status = os.stat(path)
        digest.update(f"{os.path.relpath(path, folder)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode(
            "utf-8", "surrogateescape"))
    return digest.hexdigest()


def cached(cache_dir: Path, key: str, build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """(the entry's folder, its meta): read if complete, else made by `build(work folder) -> meta` first."""
    entry = cache_dir / key
    if (entry / META).is_file():
        return entry, json.loads((entry / META).read_text())
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f".{key}.lock"):
        if not (entry / META).is_file():  # another process may have built it while this one waited
            with atomic_output(entry, folder=True, overwrite=True) as work:
                meta = build(work)
                (work / META).write_text(json.dumps(meta))
    return entry, json.loads((entry / META).read_text())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created) while the block runs; no lock where fcntl is missing (Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
