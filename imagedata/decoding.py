"""Image files -> uint8 arrays of one size and mode, in worker processes for big folders.

A file is opened only if it is a regular one (`infogan_sdk.images.files.open_regular`), in the formats and under
the pixel limit the SDK reads (`infogan_sdk.images.decode`), turned upright by its EXIF orientation, composited on
black where it has transparency, then fitted (`convert.fit_image`). Every failure is a DataSetError naming the file.
"""

from __future__ import annotations

import hashlib
import io
import math
import multiprocessing
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from imagedata.convert import fit_image
from infogan_sdk.errors import DataSetError, InfoGANError, InvalidInputError
from infogan_sdk.images.decode import FORMATS, MAX_PIXELS, ORIENTATION
from infogan_sdk.images.files import open_regular

COLOUR_BANDS = ("R", "G", "B")
IN_PROCESS = 256  # files below this many are decoded here: a worker pool takes longer to start
CHUNK = 64  # files per task sent to a worker
T = TypeVar("T")


def header(path: str) -> tuple[int, int, bool]:
    """(width, height, whether it is in colour) of an image file, from its header; DataSetError if unreadable."""
    with _regular(path) as stream, _open(stream, path) as image:  # reads the header (and EXIF) only
        try:
            width, height = _upright_size(image)
            colour = any(band in image.getbands() for band in COLOUR_BANDS) or (
                image.mode == "P" and _palette_colour(image))
        except Exception as error:  # Pillow raises OSError, struct.error, ... on a truncated or bad file
            raise DataSetError(f"{path}: cannot read it as an image: {type(error).__name__}: {error}") from error
        return width, height, colour


def decode(path: str, size: int | None, channels: int, policy: str) -> tuple[NDArray[np.uint8], str]:
    """(uint8 (S, S) or (S, S, 3) image, sha256 hex of the file's bytes); S = size, or the image's own (size None)."""
    with _regular(path) as stream:
        data = stream.read()
    image = _open(io.BytesIO(data), path)
    try:
        image.load()
        if image.getexif().get(ORIENTATION, 1) != 1:
            image = ImageOps.exif_transpose(image)
        image = _on_black(image, "RGB" if channels == 3 else "L")
        array = fit_image(image, size, policy) if size is not None else np.asarray(image, dtype=np.uint8)
    except InfoGANError:
        raise
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError... on a truncated or bad file
        raise DataSetError(f"{path}: cannot decode it as an image: {type(error).__name__}: {error}") from error
    return array, hashlib.sha256(data).hexdigest()


Job = tuple[str, int | None, int, str]  # (path, size, channels, policy): `decode`'s arguments


def decode_many(jobs: Sequence[Job], workers: int) -> Iterator[tuple[NDArray[np.uint8], str]]:
    """`decode` over (path, size, channels, policy) jobs, in order, by `workers` processes (0: in this one)."""
    yield from _mapped(_decode_chunk, jobs, workers)


def headers(paths: Sequence[str], workers: int) -> list[tuple[int, int, bool]]:
    """`header` of each path, in order."""
    return list(_mapped(_header_chunk, paths, workers))


def _mapped(function: Callable[[Sequence[Any]], list[T]], items: Sequence[Any], workers: int) -> Iterator[T]:
    """function over chunks of items, in order; in worker processes when there are enough items to pay for them."""
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    if workers < 1 or len(items) < IN_PROCESS:
        for chunk in chunks:
            yield from function(chunk)
        return
    # fork where there is one, as torch's DataLoader does: spawn and forkserver import the main module again in
    # every worker (python -m train's imports torch: seconds each); the workers run only Pillow and numpy code
    method = "fork" if sys.platform == "linux" else "spawn"
    with multiprocessing.get_context(method).Pool(workers) as pool:
        for results in pool.imap(function, chunks):
            yield from results


def _decode_chunk(jobs: Sequence[Job]) -> list[tuple[NDArray[np.uint8], str]]:
    return [decode(*job) for job in jobs]


def _header_chunk(paths: Sequence[str]) -> list[tuple[int, int, bool]]:
    return [header(path) for path in paths]


def _regular(path: str) -> BinaryIO:
    """`path` opened if it is a regular file (never a FIFO or device), else DataSetError naming it."""
    try:
        return open_regular(path, path)
    except InvalidInputError as error:
        raise DataSetError(str(error)) from error


def _open(stream: BinaryIO, path: str) -> Image.Image:
    """Pillow's lazy image of `stream` (header read, pixels not yet), its pixel count checked."""
    try:
        with warnings.catch_warnings():  # Pillow warns of bombs over 89 M pixels; MAX_PIXELS is the check
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=FORMATS)
    except Exception as error:
        raise DataSetError(f"{path}: cannot read it as an image (expected {'/'.join(FORMATS)}): "
                           f"{type(error).__name__}: {error}") from error
    width, height = image.size
    if math.prod(image.size) > MAX_PIXELS or min(image.size) < 1:
        raise DataSetError(f"{path}: {width}x{height} pixels; expected 1 to {MAX_PIXELS} pixels per image")
    return image


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) after the EXIF orientation is applied (5 to 8 swap the sides)."""
    width, height = image.size
    return (height, width) if image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8) else (width, height)


def _palette_colour(image: Image.Image) -> bool:
    palette = np.asarray(image.getpalette() or [0], dtype=np.int64)  # (R, G, B) * entries; grey when all equal
    rgb = palette[: len(palette) // 3 * 3].reshape(-1, 3)
    return bool((rgb != rgb[:, :1]).any())


def _on_black(image: Image.Image, mode: str) -> Image.Image:
    """`image` in `mode` ("L" or "RGB"), any transparency composited on black."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16/32-bit integers or floats: scaled to 0..255
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if values.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(values / top * 255.0, 0, 255).round().astype(np.uint8), "L")
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(black, rgba)
    return image.convert(mode)
