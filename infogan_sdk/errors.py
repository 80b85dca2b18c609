"""The SDK's exceptions: one base class, so callers can catch everything the SDK raises at once; and `shown`,
how their messages quote a value the caller passed."""

import difflib
import re
import reprlib
from collections.abc import Iterable
from typing import Any

_ADDRESS = re.compile(r"<([^<>]*?) at 0x[0-9a-fA-F]+>")  # <function f at 0x...> and the like


class _Repr(reprlib.Repr):
    """reprlib's short reprs, with an object that has no repr of its own shown as <BytesIO object>."""

    def repr_instance(self, x: Any, level: int) -> str:
        if getattr(type(x), "__repr__", None) is object.__repr__:
            return f"<{type(x).__name__} object>"
        return _ADDRESS.sub(r"<\1>", super().repr_instance(x, level))


_SHORT = _Repr()
_SHORT.maxother = _SHORT.maxstring = 80


def shown(value: object) -> str:
    """A value as an error message quotes it: its repr, cut at 80 characters (containers shortened), with no
    memory address: an object without a repr of its own reads <BytesIO object>."""
    text = _SHORT.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def did_you_mean(word: object, known: Iterable[str]) -> str:
    """" (did you mean 'rotation'?)" when `word` is a string close to one of `known` (difflib), else ""."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6) if isinstance(word, str) else []
    return f" (did you mean {close[0]!r}?)" if close else ""


class InfoGANError(Exception):
    """Base class of every error the SDK raises on purpose."""


class ModelNotFoundError(InfoGANError, FileNotFoundError):
    """A model folder, or a file it names, does not exist."""


class CorruptModelError(InfoGANError):
    """A model folder exists but its files are truncated, tampered with or unreadable."""


class IncompatibleModelError(InfoGANError):
    """A model folder is well formed but describes something this SDK cannot run."""


class InvalidInputError(InfoGANError, ValueError):
    """An argument has the wrong type, shape, dtype or value."""


class DeviceUnavailableError(InfoGANError, RuntimeError):
    """The requested device or execution provider cannot be used on this machine."""


class OutputExistsError(InfoGANError, FileExistsError):
    """An output path already exists and overwriting it was not asked for."""


class MissingDependencyError(InfoGANError, ImportError):
    """An optional integration (Parquet, Ray) was used without its package installed."""


class OutputError(InfoGANError, OSError):
    """An output cannot be written: too little free disk for it (checked before starting) or a failed write."""


class DataSetError(InfoGANError, ValueError):
    """A training data set cannot be used: a missing, empty, corrupt or inconsistent file or folder, or images and
    labels that do not fit the model; the message names the file and what was expected."""
