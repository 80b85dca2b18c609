"""Running the service with uvicorn: bind, serve until SIGTERM or SIGINT, then finish in-flight requests and exit.

Shutdown: uvicorn stops accepting and waits for the requests in flight. After GRACEFUL_SECONDS the app's
`stopping` event is set, so a request still reading images answers a JSON 503 at its next chunk and a body still
arriving is refused the same way; uvicorn itself cancels what remains STOP_MARGIN_SECONDS later (its answer to a
cancelled request would be a plain-text 500)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import NAMES
from infogan_sdk.serve.guards import MAX_HEADER_BYTES

GRACEFUL_SECONDS = 5  # after SIGTERM, how long in-flight requests may take before they are told to stop
STOP_MARGIN_SECONDS = 2  # then how long they have to answer 503 before uvicorn cancels them
LINGER_SECONDS = 1.0  # a connection refused as not HTTP stays open this long to read out what the client sends
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run(config: ServeConfig, log_level: str = "info", on_ready: Callable[[list[str]], None] | None = None) -> None:
    """Serve until SIGTERM / SIGINT, then return. Raises the SDK's error if a model cannot be loaded, OSError if
    the address cannot be bound. `on_ready` is called with the models' names once they are loaded and warm."""
    app = create_app(config, on_ready)
    server = _Server(uvicorn.Config(app, host=config.host, port=config.port, log_level=log_level, http=_Protocol,
                                    h11_max_incomplete_event_size=MAX_HEADER_BYTES,
                                    timeout_graceful_shutdown=GRACEFUL_SECONDS + STOP_MARGIN_SECONDS,
                                    access_log=False, server_header=False), app.state.stopping)
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


class _Server(uvicorn.Server):
    """uvicorn's server, telling the app to stop its requests' work GRACEFUL_SECONDS into the shutdown."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self.stopping = stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().call_later(GRACEFUL_SECONDS, self.stopping.set)
        await super().shutdown(sockets)


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol (whatever else is installed), answering a request it cannot parse in the service's
    JSON error shape: 431 for headers over MAX_HEADER_BYTES, else 400; uvicorn's own is plain text."""

    def send_400_response(self, msg: str) -> None:
        problem = sys.exc_info()[1]  # uvicorn calls this from its `except h11.RemoteProtocolError:`
        status = getattr(problem, "error_status_hint", 400)
        status = status if status in (400, 431) else 400
        detail = f"the request headers are too large ({MAX_HEADER_BYTES // 1024} KiB in all at most)" \
            if status == 431 else f"the request is not valid HTTP/1.1 ({problem or msg})"
        body = json.dumps({"error": NAMES.get(status, "bad_request"), "detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
                   (b"x-content-type-options", b"nosniff")]
        for event in (h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase.encode()),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        # Closing with the client's bytes unread would reset the connection, and the reset can destroy the answer
        # before the client reads it: end our side, drop what still arrives, close after LINGER_SECONDS.
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if not getattr(self, "refused", False):
            super().data_received(data)


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
