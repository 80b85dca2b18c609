"""Bringing the encoder's inputs to the model's image shape, as the model's manifest asks (`preprocess`).

"mnist-centre" models (the MNIST ones) read grey images through `decode` and `preprocess`: polarity, crop, fit and
centre of mass, as MNIST was made. "resize" models read each input at the model's channels (grey by Pillow's luma,
or RGB) and scale it to the model's height and width (bilinear, as `imagedata` brings training images to size; in
two single-axis passes, so that the JavaScript package gives the same pixels).
A caller may ask for another mode: "mnist" (centre, grey models only) or "none" (the exact shape, unchanged).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.errors import InvalidInputError, shown
from infogan_sdk.images import decode
from infogan_sdk.images.decode import COLOUR_CHANNELS, ImageInput

MODES = ("auto", "mnist", "none")  # what callers pass; "auto" is what the manifest declares


def read_for_model(images: ImageInput | Sequence[ImageInput], shape: tuple[int, int, int], declared: str,
                   mode: str = "auto") -> NDArray[np.uint8]:
    """Any accepted input(s) -> uint8 (N, H, W) grey or (N, H, W, 3) RGB for a model of `shape` (C, H, W) whose
    manifest declares `declared` ("mnist-centre" or "resize"). Raises InvalidInputError naming the bad input."""
    centring = _centring(shape, declared, mode)
    if centring is not None:
        return decode.read_images(images, shape[1:], centring)
    items = list(images) if isinstance(images, (list, tuple)) else [images]
    stacks = [_fitted(item, shape, mode, f"input {index}") for index, item in enumerate(items)]
    if sum(len(stack) for stack in stacks) == 0:
        raise InvalidInputError("expected at least one image, got none")
    return np.concatenate(stacks)


def read_one(item: ImageInput, shape: tuple[int, int, int], declared: str, mode: str, where: str,
             name: str | None = None) -> NDArray[np.uint8]:
    """One input (e.g. a path) -> uint8 (M, H, W[, 3]), as `read_for_model` does; errors name it as `where`."""
    centring = _centring(shape, declared, mode)
    if centring is not None:
        return decode.read_image(item, shape[1:], centring, where, name)
    return _fitted(item, shape, mode, where if name is None else f"{where} ({name!r})")


def _centring(shape: tuple[int, int, int], declared: str, mode: str) -> str | None:
    """`decode`'s mode ("auto", "mnist", "none") where MNIST-style reading applies; None where resizing does."""
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidInputError(f"preprocess must be one of {list(MODES)}, got {shown(mode)}")
    if mode == "mnist" and shape[0] != 1:
        raise InvalidInputError("preprocess='mnist' centres grey MNIST-style images; this model reads RGB images: "
                                "use 'auto' (resize) or 'none'")
    if shape[0] == 1 and (mode == "mnist" or (declared == "mnist-centre" and mode in ("auto", "none"))):
        return mode
    return None


def _fitted(item: Any, shape: tuple[int, int, int], mode: str, where: str) -> NDArray[np.uint8]:
    """One input -> uint8 (M, H, W[, 3]) at the model's channels, resized (or checked, for "none")."""
    stack = _colour(item, where) if shape[0] == 3 else decode.grey_stack(item, where)
    size = shape[1:]
    if stack.shape[1:3] == size or not len(stack):
        return stack.reshape(len(stack), *size, *stack.shape[3:])
    if mode == "none":
        raise InvalidInputError(f"{where}: preprocess='none' needs {size[0]}x{size[1]} images, got "
                                f"{stack.shape[1]}x{stack.shape[2]}")
    return np.stack([_resized(image, size) for image in stack])


def _resized(image: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    """uint8 (H, W[, 3]) -> `size` (height, width), bilinear: across, then down, as two single-axis resizes (Pillow's
    two-axis resize picks its pass order by version; the JavaScript package, js/src/pillow.js, does the same two)."""
    picture = Image.fromarray(image)
    across = picture.resize((size[1], picture.height), Image.Resampling.BILINEAR)
    return np.asarray(across.resize((size[1], size[0]), Image.Resampling.BILINEAR), dtype=np.uint8)


def _colour(item: Any, where: str) -> NDArray[np.uint8]:
    """One input -> uint8 (M, H, W, 3): an (H, W, 3) or (N, H, W, 3) array as it is, grey arrays on three channels,
    files and PIL images converted to RGB (transparency composited on black)."""
    if isinstance(item, np.ndarray):
        if item.ndim in (3, 4) and item.shape[-1] == 3:
            return decode.from_array(item if item.ndim == 4 else item[None], where)
        if item.ndim in (3, 4) and item.shape[-1] in COLOUR_CHANNELS:
            raise InvalidInputError(f"{where}: RGBA arrays are not read; pass RGB (H, W, 3) or (N, H, W, 3)")
        if item.ndim not in (2, 3):
            raise InvalidInputError(f"{where}: arrays must be RGB (H, W, 3) or (N, H, W, 3), or grey (H, W) or "
                                    f"(N, H, W), got shape {item.shape}")
        grey = decode.from_array(item if item.ndim == 3 else item[None], where)
        return np.repeat(grey[..., None], 3, axis=3)
    if isinstance(item, (str, os.PathLike, bytes, bytearray, Image.Image)):
        return decode.decode(item, decode.input_label(item, where), _rgb)[None]
    raise InvalidInputError(f"{where}: expected a path, bytes, a PIL image or a numpy array, got {type(item).__name__}")


def _rgb(image: Image.Image, where: str) -> NDArray[np.uint8]:
    image = decode.upright(image, where)
    if image.mode.startswith("I") or image.mode == "F":  # deep grey: read as `decode` reads it, then three channels
        grey = decode.decode(image, where)
        return np.repeat(grey[..., None], 3, axis=2)
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
