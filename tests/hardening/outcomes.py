"""The one rule every hardening test checks: bad input ends in a valid result or an InfoGANError subclass with a
helpful message, within a time limit; never another exception type, a crash or a hang."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from infogan_sdk import InfoGANError

from .report import Tally

T = TypeVar("T")
MAX_SECONDS = 10.0  # per call; the slowest valid input (a 4096x4096 image) takes about 1.5 s on a shared CPU
MAX_MESSAGE = 2000  # characters: a message names the problem, it does not dump the input


def attempt(tally: Tally, category: str, call: Callable[[], T],
            allowed: tuple[type[InfoGANError], ...] = (InfoGANError,)) -> T | None:
    """Run `call`; count its outcome under `category`. Returns the result, or None if it raised an allowed error.

    Any other exception is counted as "CRASH" and re-raised (so hypothesis shrinks it); an InfoGANError of a
    class not in `allowed`, an empty, huge or unprintable message, or a slow call fails the test.
    """
    started = time.perf_counter()
    try:
        result = call()
    except InfoGANError as error:
        tally.count(category, type(error).__name__)
        check_message(error, allowed)
        return None
    except Exception:
        tally.count(category, "CRASH")
        raise
    finally:
        elapsed = time.perf_counter() - started
        assert elapsed < MAX_SECONDS, f"{category}: one call took {elapsed:.1f} s"
    tally.count(category, "valid")
    return result


def check_message(error: InfoGANError, allowed: tuple[type[InfoGANError], ...]) -> None:
    message = str(error)
    expected = [cls.__name__ for cls in allowed]
    assert isinstance(error, allowed), f"expected {expected}, got {type(error).__name__}: {message}"
    assert message.strip(), f"{type(error).__name__} with an empty message"
    assert len(message) <= MAX_MESSAGE, f"message of {len(message)} characters: {message[:200]}..."
    message.encode("utf-8")  # printable: no lone surrogates from the input


def classify(call: Callable[[], Any]) -> str:
    """"valid" or the InfoGANError class name; other exceptions propagate."""
    try:
        call()
    except InfoGANError as error:
        return type(error).__name__
    return "valid"
