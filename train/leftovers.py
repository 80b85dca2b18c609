"""The temporaries of atomic writes, named after the process that writes them, and the cleanup of dead ones.

Checkpoints and model folders are written beside their target under a temporary name and renamed into
place when complete, so a process killed mid-write leaves its temporary behind. The name holds the
writer's pid; the next write to the same target removes the temporaries of processes that no longer
run, and never those of a live one (it may be writing right now).
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)


def prefix(stem: str) -> str:
    """The name prefix of this process's temporaries for a target: `stem`, the pid, a dash."""
    return f"{stem}{os.getpid()}-"


def remove_dead(folder: Path, stem: str) -> list[Path]:
    """Delete the temporaries `stem<pid>-...` in `folder` whose process is gone; returns what was removed."""
    removed = []
    for entry in folder.glob(glob.escape(stem) + "*"):
        pid = entry.name[len(stem):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
        logger.info("removed %s, left by a killed process (pid %s)", entry, pid)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
