"""Images to the chosen size and channels, uint8 in and out: the one place a data set's images are resized,
cropped or converted between grey and RGB. Scaling to the generator's pixel range is `train.pixels`' job.

Size policies: "resize" scales each image to the size (aspect ratio not kept); "crop" takes the largest centred
window of the size's aspect ratio, then scales it; none ("") refuses any image of another size.
Resampling is Pillow's bilinear, which averages over the whole footprint when reducing (no aliasing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.errors import DataSetError

POLICIES = ("", "resize", "crop")
CHANNELS = (1, 3)


def check_options(size: int | None, channels: int | None, policy: str) -> None:
    """Raise DataSetError for a size below 1, channels other than 1 or 3, or an unknown policy."""
    if size is not None and not 1 <= size <= 4096:
        raise DataSetError(f"image size must be 1 to 4096 pixels, got {size}")
    if channels is not None and channels not in CHANNELS:
        raise DataSetError(f"channels must be 1 (grey) or 3 (RGB), got {channels}")
    if policy not in POLICIES:
        raise DataSetError(f"resize policy must be one of {[p for p in POLICIES if p]} or none, got {policy!r}")


def fit_array(images: NDArray[np.uint8], size: int | None, channels: int | None, policy: str,
              where: str) -> NDArray[np.uint8]:
    """uint8 (N, H, W) or (N, H, W, 3) -> (N, S, S) or (N, S, S, 3) with S = size (None: keep H, W) and the given
    channels (None: keep). Returns `images` itself when nothing changes (a memory-mapped array stays so)."""
    if size is not None and images.shape[1:3] != (size, size):
        refuse_size(images.shape[1:3], size, policy, where)
        mode = "RGB" if images.ndim == 4 else "L"
        images = np.stack([fit_image(Image.fromarray(image, mode), size, policy) for image in images])
    return to_channels(images, channels)


def refuse_size(found: tuple[int, ...], size: int, policy: str, where: str) -> None:
    """Raise DataSetError naming `where` when an image of `found` (H, W) needs a policy and none was chosen."""
    if not policy:
        raise DataSetError(f"{where}: image is {found[0]}x{found[1]}, expected {size}x{size}: choose a resize "
                           "policy ('resize' or 'crop') to bring images to that size")


def fit_image(image: Image.Image, size: int, policy: str) -> NDArray[np.uint8]:
    """One PIL image ("L" or "RGB") -> uint8 (size, size) or (size, size, 3) under `policy` ("resize" or "crop")."""
    if image.size != (size, size):
        box = _centre_box(image.size) if policy == "crop" else None
        image = image.resize((size, size), Image.Resampling.BILINEAR, box=box)
    return np.asarray(image, dtype=np.uint8)


def to_channels(images: NDArray[np.uint8], channels: int | None) -> NDArray[np.uint8]:
    """uint8 (N, H, W) <-> (N, H, W, 3): grey copied to three channels; RGB to luma as Pillow's convert("L")
    computes it (ITU-R 601, in fixed point), so an array and a decoded file give the same grey."""
    if channels is None or (channels == 3) == (images.ndim == 4):
        return images
    if channels == 3:
        return np.repeat(images[..., None], 3, axis=3)
    weights = np.asarray([19595, 38470, 7471], dtype=np.uint32)  # 0.299, 0.587, 0.114 in 1/65536
    return ((images.astype(np.uint32) @ weights + 0x8000) >> 16).astype(np.uint8)


def _centre_box(size: tuple[int, int]) -> tuple[float, float, float, float]:
    """The largest centred square (left, top, right, bottom) inside an image of (width, height)."""
    width, height = size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    return (left, top, left + side, top + side)


def as_uint8(values: NDArray[Any], where: str) -> NDArray[np.uint8]:
    """An array of images as uint8: uint8 as is, integers in 0..255 cast; anything else refused naming `where`."""
    if values.dtype == np.uint8:
        return values
    if values.dtype.kind in "iu" and values.size and 0 <= values.min() and values.max() <= 255:
        return values.astype(np.uint8)
    raise DataSetError(f"{where}: expected uint8 images (or integers in 0..255), got {values.dtype}"
                       + (f" in {values.min()}..{values.max()}" if values.size and values.dtype.kind in "iuf" else ""))
