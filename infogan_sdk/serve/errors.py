"""Every failure of the service as JSON `{"error": code, "detail": message}` with the right status; never a bare 500
for bad input."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from infogan_sdk.errors import InfoGANError, InvalidInputError, ModelNotFoundError

logger = logging.getLogger(__name__)

NAMES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
         408: "timeout", 413: "too_large", 415: "unsupported_media_type", 421: "wrong_host", 431: "headers_too_large",
         422: "invalid_input", 503: "unavailable"}


class ApiError(HTTPException):
    """A refusal with a status, a short machine-readable code and a message for people."""

    def __init__(self, status: int, detail: str, error: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.error = error or NAMES.get(status, "error")
        self.body_left = True  # whether the request may still have body to send (the guards read it out first)


def shutting_down(left: str = "") -> ApiError:
    """The refusal of a request cut off by the server's shutdown (after its grace period)."""
    return ApiError(503, "the server is shutting down; retry on another instance" + (f" ({left})" if left else ""),
                    "shutting_down", {"Connection": "close", "Retry-After": "1"})


def error_response(status: int, error: str, detail: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status, headers=headers)


def answer(path: str, status: int, error: str, detail: str, headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    """The refusal in the shape of the protocol `path` belongs to: the Open Inference Protocol's `{"error": message}`
    under /v2, this API's `{"error": code, "detail": message}` elsewhere."""
    if path == OIP_PREFIX or path.startswith(OIP_PREFIX + "/"):
        return JSONResponse({"error": detail}, status_code=status, headers=headers)
    return error_response(status, error, detail, headers, **extra)


OIP_PREFIX = "/v2"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the JSON error shape."""
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InfoGANError, _sdk)
    app.add_exception_handler(Exception, _unexpected)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    error = exc.error if isinstance(exc, ApiError) else NAMES.get(exc.status_code, "error")
    return answer(request.url.path, exc.status_code, error, str(exc.detail), dict(exc.headers or {}))


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    """Malformed JSON is a 400; JSON of the wrong shape or types is a 422 naming each field (never echoing input)."""
    assert isinstance(exc, RequestValidationError)
    problems = [{"loc": [str(part) for part in problem.get("loc", ())], "msg": str(problem.get("msg", "")),
                 "type": str(problem.get("type", ""))} for problem in exc.errors()]
    if any(problem["type"] == "json_invalid" for problem in problems):
        return answer(request.url.path, 400, "bad_request", "the request body is not valid JSON")
    detail = "; ".join(f"{'.'.join(problem['loc'])}: {problem['msg']}" for problem in problems[:10])
    return answer(request.url.path, 422, "invalid_input", detail or "invalid request", problems=problems[:50])


async def _sdk(request: Request, exc: Exception) -> JSONResponse:
    """The SDK's message as the detail: bad input is 422, anything else the SDK raises is the server's fault."""
    if isinstance(exc, InvalidInputError):
        return answer(request.url.path, 422, "invalid_input", str(exc))
    if isinstance(exc, ModelNotFoundError):
        return answer(request.url.path, 404, "not_found", str(exc))
    logger.error("model failure on %s: %s", request.url.path, exc)
    return answer(request.url.path, 500, "model_error", str(exc))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s", request.url.path)  # a bug: logged with its traceback
    return answer(request.url.path, 500, "internal_error", f"{type(exc).__name__} (logged on the server)")
