"""The checks every request passes before any handler runs, as one ASGI middleware, cheapest first:
header size (431), Host (421), bearer token (401), content type (415), declared body size (413, per endpoint),
the whole body within its deadline (408; its real size counted as it arrives, so a chunked upload cannot exceed
the limit either; 503 once a shutdown's grace is over), and only then a slot among the requests in flight (503).
A slot is charged for work, never for a connection: clients that open requests and send their bodies slowly (or
never) hold no slot, and each is cut off at the body deadline. A refused request's body is read out before the
answer, so that the client can read the answer (closing on unread bytes resets the connection)."""

from __future__ import annotations

import asyncio
import hmac
import re
import threading
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infogan_sdk.errors import shown
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError, answer, shutting_down

API_PREFIXES = ("/v1/", "/v2/")  # this API and the Open Inference Protocol's: token, body deadline, in-flight limit
PROBES = ("/v2/health/",)  # liveness and readiness probes: open, like /healthz and /readyz
MAX_HEADER_BYTES = 16 * 1024  # all request headers together (431 beyond): h11's limit, also when they arrive at once
DRAIN_BYTES = 64 * 1024 * 1024  # at most this much of a refused body is read out before the connection closes
STOP_CHECK_SECONDS = 0.25  # how often a body still arriving looks whether the server is stopping
CONTENT_TYPES = {"/v1/generate": ("application/json",), "/v1/traverse": ("application/json",),
                 "/v1/edit": ("application/json",),
                 "/v1/infer": ("application/json", "multipart/form-data", "application/octet-stream")}


class Guards:
    """ASGI middleware enforcing the token, the content types, the body limit and the concurrency limit."""

    def __init__(self, app: ASGIApp, config: ServeConfig, stopping: threading.Event) -> None:
        self.app = app
        self.config = config
        self.stopping = stopping  # set when the server's shutdown grace is over: bodies still arriving get 503
        self.in_flight = 0  # /v1/ requests being handled; the event loop is one thread, so no lock is needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send, str(scope["path"]))
        refusal = self._refusal(scope)
        if refusal is not None:
            await self._refuse(refusal, scope, receive, send)
            return
        path = str(scope["path"])
        if not guarded(path):
            await self.app(scope, self._limited(receive, self.config.max_body_bytes), send)
            return
        try:
            body = await self._body(receive, self.config.body_limit(path))
        except ApiError as refused:
            await self._refuse(refused, scope, receive, send)
            return
        if self.in_flight >= self.config.max_concurrent:  # shed load now rather than queue without bound
            await answer(path, 503, "busy", f"the server is handling {self.in_flight} requests, its limit "
                                 "(--max-concurrent); retry shortly", {"Retry-After": "1"})(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, _replaying(body, receive), send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, refusal: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        """Read out (and drop) what the client still sends of its body, up to DRAIN_BYTES within --body-seconds,
        then answer the refusal and close. A server that closes with bytes unread resets the connection, and the
        reset destroys the answer before the client reads it (a 413 looked like a network failure); uvicorn
        closes as soon as the answer is sent, so the reading out comes first."""
        # not after a 400 or 408 (the client is gone, or stalls), nor once the body's last part has arrived
        if refusal.status_code not in (400, 408) and refusal.body_left:
            drained, deadline = 0, time.monotonic() + self.config.body_seconds
            while drained <= DRAIN_BYTES:
                try:
                    message = await asyncio.wait_for(receive(), timeout=max(deadline - time.monotonic(), 0.0))
                except TimeoutError:
                    break
                drained += len(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
        await answer(str(scope["path"]), refusal.status_code, refusal.error, str(refusal.detail),
                             {"Connection": "close", **dict(refusal.headers or {})})(scope, receive, send)

    async def _body(self, receive: Receive, limit: int) -> bytes:
        """The whole request body, read before any slot is taken: 413 past `limit`, 408 past the deadline."""
        limited, parts = self._limited(receive, limit), []
        deadline = time.monotonic() + self.config.body_seconds
        while True:
            left = deadline - time.monotonic()
            try:  # in slices, to see a shutdown while a slow body trickles in
                message = await asyncio.wait_for(limited(), timeout=min(max(left, 0.0), STOP_CHECK_SECONDS))
            except TimeoutError:
                if self.stopping.is_set():
                    raise shutting_down() from None
                if time.monotonic() < deadline:
                    continue
                # and the connection goes with it: a client that stalls once does not keep a socket open
                raise ApiError(408, f"the request body did not arrive within {self.config.body_seconds:g} s "
                               "(--body-seconds)", headers={"Connection": "close"}) from None
            if message["type"] == "http.disconnect":
                raise ApiError(400, "the client disconnected before sending the whole body")
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(parts)

    def _refusal(self, scope: Scope) -> ApiError | None:
        headers, path = Headers(scope=scope), str(scope["path"])
        if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            return ApiError(431, f"the request headers are too large ({MAX_HEADER_BYTES // 1024} KiB in all at most)")
        allowed = self.config.hosts
        if allowed is not None and _host_name(headers.get("host", "")) not in allowed:
            return ApiError(421, f"this server answers requests for {', '.join(sorted(allowed))} (--allow-host adds "
                            f"names), got Host {shown(headers.get('host', ''))}")
        token = self.config.token
        if token is not None and guarded(path):
            if not token_matches(headers.get("authorization", ""), token):
                return ApiError(401, "this server needs 'Authorization: Bearer <token>' (--token or INFOGAN_TOKEN)",
                                headers={"WWW-Authenticate": "Bearer"})
        types = CONTENT_TYPES.get(path)
        if scope["method"] == "POST" and types is not None:
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if kind not in types:
                got = shown(kind) if kind else "no content type"
                return ApiError(415, f"{path} takes {' or '.join(types)}, got {got}")
        length, limit = headers.get("content-length"), self.config.body_limit(path)
        if length is not None and not (length.isascii() and length.isdigit()):  # "²".isdigit() is true
            return ApiError(400, f"Content-Length must be a number of bytes, got {shown(length)}")
        if length is not None and (len(length) > 18 or int(length) > limit):  # int() refuses 4301 digits
            return ApiError(413, f"the request body ({shown(length)} bytes) is over {path}'s limit of {limit} "
                            f"bytes ({self.config.body_flag(path)})")
        return None

    def _limited(self, receive: Receive, limit: int) -> Receive:
        """`receive`, counting body bytes; past `limit` it raises a 413 (the handlers answer it as JSON)."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refusal = ApiError(413, f"the request body is over the limit of {limit} bytes (--max-body-bytes,"
                                       " --max-codes-bytes for generate, traverse and /v2's generators)")
                    refusal.body_left = bool(message.get("more_body", False))  # for `_refuse`: anything to read out
                    raise refusal
            return message
        return limited


def guarded(path: str) -> bool:
    """Whether requests to `path` pass the token, the body deadline and the in-flight limit."""
    return path.startswith(API_PREFIXES) and not path.startswith(PROBES)


def token_matches(authorization: str, token: str) -> bool:
    """Whether an Authorization value is 'Bearer <token>': the scheme case-insensitive (RFC 9110), the token
    compared in constant time."""
    scheme, _, given = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


# no framing (clickjacking), no plugins, no <base> or form hijack; scripts are the page's own files already (an
# audit found no injection), and a script-src would also refuse the browser tests' evaluation
PAGE_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"


def _with_security_headers(send: Send, path: str) -> Send:
    """`send`, adding nosniff to every answer and, on the playground, a content policy and no framing."""
    page = path == "/" or path.startswith("/static/")

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((b"x-content-type-options", b"nosniff"))
            if page:
                headers += [(b"content-security-policy", PAGE_POLICY.encode()), (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer")]
            message = {**message, "headers": headers}
        await send(message)
    return sending


HOST = re.compile(r"(\[[0-9a-f:.]+\]|[^:\[\]]*)(:[0-9]{1,5})?")  # a name or [IPv6], then maybe a port


def _host_name(host: str) -> str:
    """The name of a Host header, lower case, without its port ("[::1]:8000" -> "[::1]"); a malformed one
    ("[::1", "localhost:x") as it is, which names no allowed host."""
    host = host.strip().lower()
    match = HOST.fullmatch(host)
    return match.group(1) if match else host


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the handler the body already read, then passes on what the client sends next
    (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay
