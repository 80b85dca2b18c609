"""`POST /v1/infer`: uploads (multipart files or base64 JSON) -> one reading or one error per image.

A bad file fails only its own entry: the batch is read in one encoder call, and only if the SDK refuses it is
each image read alone, so that the refusal lands on the image it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from infogan_sdk import Encoder, InferResult, InvalidInputError
from infogan_sdk.serve.codec import from_base64, oversized
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError
from infogan_sdk.serve.schemas import InferRequest

PREPROCESS = ("auto", "mnist", "none")


@dataclass(frozen=True)
class Upload:
    """One image as it arrived: its bytes, or why there are none."""

    name: str | None
    data: bytes = b""
    problem: str | None = None


async def uploads(request: Request, config: ServeConfig) -> tuple[str | None, str, list[Upload]]:
    """(model, preprocess, uploads) from a JSON or multipart body; 400/413/422 for a body that is wrong as a whole."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await _multipart(request, config)
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
    return body.model, body.preprocess, items


async def _multipart(request: Request, config: ServeConfig) -> tuple[str | None, str, list[Upload]]:
    async with request.form(max_files=10 * config.max_images, max_fields=100) as form:
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]  # any field name
        check_count(len(files), config)
        items = [Upload(file.filename, await file.read()) for file in files]
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    preprocess = fields.get("preprocess", "auto")
    if preprocess not in PREPROCESS:
        raise ApiError(422, f"preprocess must be one of {list(PREPROCESS)}, got {preprocess[:40]!r}")
    return fields.get("model"), preprocess, items


def check_count(count: int, config: ServeConfig) -> None:
    """422 for no images, 413 for more than --max-images."""
    if count == 0:
        raise ApiError(422, "expected at least one image, got none (multipart files, or JSON {\"images\": [...]})")
    if count > config.max_images:
        raise ApiError(413, f"{count} images is more than the {config.max_images} allowed per request (--max-images)")


def read(encoder: Encoder, items: list[Upload], preprocess: str, max_pixels: int) -> list[dict[str, Any]]:
    """One JSON entry per upload, in order: the reading, or {"error", "detail"} for an image that cannot be read."""
    entries: list[dict[str, Any]] = [{"index": index, "name": item.name} for index, item in enumerate(items)]
    good = []
    for index, item in enumerate(items):
        problem = item.problem or _pixels(item.data, max_pixels, index)
        if problem is None:
            good.append(index)
        else:
            entries[index].update(error="invalid_input", detail=problem)
    try:
        batches = [(good, encoder.infer([items[i].data for i in good], preprocess))] if good else []
    except InvalidInputError:  # some image is bad: read each alone, so each error lands on its image
        batches = []
        for index in good:
            try:
                batches.append(([index], encoder.infer(items[index].data, preprocess)))
            except InvalidInputError as error:
                entries[index].update(error="invalid_input", detail=str(error).replace("input 0", f"input {index}", 1))
    for indices, result in batches:
        for row, index in enumerate(indices):
            entries[index].update(_reading(encoder, result, row))
    return entries


def decoded(images: list[str], max_pixels: int) -> list[bytes]:
    """Base64 images -> their bytes, all or nothing: a 422 naming the first that is not base64 or too big."""
    found = []
    for index, text in enumerate(images):
        try:
            data = from_base64(text)
        except ValueError as error:
            raise ApiError(422, f"images[{index}]: {error}") from error
        problem = _pixels(data, max_pixels, index)
        if problem is not None:
            raise ApiError(422, problem)
        found.append(data)
    return found


def _pixels(data: bytes, max_pixels: int, index: int) -> str | None:
    problem = oversized(data, max_pixels)
    return None if problem is None else f"input {index}: {problem}"


def _reading(encoder: Encoder, result: InferResult, row: int) -> dict[str, Any]:
    reading: dict[str, Any] = {
        "digit": int(result.digits[row]),
        "probabilities": [float(p) for p in result.probabilities[row]],
        "continuous": {name: float(value) for name, value in zip(encoder.continuous_names, result.continuous[row],
                                                                 strict=True)},
        "realness": float(result.realness[row])}
    for name in ("is_digit", "digit_score"):  # present once the model can tell digits from other drawings
        values = getattr(result, name, None)
        if values is not None:
            reading[name] = np.asarray(values)[row].item()
    return reading
