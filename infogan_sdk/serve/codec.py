"""Bytes in and out of the API: generated images as PNG (base64 in JSON), uploads from base64, and the
pixel-count check on an upload's header before the SDK decodes it."""

from __future__ import annotations

import base64
import binascii
import io
import math
import re

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.reading import FORMATS

DATA_URL = re.compile(r"^data:[\w/+.-]*(;[\w=-]+)*;base64,", re.ASCII)  # what canvas.toDataURL() gives


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_base64(images: NDArray[np.uint8]) -> list[str]:
    """uint8 (N, H, W) -> N base64 PNG strings (8-bit grayscale)."""
    return [base64.b64encode(png(Image.fromarray(image))).decode("ascii") for image in images]


def from_base64(text: str) -> bytes:
    """Plain base64 or a data: URL -> bytes; raises ValueError saying what is wrong."""
    payload = DATA_URL.sub("", text, count=1)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not valid base64 ({error})") from error


def oversized(data: bytes, max_pixels: int) -> str | None:
    """A message if the image's header declares more than `max_pixels` pixels, else None (unreadable headers
    are left to the SDK, whose message names the problem)."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
    except Exception:  # any header Pillow cannot parse: the SDK, given the same bytes, reports it precisely
        return None
    if math.prod((width, height)) > max_pixels:
        return f"{width}x{height} pixels is more than the {max_pixels} allowed per image (--max-pixels)"
    return None
