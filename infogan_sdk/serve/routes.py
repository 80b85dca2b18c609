"""The HTTP endpoints: health, models, generate, traverse and infer; each a thin skin over the SDK."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from numpy.typing import NDArray
from starlette.concurrency import run_in_threadpool

from infogan_sdk import GenerateResult
from infogan_sdk.latents.arguments import is_index
from infogan_sdk.serve import uploads
from infogan_sdk.serve.batching import Job
from infogan_sdk.serve.codec import json_response, png, png_base64
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError, error_response, shutting_down
from infogan_sdk.serve.registry import LoadedModel, Registry
from infogan_sdk.serve.schemas import (
    EditRequest,
    EditResponse,
    ErrorResponse,
    GenerateRequest,
    GenerateResponse,
    InferRequest,
    InferResponse,
    TraverseRequest,
)

ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse, "description": text} for status, text in (
    (400, "malformed request"), (401, "missing or wrong bearer token"), (404, "no such model"),
    (413, "body, or images per request, over the limit"), (415, "unsupported content type"),
    (422, "invalid values (the SDK's message)"), (503, "still loading, or too many requests in flight"))}
PNG_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "description": "JSON by default; with `Accept: image/png` or `?format=png`, one PNG (a grid for several images); "
                   "with `Accept: application/octet-stream` or `?format=raw`, the images' uint8 pixels (N x H x W, "
                   "row after row), their shape in X-Shape and their digits in X-Digits"}}
Format = Annotated[Literal["json", "png", "raw"] | None,
                   Query(description="png: one PNG instead of JSON (also chosen by `Accept: image/png`); raw: the "
                                     "images' uint8 pixels, shape in X-Shape, digits in X-Digits (also chosen by "
                                     "`Accept: application/octet-stream`)")]

INLINE_PIXELS = 64 * 64  # infer chunks this small are decoded on the event loop (a thread hop costs more)

logger = logging.getLogger(__name__)
health = APIRouter(tags=["health"])
api = APIRouter(prefix="/v1", tags=["models"], responses=ERRORS)


def registry(request: Request) -> Registry:
    value = request.app.state.registry
    assert isinstance(value, Registry)
    return value


def config(request: Request) -> ServeConfig:
    value = request.app.state.config
    assert isinstance(value, ServeConfig)
    return value


@health.get("/healthz", summary="the process is up")
@health.head("/healthz", include_in_schema=False)  # HEAD probes too; one operation in the schema
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz", summary="models loaded and warmed up", responses={503: {"model": ErrorResponse}})
def readyz(request: Request) -> dict[str, Any]:
    loaded = registry(request)
    loaded.get(None)  # 503 until start-up is done
    return {"status": "ready", "models": [entry["name"] for entry in loaded.descriptions()]}


@api.get("/models", summary="the loaded models: latent layout, categorical codes and their labels (digits on MNIST "
         "models), continuous codes and their ranges")
def models(request: Request) -> dict[str, Any]:
    loaded = registry(request)
    return {"default": loaded.default, "models": loaded.descriptions()}


@api.post("/generate", response_model=GenerateResponse, response_model_exclude_none=True, responses=PNG_RESPONSE,
          summary="images from codes: digits, or any model's classes")
async def generate(body: GenerateRequest, request: Request, format: Format = None) -> Any:
    model = registry(request).get(body.model)
    _check_size(_requested(body), request)
    latents = model.generator.latents(digits=body.digits, classes=body.classes, count=body.count,
                                      continuous=body.continuous,
                                      noise=_noise(body.noise), seed=body.seed, beyond_range=body.beyond_range)
    answer = functools.partial(_answer, model, _answer_format(request, format), body.return_noise, None)
    return await model.drawing.submit(Job(latents, len(latents), answer))


@api.post("/traverse", response_model=GenerateResponse, response_model_exclude_none=True, responses=PNG_RESPONSE,
          summary="one continuous code swept, everything else fixed (a row PNG)")
async def traverse(body: TraverseRequest, request: Request, format: Format = None) -> Any:
    model = registry(request).get(body.model)
    _check_size(len(body.values) if body.values is not None else 1, request)
    code = body.code
    if isinstance(code, str) and code not in model.generator.continuous_names and is_index(code):
        code = int(code)  # "1" names the code at index 1, unless a code is called "1"
    latents = model.generator.traverse_latents(digit=body.digit, code=code, values=body.values, classes=body.classes,
                                               seed=body.seed, beyond_range=body.beyond_range)
    answer = functools.partial(_answer, model, _answer_format(request, format), False, len(latents))  # a row
    return await model.drawing.submit(Job(latents, len(latents), answer))


class Direct(APIRoute):
    """A route whose endpoint takes the request alone and returns a Response, called with it directly: FastAPI's
    own handler would first solve its (no) parameters and look for its (no) body, 3% of a /v2 request."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


INFER_OPENAPI: dict[str, Any] = {
    "requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "images": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "preprocess": {"type": "string", "enum": list(uploads.PREPROCESS)},
            "model": {"type": "string"}, "realness": {"type": "boolean"}}}},
        # inline: no route takes InferRequest as its body, so components/schemas has no entry to point at
        "application/json": {"schema": InferRequest.model_json_schema()},
        uploads.RAW: {"schema": {"type": "string", "format": "binary", "description": (
            "N grey uint8 images, row after row, with their shape in the header X-Shape: N,H,W; model and "
            "preprocess as query parameters")}}}},
    "parameters": [{"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                    "description": f"{name} of a raw (application/octet-stream) body"}
                   for name in ("model", "preprocess", "realness")]}


async def infer(request: Request) -> Response:
    settings = config(request)
    name, preprocess, items, realness = await uploads.receive(request, settings)
    model = registry(request).get(name)
    items = uploads.screened(items, settings)
    pixels = sum(item.pixels for item in items)
    results: list[dict[str, Any]] = []
    with _heavy_slot(request, pixels):
        try:
            for part in uploads.chunks(items):  # between chunks: drop the work if nobody waits for it any more
                await still_wanted(request, f"{len(items) - part.start} of {len(items)} images left unread",
                                   client=part.start > 0)
                results += await _read(model, items[part.start:part.stop], preprocess, part.start)
        finally:
            if pixels > uploads.CHUNK_PIXELS:
                await run_in_threadpool(uploads.release_memory)
    for entry in results if not realness else []:  # deprecated in the bundled models: only when asked for
        entry.pop("realness", None)
    if all("error" in entry for entry in results):
        return error_response(422, "invalid_input", f"none of the {len(results)} image(s) could be read; see "
                              "results", results=results)
    return json_response({"model": model.name, "results": results})


api.add_api_route("/infer", infer, methods=["POST"], route_class_override=Direct, response_model=InferResponse,
                  response_model_exclude_none=True, openapi_extra=INFER_OPENAPI, summary="read the digit and codes "
                  "of images (realness if asked); a bad image fails only its own entry")


async def _read(model: LoadedModel, items: list[uploads.Upload], preprocess: str, start: int) -> list[dict[str, Any]]:
    """Entries for a chunk of uploads: decoded and preprocessed (small ones on the event loop, where a thread hop
    would cost more than the work), then read by the network in a batch shared with concurrent requests."""
    if sum(item.pixels for item in items) <= INLINE_PIXELS and all(item.pixels for item in items):
        prepared = uploads.prepare(model.encoder, items, preprocess, start)
    else:
        prepared = await run_in_threadpool(uploads.prepare, model.encoder, items, preprocess, start)
    if not prepared.good:
        return uploads.fill(model.encoder, prepared, None)
    finish = functools.partial(uploads.fill, model.encoder, prepared)
    entries: list[dict[str, Any]] = await model.reading.submit(Job(prepared.pixels, len(prepared.good), finish))
    return entries


@contextlib.contextmanager
def _heavy_slot(request: Request, pixels: int) -> Iterator[None]:
    """One of --max-heavy slots for a request declaring more than uploads.CHUNK_PIXELS (503 when none is free).
    Taken and given back on the event loop only (one thread: no lock)."""
    if pixels <= uploads.CHUNK_PIXELS:
        yield
        return
    state, limit = request.app.state, config(request).max_heavy
    if state.heavy >= limit:
        raise ApiError(503, f"the server is reading {state.heavy} large requests, its limit (--max-heavy); retry "
                       "shortly", "busy", {"Retry-After": "1"})
    state.heavy += 1  # the event loop is one thread: no lock
    try:
        yield
    finally:
        state.heavy -= 1


@api.post("/edit", response_model=EditResponse, response_model_exclude_none=True,
          summary="redraw your images with codes changed: digit replaced, continuous codes added, handwriting kept")
async def edit(body: EditRequest, request: Request) -> Any:
    settings, model = config(request), registry(request).get(body.model)
    if not model.encoder.has_noise:
        raise ApiError(422, f"model {model.name!r} cannot edit images: its encoder has no 'noise' output")
    uploads.check_count(len(body.images), settings)
    lengths = [len(body.images), len(body.digit) if isinstance(body.digit, list) else 1]
    lengths += [len(value) for value in (body.continuous or {}).values() if isinstance(value, list)]
    _check_size(max(lengths), request)
    images, pixels = uploads.decoded(body.images, settings)
    with _heavy_slot(request, pixels):
        return await run_in_threadpool(_edited, model, body, images)


def _edited(model: LoadedModel, body: EditRequest, images: list[bytes]) -> dict[str, Any]:
    """The edit answer: the images redrawn with the codes changed, and what was read in each (in a thread)."""
    result = model.generator.edit(images, digit=body.digit, continuous=body.continuous, preprocess=body.preprocess,
                                  beyond_range=body.beyond_range)
    source = result.source
    assert source is not None
    redrawn = model.generator.reconstruct(images, preprocess=body.preprocess) if body.reconstruct else None
    names = model.generator.continuous_names
    sources = [{"png": encoded, "digit": int(source.digits[i]),
                "continuous": dict(zip(names, map(float, source.continuous[i]), strict=True))}
               for i, encoded in enumerate(png_base64(source.images))]
    if redrawn is not None:
        assert redrawn.reconstruction_error is not None
        for entry, encoded, error in zip(sources, png_base64(redrawn.images), redrawn.reconstruction_error.tolist(),
                                         strict=True):
            entry.update(reconstruction=encoded, reconstruction_error=error)
    return {**_content(model, result, body.return_noise), "sources": sources}


async def still_wanted(request: Request, left: str, client: bool = True) -> None:
    """Raise when the work left on a request should be dropped: its client disconnected (asked only if `client`:
    asking costs 30 us, more than it saves before the first chunk, whose client has just sent it), or the server is
    stopping and the request has run past the grace period (a JSON 503, not uvicorn's plain-text 500)."""
    if request.app.state.stopping.is_set():
        raise shutting_down(left)
    if client and await request.is_disconnected():
        logger.info("%s: the client went away; dropped the work (%s)", request.url.path, left)
        raise ApiError(499, "the client closed the request", "client_closed")  # nobody reads this answer


def _check_size(count: int, request: Request) -> None:
    limit = config(request).max_generate
    if count > limit:
        raise ApiError(422, f"{count} images is more than the {limit} allowed per call (--max-generate)")


def _noise(rows: list[float] | list[list[float]] | None) -> NDArray[np.float64] | None:
    """The JSON noise as an array (the SDK checks its width and values); ragged rows are a 422."""
    try:
        return None if rows is None else np.asarray(rows, dtype=np.float64)
    except ValueError as error:
        raise ApiError(422, f"noise must be a list of numbers or of equal-length lists of numbers ({error})") \
            from error


def _requested(body: GenerateRequest) -> int:
    """How many images the request can make: count, or the longest per-image list (the SDK checks they agree)."""
    lengths = [body.count or 1, len(body.digits) if isinstance(body.digits, list) else 1]
    lengths += [len(value) for value in (body.continuous or {}).values() if isinstance(value, list)]
    classes = body.classes.values() if isinstance(body.classes, dict) else [body.classes]
    lengths += [len(value) for value in classes if isinstance(value, list)]
    if body.noise and isinstance(body.noise[0], list):
        lengths.append(len(body.noise))
    return max(lengths)


def _answer_format(request: Request, format: str | None) -> str:
    """"json", "png" or "raw": ?format= if given, else what Accept prefers. PNG: image/png (or image/*) with a
    weight above 0 and at least JSON's (`image/png;q=0` refuses it; `*/*` alone keeps the JSON default); raw:
    application/octet-stream weighted above 0 and at least as JSON and image/png."""
    if format is not None:
        return format
    weights = accepted(request.headers.get("accept", ""))
    json_weight = max(weights.get("application/json", 0.0), weights.get("application/*", 0.0))
    raw = weights.get(uploads.RAW, 0.0)
    if raw > 0 and raw >= json_weight and raw >= weights.get("image/png", 0.0):
        return "raw"
    image = max(weights.get("image/png", 0.0), weights.get("image/*", 0.0))
    return "png" if image > 0 and image >= json_weight else "json"


def _answer(model: LoadedModel, form: str, noise: bool, columns: int | None, result: GenerateResult) -> Response:
    """A generate or traverse answer: one PNG (a grid; `columns` per row, None: square), the raw pixels, or the
    JSON. A traverse's (`columns` given) also says which images lie beyond the trained range (X-Beyond-Range: 0/1
    per image, or the JSON's beyond_range)."""
    beyond = model.generator.outside_range(result.continuous).tolist() if columns is not None else None
    headers = {} if beyond is None else {"x-beyond-range": ",".join(str(int(flag)) for flag in beyond)}
    if form == "png":
        return Response(png(dataclasses.replace(result, columns=columns).grid()), media_type="image/png",
                        headers=headers)
    if form == "raw":
        return Response(result.images.tobytes(), media_type=uploads.RAW, headers={
            uploads.SHAPE_HEADER: ",".join(map(str, result.images.shape)),
            "x-digits": ",".join(map(str, result.digits.tolist())), **headers})
    return json_response({**_content(model, result, noise), **({} if beyond is None else {"beyond_range": beyond})})


def _content(model: LoadedModel, result: GenerateResult, noise: bool) -> dict[str, Any]:
    """Each image's PNG and codes; a model whose codes are not digits names them too (classes: {code: label})."""
    names = model.generator.continuous_names
    named = result.codes.shape[1] and not model.generator.code_to_digit
    classes = [row["classes"] for row in result.to_records()] if named else [None] * len(result)
    return {"model": model.name, "images": [
        {"png": encoded, "digit": digit, **({"classes": labels} if labels is not None else {}), "codes": codes,
         "continuous": dict(zip(names, continuous, strict=True)), **({"noise": row} if noise else {})}
        for encoded, digit, labels, codes, continuous, row in zip(
            png_base64(result.images), result.digits.tolist(), classes, result.codes.tolist(),
            result.continuous.tolist(), result.noise.tolist() if noise else [None] * len(result), strict=True)]}


def accepted(accept: str) -> dict[str, float]:
    """An Accept header's media types and their weights (1 unless q= says otherwise; unreadable q: 0)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        kind, *parameters = part.split(";")
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0  # a weight we cannot read is no preference
        weights[kind.strip().lower()] = weight
    return weights
