"""`POST /v1/infer`: uploads (multipart files, base64 JSON, or raw uint8 pixels with X-Shape) -> one reading or one
error per image.

Before anything is decoded, each image's header says its size: one over --max-pixels fails its own entry, and a
request whose images add up to more than --max-request-pixels is refused whole (413). The rest is read in chunks
of about CHUNK_PIXELS, so that the route can drop the work between chunks (client gone, server stopping). A bad
file fails only its own entry: a chunk is read in one encoder call, and only if the SDK refuses it is each of its
images read alone, so that the refusal lands on the image it is about.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from numpy.typing import NDArray
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from infogan_sdk import Encoder, InferResult, InvalidInputError
from infogan_sdk.serve.codec import declared_size, from_base64
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError
from infogan_sdk.serve.schemas import InferRequest

PREPROCESS = ("auto", "mnist", "none")
RAW = "application/octet-stream"  # uint8 pixels, no PNG, no base64: in to /v1/infer, out of generate / traverse
SHAPE_HEADER = "X-Shape"  # a raw body's or answer's shape: N,H,W
CHUNK_PIXELS = 1 << 21  # declared pixels per encoder call (about 0.1 s of decoding on one core); 28x28s: one call


@dataclass(frozen=True)
class Upload:
    """One image as it arrived: its bytes, or why there are none."""

    name: str | None
    data: bytes | NDArray[np.uint8] = b""  # encoded bytes, or (H, W) grey pixels from a raw body
    problem: str | None = None
    pixels: int = 0  # as its header declares them (0: not known yet, or unreadable)


async def receive(request: Request, config: ServeConfig) -> tuple[str | None, str, list[Upload], bool]:
    """(model, preprocess, uploads, realness asked for) from a JSON, multipart or raw body; 400/413/422 for a body
    that is wrong as a whole."""
    kind = request.headers.get("content-type", "").lower()
    if kind.startswith("multipart/form-data"):
        return await _multipart(request, config)
    if kind.startswith(RAW):
        return await _raw(request, config)
    try:
        body = InferRequest.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_input=False)) from error
    check_count(len(body.images), config)
    items = []
    for index, text in enumerate(body.images):
        try:
            items.append(Upload(None, from_base64(text)))
        except ValueError as error:
            items.append(Upload(None, problem=f"input {index}: {error}"))
    return body.model, body.preprocess, items, body.realness


async def _multipart(request: Request, config: ServeConfig) -> tuple[str | None, str, list[Upload], bool]:
    async with request.form(max_files=10 * config.max_images, max_fields=100) as form:
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]  # any field name
        check_count(len(files), config)
        items = [Upload(file.filename, await file.read()) for file in files]
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    preprocess = fields.get("preprocess", "auto")
    if preprocess not in PREPROCESS:
        raise ApiError(422, f"preprocess must be one of {list(PREPROCESS)}, got {preprocess[:40]!r}")
    return fields.get("model"), preprocess, items, flag(fields.get("realness"), "realness")


async def _raw(request: Request, config: ServeConfig) -> tuple[str | None, str, list[Upload], bool]:
    """N grey images as bytes, row after row, their shape in `X-Shape: N,H,W`; model, preprocess and realness in the
    query."""
    text = request.headers.get(SHAPE_HEADER, "")
    parts = text.split(",")
    if len(parts) != 3 or not all(part.strip().isascii() and part.strip().isdigit() and len(part.strip()) < 7
                                  for part in parts):
        raise ApiError(422, f"a raw body needs its shape in the header {SHAPE_HEADER}: N,H,W (uint8 grey pixels, row "
                       f"after row), got {text[:40]!r}")
    count, height, width = (int(part) for part in parts)
    check_count(count, config)
    if height * width > config.max_pixels:
        raise ApiError(413, f"{height}x{width} pixels is more than the {config.max_pixels} allowed per image "
                       "(--max-pixels)")
    body = await request.body()
    if len(body) != count * height * width:
        raise ApiError(422, f"a raw body of shape {count},{height},{width} has {count * height * width} bytes, got "
                       f"{len(body)}")
    preprocess = request.query_params.get("preprocess", "auto")
    if preprocess not in PREPROCESS:
        raise ApiError(422, f"preprocess must be one of {list(PREPROCESS)}, got {preprocess[:40]!r}")
    images = np.frombuffer(body, dtype=np.uint8).reshape(count, height, width)
    return request.query_params.get("model"), preprocess, [Upload(None, image, pixels=height * width)
                                                           for image in images], \
        flag(request.query_params.get("realness"), "realness")


def flag(text: str | None, name: str) -> bool:
    """A form field's or query parameter's true / false (absent: false); 422 for anything else."""
    if text is None or text.lower() in ("false", "0", ""):
        return False
    if text.lower() in ("true", "1"):
        return True
    raise ApiError(422, f"{name} must be true or false, got {text[:40]!r}")


def check_count(count: int, config: ServeConfig) -> None:
    """422 for no images, 413 for more than --max-images."""
    if count == 0:
        raise ApiError(422, "expected at least one image, got none (multipart files, or JSON {\"images\": [...]})")
    if count > config.max_images:
        raise ApiError(413, f"{count} images is more than the {config.max_images} allowed per request (--max-images)")


def screened(items: list[Upload], config: ServeConfig) -> list[Upload]:
    """Each upload with its declared pixels, or its problem when they are over --max-pixels; a 413 when all of
    them together declare more than --max-request-pixels. Only headers are read."""
    checked = []
    for index, item in enumerate(items):
        if isinstance(item.data, np.ndarray):  # raw pixels: their size is known and checked
            checked.append(item)
            continue
        problem, pixels = _pixels(item.data, config.max_pixels, index) if item.problem is None else (None, 0)
        checked.append(replace(item, problem=item.problem or problem, pixels=pixels))
    total = sum(item.pixels for item in checked)
    if total > config.max_request_pixels:
        raise ApiError(413, f"the {len(items)} image(s) declare {total} pixels in all, more than the "
                       f"{config.max_request_pixels} allowed per request (--max-request-pixels); send fewer or "
                       "smaller images")
    return checked


def chunks(items: list[Upload]) -> list[range]:
    """Consecutive runs of uploads declaring up to CHUNK_PIXELS in all (an image bigger than that is a run alone)."""
    runs, start, pixels = [], 0, 0
    for index, item in enumerate(items):
        if index > start and pixels + item.pixels > CHUNK_PIXELS:
            runs.append(range(start, index))
            start, pixels = index, 0
        pixels += item.pixels
    return [*runs, range(start, len(items))] if items else []


@dataclass(frozen=True)
class Prepared:
    """Uploads decoded and preprocessed for the encoder: one JSON entry per upload (an error already, or to be
    filled with its reading) and the pixels of those that could be read, in entry order."""

    entries: list[dict[str, Any]]
    good: list[int]  # the entries that `pixels` holds, in order
    pixels: NDArray[np.uint8]  # (len(good), H, W), as the network will see them


def prepare(encoder: Encoder, items: list[Upload], preprocess: str, start: int = 0) -> Prepared:
    """Decode and preprocess screened uploads (the costly part of reading big images). `start`: the index of
    items[0] in the request (entries and messages name request indices)."""
    entries: list[dict[str, Any]] = [{"index": start + i, "name": item.name} for i, item in enumerate(items)]
    good = []
    for i, item in enumerate(items):
        if item.problem is None:
            good.append(i)
        else:
            entries[i].update(error="invalid_input", detail=item.problem)
    try:
        stacks = [encoder.preprocess([items[i].data for i in good], preprocess)] if good else []
    except InvalidInputError:  # some image is bad: read each alone, so each error lands on its image
        stacks, read = [], []
        for i in good:
            try:
                stacks.append(encoder.preprocess(items[i].data, preprocess))
                read.append(i)
            except InvalidInputError as error:
                entries[i].update(error="invalid_input", detail=str(error).replace("input 0", f"input {start + i}", 1))
        good = read
    channels, height, width = encoder.spec.image_shape
    pixels = np.concatenate(stacks) if stacks else np.zeros((0, height, width, *((3,) if channels == 3 else ())),
                                                            dtype=np.uint8)
    return Prepared(entries, good, pixels)


def fill(encoder: Encoder, prepared: Prepared, result: InferResult | None) -> list[dict[str, Any]]:
    """The entries of `prepared` with the encoder's reading of its pixels (`result`; None when none was read)."""
    for row, i in enumerate(prepared.good):
        assert result is not None
        prepared.entries[i].update(_reading(encoder, result, row))
    return prepared.entries


def decoded(images: list[str], config: ServeConfig) -> tuple[list[bytes], int]:
    """Base64 images -> (their bytes, the pixels their headers declare in all), all or nothing: a 422 naming the
    first that is not base64 or over --max-pixels, a 413 when together they are over --max-request-pixels."""
    found = []
    for index, text in enumerate(images):
        try:
            found.append(from_base64(text))
        except ValueError as error:
            raise ApiError(422, f"images[{index}]: {error}") from error
    checked = screened([Upload(None, data) for data in found], config)
    for item in checked:
        if item.problem is not None:
            raise ApiError(422, item.problem)
    return found, sum(item.pixels for item in checked)


def release_memory() -> None:
    """Hand the memory freed after reading big images back to the system (glibc's malloc_trim; elsewhere nothing).
    Each worker thread's malloc arena keeps its high-water mark: without this, a burst of big uploads left the
    service ~350 MB bigger for good."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


def _pixels(data: bytes, max_pixels: int, index: int) -> tuple[str | None, int]:
    """(problem, declared pixels) of one upload's header: a problem when it declares more than `max_pixels`."""
    size = declared_size(data)
    if size is None:
        return None, 0
    pixels = size[0] * size[1]
    if pixels > max_pixels:
        return f"input {index}: {size[0]}x{size[1]} pixels is more than the {max_pixels} allowed per image " \
               "(--max-pixels)", 0
    return None, pixels


def _reading(encoder: Encoder, result: InferResult, row: int) -> dict[str, Any]:
    reading: dict[str, Any] = {
        "digit": int(result.digits[row]),
        "probabilities": [float(p) for p in result.probabilities[row]],
        "continuous": {name: float(value) for name, value in zip(encoder.continuous_names, result.continuous[row],
                                                                 strict=True)},
        "realness": float(result.realness[row])}
    if getattr(result, "code_probabilities", ()) and not encoder.code_to_digit:  # codes other than digits: named
        reading["classes"] = {name: result.categorical_labels[j][result.codes[row, j]]
                              for j, name in enumerate(result.categorical_names)}
        reading["class_probabilities"] = {name: float(result.code_probabilities[j][row, result.codes[row, j]])
                                          for j, name in enumerate(result.categorical_names)}
    mnist = getattr(result, "digit_score", None) is not None  # MNIST's names for the answer, else the general ones
    for name in ("is_digit", "digit_score") if mnist else ("in_domain", "domain_score"):  # where the model has one
        values = getattr(result, name, None)
        if values is not None:
            reading[name] = np.asarray(values)[row].item()
    return reading
