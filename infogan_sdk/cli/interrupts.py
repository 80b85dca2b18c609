"""Stopping a command: SIGTERM (`timeout`, `docker stop`, systemd) and SIGHUP (a closed terminal) end it the way
Ctrl-C does, with KeyboardInterrupt, so every `finally` and atomic write cleans up as it unwinds. The command then
prints one line on stderr and returns 128 + the signal's number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), as a shell
reports a command a signal ended.

The handlers live only while a decorated `main` runs (restored after), only in the main thread, and never replace
an ignored signal (`nohup` asks to survive a hangup). Every command line uses it: `infogan`, `python -m train`,
`python -m export`.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import ParamSpec

P = ParamSpec("P")
# SIGHUP does not exist on Windows
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """KeyboardInterrupt raised by a stop signal other than SIGINT; `number` is the signal's."""

    def __init__(self, number: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(number).name}")
        self.number = number


def interruptible(prog: str) -> Callable[[Callable[P, int]], Callable[P, int]]:
    """Decorate a command's `main(...) -> int`: a stop signal or Ctrl-C while it runs becomes one line on stderr
    ("PROG: interrupted by SIGTERM") and the exit code 128 + the signal's number, not a traceback."""

    def decorate(main: Callable[P, int]) -> Callable[P, int]:
        @functools.wraps(main)
        def run(*args: P.args, **kwargs: P.kwargs) -> int:
            try:
                with stop_signals_interrupt():
                    return main(*args, **kwargs)
            except KeyboardInterrupt as stop:
                number = stop.number if isinstance(stop, Interrupted) else signal.SIGINT
                print(f"{prog}: interrupted by {signal.Signals(number).name}", file=sys.stderr, flush=True)
                return 128 + number

        return run

    return decorate


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Interrupted` in the main thread while the block runs; the handlers before are
    restored after. A second stop signal while the first unwinds is ignored, so the clean-up runs to its end;
    forked children (inheriting the handler) end of the signal as they would without it, with no traceback."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    mine = [number for number, handler in previous.items() if handler is not signal.SIG_IGN]
    owner = os.getpid()

    def interrupt(number: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a forked worker (a process pool's): it ends of the signal, as without a handler
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        for each in mine:
            signal.signal(each, signal.SIG_IGN)
        raise Interrupted(number)

    for number in mine:
        signal.signal(number, interrupt)
    try:
        yield
    finally:
        for number in mine:  # None: a handler set outside Python, which Python cannot put back
            signal.signal(number, signal.SIG_DFL if previous[number] is None else previous[number])
