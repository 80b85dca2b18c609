"""The progress bar of the bulk subcommands: tqdm on stderr when installed and stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress_bar(total: int | None, quiet: bool, unit: str) -> Iterator[Callable[[int], None]]:
    """A callback advancing a tqdm bar on stderr; a no-op with `quiet`, off a terminal, or without tqdm."""
    bar: Any = None
    if not quiet and sys.stderr.isatty():
        try:
            from tqdm import tqdm  # optional: not a dependency of the SDK
        except ImportError:
            pass
        else:
            bar = tqdm(total=total, unit=unit, unit_scale=True, file=sys.stderr, dynamic_ncols=True)
    try:
        yield (lambda n: None) if bar is None else bar.update
    finally:
        if bar is not None:
            bar.close()
