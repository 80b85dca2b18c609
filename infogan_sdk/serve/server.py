"""Running the service with uvicorn: bind, serve until SIGTERM or SIGINT, then finish in-flight requests and exit."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator

import uvicorn

from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig

GRACEFUL_SECONDS = 5  # after SIGTERM, how long in-flight requests may take before connections are closed
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run(config: ServeConfig, log_level: str = "info", on_ready: Callable[[list[str]], None] | None = None) -> None:
    """Serve until SIGTERM / SIGINT, then return. Raises the SDK's error if a model cannot be loaded, OSError if
    the address cannot be bound. `on_ready` is called with the models' names once they are loaded and warm."""
    app = create_app(config, on_ready)
    server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, log_level=log_level,
                                           timeout_graceful_shutdown=GRACEFUL_SECONDS, access_log=False,
                                           server_header=False))
    try:
        with _returning_on_stop_signals():
            server.run()  # uvicorn handles the signals: stops accepting, drains, runs the lifespan's shutdown
    except SystemExit as stop:  # uvicorn exits when start-up fails; a library must raise instead
        error = app.state.startup_error
        if isinstance(error, Exception):
            raise error from None
        raise OSError(f"could not serve on {config.host}:{config.port} (uvicorn exit code {stop.code}; see the log "
                      "above)") from None
    logging.getLogger(__name__).info("stopped")


@contextlib.contextmanager
def _returning_on_stop_signals() -> Iterator[None]:
    """After its graceful shutdown uvicorn re-raises the stop signal to the handler it found. With the default
    handlers that kills the process (exit -15) or raises KeyboardInterrupt; a handler that only notes the signal
    lets `run` return, so `infogan serve` exits 0 after a clean stop. Restored afterwards."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        signal.signal(number, lambda received, frame: None)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
