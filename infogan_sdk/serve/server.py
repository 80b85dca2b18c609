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

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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
        drain = getattr(getattr(self.config.app, "state", None), "grpc_drain", None)
        if drain is not None:  # gRPC stops taking calls too, and finishes those in flight
            self.draining = asyncio.ensure_future(drain())
        await super().shutdown(sockets)


class _Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp: faster than h11 by about 0.2 ms a request here) with what it lacks:
    a bound on a request's headers (MAX_HEADER_BYTES, 431) and, for a request it cannot parse, the service's JSON
    error shape (uvicorn's is plain text). The bound counts what arrives while a request's headers are
    incomplete; with pipelined requests that can include the tail of the previous body in the same read."""

    refused = False
    in_headers = False  # between a request's first byte and the end of its headers
    header_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self.refused:  # what arrives after a refusal is read and dropped
            return
        super().data_received(data)
        if self.in_headers and not self.refused:
            self.header_bytes += len(data)
            if self.header_bytes > MAX_HEADER_BYTES:
                self._refuse(431, f"the request headers are too large ({MAX_HEADER_BYTES // 1024} KiB in all at "
                                  "most)")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_headers, self.header_bytes = True, 0

    def on_headers_complete(self) -> None:
        self.in_headers = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        problem = sys.exc_info()[1]  # uvicorn calls this from its `except httptools.HttpParserError:`
        self._refuse(400, f"the request is not valid HTTP/1.1 ({problem or msg})")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer `status` in the JSON error shape and close. Closing with the client's bytes unread would reset
        the connection, and the reset can destroy the answer before the client reads it: end our side, drop what
        still arrives, close after LINGER_SECONDS."""
        body = json.dumps({"error": NAMES.get(status, "bad_request"), "detail": detail}).encode()
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n" \
               f"content-length: {len(body)}\r\nconnection: close\r\nx-content-type-options: nosniff\r\n\r\n"
        self.refused = True
        self.transport.write(head.encode("latin-1") + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


@contextlib.contextmanager
def _returning_on_stop_signals() -> Iterator[None]:
    """After its graceful shutdown uvicorn re-raises the stop signal to the handler it found. With the default
    handlers that kills the process (exit -15) or raises KeyboardInterrupt; a handler that only notes the signal
    lets `run` return, so `infogan serve` exits 0 after a clean stop. SIGHUP (a closed terminal), which uvicorn
    does not handle, stops it the same way, unless ignored (nohup). Restored afterwards."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    hangup = [number for number in (getattr(signal, "SIGHUP", None),) if number is not None
              and signal.getsignal(number) is not signal.SIG_IGN]
    previous = {number: signal.getsignal(number) for number in (*STOP_SIGNALS, *hangup)}
    for number in STOP_SIGNALS:
        signal.signal(number, lambda received, frame: None)
    for number in hangup:
        signal.signal(number, lambda received, frame: signal.raise_signal(signal.SIGTERM))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
