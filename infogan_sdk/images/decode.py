"""Reading the encoder's inputs into the SDK's image convention: uint8 (N, H, W), white ink on black.

Accepted: file paths or encoded bytes (FORMATS), PIL images (any mode, RGB and RGBA included; alpha handled),
and grey arrays: (H, W) is one image, (N, H, W) a batch, of uint8, integers in [0, 255] or floats in [0, 1].
A 3-D array whose last axis has 3 or 4 values, such as np.asarray(rgb_image), would read as H images of
W x 3 pixels: it is refused (pass it as a PIL image, `Image.fromarray(array)`, to have it read in colour).
"""

from __future__ import annotations

import io
import logging
import math
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from infogan_sdk.errors import InfoGANError, InvalidInputError, shown
from infogan_sdk.images.files import open_regular
from infogan_sdk.images.preprocess import is_mnist_form, normalise

logger = logging.getLogger(__name__)

MAX_PIXELS = 4096 * 4096  # per image: refuse decompression bombs before decoding (PIL's own limit is far higher)
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")  # decoded formats (JPEG includes MPO; never EPS)
PREPROCESS_MODES = ("auto", "mnist", "none")
ORIENTATION = 0x0112  # the EXIF tag
COLOUR_CHANNELS = (3, 4)  # a last axis of this size marks an (H, W, 3) RGB or (H, W, 4) RGBA array
ImageInput: TypeAlias = str | os.PathLike[str] | bytes | Image.Image | NDArray[Any]


def read_images(images: ImageInput | Sequence[ImageInput], size: tuple[int, int],
                preprocess: str = "auto") -> NDArray[np.uint8]:
    """Any accepted input(s) -> uint8 (N, *size) white-on-black images ready for the encoder.

    preprocess: "auto" passes images already of `size` with a dark border through unchanged and
    MNIST-normalises the rest; "mnist" normalises all; "none" requires `size` and changes nothing.
    Raises InvalidInputError naming the input (index, path) that is wrong and why.
    """
    if not isinstance(preprocess, str) or preprocess not in PREPROCESS_MODES:
        raise InvalidInputError(f"preprocess must be one of {list(PREPROCESS_MODES)}, got {shown(preprocess)}")
    if isinstance(images, np.ndarray) and images.dtype == np.uint8 and images.ndim == 3 and images.shape[1:] == size \
            and len(images) and (preprocess == "none" or (preprocess == "auto" and is_mnist_form(images, size).all())):
        return images.copy()  # the hot path, a model-ready uint8 batch: the same result as the general path below
    items = list(images) if isinstance(images, (list, tuple)) else [images]
    stacks = [_fit(grey_stack(item, f"input {index}"), size, preprocess, f"input {index}")
              for index, item in enumerate(items)]
    if sum(len(stack) for stack in stacks) == 0:
        raise InvalidInputError("expected at least one image, got none")
    _warn_blank(stacks, [input_label(item, f"input {index}") for index, item in enumerate(items)])
    return np.concatenate(stacks)  # always a new array: the caller's is never shared (results are read-only)


def read_image(item: ImageInput, size: tuple[int, int], preprocess: str, where: str,
               name: str | None = None) -> NDArray[np.uint8]:
    """One input (e.g. a path) -> uint8 (M, *size), as `read_images` does; errors name it as `where` ("input 7"),
    with `name` (the file name of bytes read from it) or its path."""
    if not isinstance(preprocess, str) or preprocess not in PREPROCESS_MODES:
        raise InvalidInputError(f"preprocess must be one of {list(PREPROCESS_MODES)}, got {shown(preprocess)}")
    label = input_label(item, where) if name is None else f"{where} ({name!r})"
    fitted = _fit(grey_stack(item, where if name is None else label), size, preprocess, label)
    _warn_blank([fitted], [label])
    return fitted


def row_labels(images: ImageInput | Sequence[ImageInput]) -> list[str]:
    """How messages name each image `read_images(images)` returns: "input 2 ('scans/a.png')" for a file (its path as
    given), "input 2 (bytes)", "input 2 (image 5)" in an (N, H, W) array, and "input 5" in a lone batch array."""
    if isinstance(images, np.ndarray) and images.ndim == 3:
        return [f"input {row}" for row in range(len(images))]
    items = list(images) if isinstance(images, (list, tuple)) else [images]
    return [label for index, item in enumerate(items) for label in (
        [f"input {index} (image {row})" for row in range(len(item))] if isinstance(item, np.ndarray) and item.ndim == 3
        else [input_label(item, f"input {index}")])]


def _warn_blank(stacks: list[NDArray[np.uint8]], wheres: list[str]) -> None:
    """One warning per call naming the inputs that have no ink at all (uniform, or all paper once cleaned)."""
    blank = [(where, int((~stack.reshape(len(stack), -1).any(axis=1)).sum()), len(stack))
             for stack, where in zip(stacks, wheres, strict=True) if len(stack)]
    named = [where if total == 1 else f"{where} ({count} of its {total} images)" for where, count, total in blank
             if count]
    if named:
        shown_names = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        logger.warning("no ink (uniform, or all paper): the encoder sees black images: %s", shown_names)


def _fit(images: NDArray[np.uint8], size: tuple[int, int], preprocess: str, where: str) -> NDArray[np.uint8]:
    """uint8 (M, H, W) -> (M, *size): pass through or normalise each image (vectorised check for big batches)."""
    if preprocess == "none" and images.shape[1:] != size:
        raise InvalidInputError(f"{where}: preprocess='none' needs {size[0]}x{size[1]} images, got {images.shape[1:]}")
    if not len(images):  # an empty (0, H, W) stack: no pixels to fit, but its shape must join the others'
        return np.empty((0, *size), np.uint8)
    passes = np.full(len(images), preprocess == "none") if preprocess != "auto" else is_mnist_form(images, size)
    if passes.all():
        return images
    return np.stack([image if ok else normalise(image, size) for image, ok in zip(images, passes, strict=True)])


def grey_stack(item: Any, where: str) -> NDArray[np.uint8]:
    """One input -> uint8 (M, H, W): M = 1, or N for an (N, H, W) array."""
    if isinstance(item, np.ndarray):
        if item.ndim not in (2, 3):
            raise InvalidInputError(f"{where}: arrays must be (H, W) or (N, H, W) grayscale, got shape {item.shape}")
        if item.ndim == 3 and item.shape[2] in COLOUR_CHANNELS:
            raise InvalidInputError(f"{where}: an array of shape {item.shape} is ambiguous: it looks like one "
                                    f"{'RGB' if item.shape[2] == 3 else 'RGBA'} image, but arrays are read as grey "
                                    "(H, W) or (N, H, W); pass a colour image as PIL.Image.fromarray(array), or "
                                    "one grey image as an (H, W) array")
        return from_array(item if item.ndim == 3 else item[None], where)
    if isinstance(item, (str, os.PathLike, bytes, bytearray, Image.Image)):
        return decode(item, input_label(item, where))[None]
    raise InvalidInputError(f"{where}: expected a path, bytes, a PIL image or a numpy array, got {type(item).__name__}")


def input_label(item: Any, where: str) -> str:
    """How messages name an input: "input 3 ('scans/a.png')", "input 3 (bytes)" or "input 3"."""
    return f"{where} ({os.fspath(item)!r})" if isinstance(item, (str, os.PathLike)) else \
        f"{where} (bytes)" if isinstance(item, (bytes, bytearray)) else where


def decode(item: str | os.PathLike[str] | bytes | bytearray | Image.Image, where: str,
            convert: Callable[[Image.Image, str], NDArray[np.uint8]] | None = None) -> NDArray[np.uint8]:
    """A file, encoded bytes or a (maybe lazily loaded) PIL image -> uint8 (H, W) (or what `convert`, given the
    opened image and `where`, makes of it); every failure named."""
    convert = convert or _from_pil
    try:
        if isinstance(item, Image.Image):
            return convert(item, where)
        source = io.BytesIO(bytes(item)) if isinstance(item, (bytes, bytearray)) else open_regular(item, where)
        with source:
            with warnings.catch_warnings():  # Pillow warns of bombs over 89 M pixels; our own limit is the check
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(source, formats=FORMATS)
            with image:
                _check_pixels(image.size, where)
                image.load()
                return convert(image, where)
    except InfoGANError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidInputError(f"{where}: refused as a decompression bomb: {error}") from error
    except UnidentifiedImageError as error:  # its message names the buffer object: say what it means
        raise InvalidInputError(f"{where}: cannot read it as an image: it is in none of the formats read here "
                                f"({'/'.join(FORMATS)})") from error
    except Exception as error:  # Pillow raises OSError, SyntaxError, TypeError, ... on malformed files
        raise InvalidInputError(f"{where}: cannot read it as an image ({'/'.join(FORMATS)}): "
                                f"{type(error).__name__}: {error}") from error


def upright(image: Image.Image, where: str) -> Image.Image:
    """The image checked for size, its pixels turned upright by its EXIF orientation (phone photos)."""
    _check_pixels(image.size, where)
    return ImageOps.exif_transpose(image) if image.getexif().get(ORIENTATION, 1) != 1 else image


def _from_pil(image: Image.Image, where: str) -> NDArray[np.uint8]:
    image = upright(image, where)
    if image.mode.startswith("I") or image.mode == "F":  # 16/32-bit integers (to 65535 or to 255), or floats
        values, peak = np.asarray(image, dtype=np.float64), np.asarray(image).max(initial=0)
        top = 1.0 if image.mode == "F" and peak <= 1 else 65535.0 if peak > 255 else 255.0
        return from_array(np.clip(values, 0, top) / top, where)
    if "A" not in image.getbands() and "transparency" not in image.info:
        return np.asarray(image.convert("L"), dtype=np.uint8)
    pixels = np.asarray(image.convert("RGBA").convert("LA"), dtype=np.float64)
    luminance, alpha = pixels[..., 0], pixels[..., 1] / 255.0
    # Composite on a background that contrasts with the ink (the opaque part): dark ink on white, light on black.
    background = 255.0 if (luminance * alpha).sum() < 128 * alpha.sum() else 0.0
    return np.round(luminance * alpha + background * (1.0 - alpha)).astype(np.uint8)


def from_array(array: NDArray[Any], where: str) -> NDArray[np.uint8]:
    """(..., H, W) of any accepted dtype -> uint8, checked."""
    _check_pixels((array.shape[-1], array.shape[-2]), where)
    if array.dtype == np.uint8 or (array.size == 0 and array.dtype.kind in "iuf"):
        return array.astype(np.uint8, copy=False)
    if array.dtype.kind in "iu":
        if array.min() < 0 or array.max() > 255:
            raise InvalidInputError(f"{where}: integer images must be in [0, 255], got [{array.min()}, {array.max()}]")
        return array.astype(np.uint8)
    if array.dtype.kind != "f":
        raise InvalidInputError(f"{where}: expected uint8, integers in [0, 255] or floats in [0, 1], got {array.dtype}")
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{where}: image contains NaN or infinity; expected floats in [0, 1]")
    if array.min() < 0 or array.max() > 1:
        raise InvalidInputError(f"{where}: float images must be in [0, 1], got [{array.min():.4g}, {array.max():.4g}]"
                                " (convert 0-255 floats to uint8)")
    return np.round(array * 255.0).astype(np.uint8)


def _check_pixels(size: tuple[int, ...], where: str) -> None:
    if math.prod(size) > MAX_PIXELS:
        raise InvalidInputError(f"{where}: {size[0]}x{size[1]} pixels is more than the {MAX_PIXELS} allowed")
    if min(size) < 1:
        raise InvalidInputError(f"{where}: the image is empty ({size[0]}x{size[1]} pixels)")
