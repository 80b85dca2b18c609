"""Inputs for the hardening tests: valid image files in several formats, their mutations, and decompression bombs.

Everything is built in memory from numpy and Pillow (no torch, no downloads), so a subprocess can import it.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

DIGIT_SEED = 7


def digit(size: int = 28, light_ink: bool = True) -> np.ndarray:
    """A uint8 (size, size) stroke drawing, roughly a 7 (white on black unless light_ink=False)."""
    image = np.zeros((size, size), np.uint8)
    top, left, bottom = size // 5, size // 4, size - size // 6
    image[top:top + max(2, size // 10), left:size - left] = 255  # the bar
    for row in range(top, bottom):  # the diagonal
        column = size - left - 1 - (row - top) * (size // 2 - left) // max(1, bottom - top)
        image[row, max(0, column - size // 14):column + 1] = 255
    return image if light_ink else 255 - image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def seed_files(image: np.ndarray | None = None) -> dict[str, bytes]:
    """Valid encoded images of `image` (uint8 (28, 28), default `digit()`): the formats the SDK reads, with alpha,
    16-bit, palette, EXIF rotation and photo-like (large, RGB, dark ink on light paper) variants."""
    image = digit() if image is None else image
    gray = Image.fromarray(image)
    paper = Image.fromarray(255 - image).resize((90, 90), Image.Resampling.BICUBIC)
    photo = Image.new("RGB", (160, 120), (250, 245, 235))
    photo.paste(paper.convert("RGB"), (40, 15))
    rgba = Image.merge("RGBA", [gray, gray, gray, gray])  # ink opaque, background transparent
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation tag present (upright), so the EXIF path runs
    return {
        "png": _encode(gray, "PNG"),
        "png_rgba": _encode(rgba, "PNG"),
        "png_16bit": _encode(Image.fromarray(image.astype(np.uint16) * 257), "PNG"),
        "png_palette": _encode(gray.convert("P"), "PNG"),
        "jpeg": _encode(gray, "JPEG", quality=90),
        "jpeg_progressive_exif": _encode(photo, "JPEG", progressive=True, exif=exif.tobytes()),
        "bmp": _encode(gray, "BMP"),
        "bmp_rgb": _encode(photo, "BMP"),
        "gif": _encode(gray, "GIF"),
        "tiff": _encode(gray, "TIFF"),
        "tiff_lzw": _encode(photo, "TIFF", compression="tiff_lzw"),
        "webp": _encode(gray, "WEBP", lossless=True),
        "ppm": _encode(photo, "PPM"),
    }


# ---- mutations: each takes the file and a random generator, returns the damaged bytes ----

def flip_bits(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for position in rng.integers(0, len(out), rng.integers(1, 17)):
        out[position] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[:int(rng.integers(0, len(data)))]


def corrupt_header(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    start = int(rng.integers(0, min(64, len(out))))
    out[start:start + int(rng.integers(1, 9))] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
    return bytes(out)


def insert_or_delete(data: bytes, rng: np.random.Generator) -> bytes:
    position = int(rng.integers(0, len(data)))
    if rng.random() < 0.5:
        return data[:position] + rng.integers(0, 256, int(rng.integers(1, 65)), dtype=np.uint8).tobytes() \
            + data[position:]
    return data[:position] + data[position + int(rng.integers(1, 65)):]


def huge_dimensions(data: bytes, rng: np.random.Generator) -> bytes:
    """Rewrite the declared width and height (PNG, GIF, BMP, JPEG) with extreme values: a bomb header."""
    width, height = (int(rng.choice([0, 1, 4097, 65535, 100_000, 2**31 - 1, int(rng.integers(0, 2**16))]))
                     for _ in range(2))
    return set_dimensions(data, width, height)


MUTATIONS: dict[str, Callable[[bytes, np.random.Generator], bytes]] = {
    "bit_flips": flip_bits, "truncation": truncate, "header": corrupt_header, "insert_delete": insert_or_delete,
    "dimensions": huge_dimensions,
}


def set_dimensions(data: bytes, width: int, height: int) -> bytes:
    """The same file declaring width x height pixels (other formats come back unchanged)."""
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        out[16:24] = struct.pack(">II", width & 0xFFFFFFFF, height & 0xFFFFFFFF)
        out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))  # a valid IHDR checksum: the size is believed
    elif data.startswith(b"GIF"):
        out[6:10] = struct.pack("<HH", width & 0xFFFF, height & 0xFFFF)
        descriptor = data.find(b"\x2c", 13)
        if descriptor > 0:
            out[descriptor + 5:descriptor + 9] = struct.pack("<HH", width & 0xFFFF, height & 0xFFFF)
    elif data.startswith(b"BM"):
        out[18:26] = struct.pack("<ii", min(width, 2**31 - 1), min(height, 2**31 - 1))
    elif data.startswith(b"\xff\xd8"):
        marker = data.find(b"\xff\xc0")
        marker = marker if marker > 0 else data.find(b"\xff\xc2")
        if marker > 0:
            out[marker + 5:marker + 9] = struct.pack(">HH", height & 0xFFFF, width & 0xFFFF)
    return bytes(out)


# ---- decompression bombs: small files declaring huge images ----

def _png(width: int, height: int, payload: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", payload) + chunk(b"IEND", b"")


def bombs() -> dict[str, bytes]:
    """Name -> a file of at most a few hundred kB that declares (or really holds) far too many pixels."""
    rows = zlib.compress(b"\x00" * (5000 + 1) * 5000, 9)  # 5000 rows of filter byte + 5000 black pixels: 25 kB
    files = {
        "png_100000x100000": _png(100_000, 100_000, zlib.compress(b"\x00" * 1000)),
        "png_5000x5000_real_data": _png(5000, 5000, rows),  # under PIL's own limit, over the SDK's
        "png_20000x20000": _png(20_000, 20_000, zlib.compress(b"\x00" * 1000)),  # over PIL's hard limit
    }
    small = seed_files()
    for side in (10_000, 65_535):  # 10000x10000 is under PIL's hard limit (it only warns), over the SDK's
        for name in ("gif", "bmp", "jpeg"):
            files[f"{name}_{side}x{side}"] = set_dimensions(small[name], side, side)
        files[f"tiff_{side}x{side}"] = _tiff_dimensions(small["tiff"], side, side)
    files["bmp_100000x100000"] = set_dimensions(small["bmp"], 100_000, 100_000)
    files["tiff_100000x100000"] = _tiff_dimensions(small["tiff"], 100_000, 100_000)
    files["webp_10000x10000"] = _webp_dimensions(small["webp"], 10_000, 10_000)
    files["webp_16384x16384"] = _webp_dimensions(small["webp"], 16_384, 16_384)
    return files


def largest_accepted() -> bytes:
    """A real 4096x4096 PNG (the SDK's limit): accepted, and the most memory one image may cost."""
    return _png(4096, 4096, zlib.compress(b"\x00" * (4096 + 1) * 4096, 9))


def _tiff_dimensions(data: bytes, width: int, height: int) -> bytes:
    """Little-endian TIFF from Pillow: rewrite the ImageWidth (256) and ImageLength (257) tags as LONGs."""
    out = bytearray(data)
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for index in range(count):
        entry = ifd + 2 + 12 * index
        tag = struct.unpack_from("<H", data, entry)[0]
        if tag in (256, 257):
            struct.pack_into("<HHII", out, entry, tag, 4, 1, width if tag == 256 else height)
    return bytes(out)


def _webp_dimensions(data: bytes, width: int, height: int) -> bytes:
    """Lossless WebP: the VP8L header packs width - 1 and height - 1 in 14 bits each."""
    out = bytearray(data)
    start = data.find(b"VP8L") + 8 + 1  # chunk tag, chunk size, then the 0x2f signature byte
    (bits,) = struct.unpack_from("<I", data, start)
    bits = (bits & ~0x0FFFFFFF) | ((width - 1) & 0x3FFF) | (((height - 1) & 0x3FFF) << 14)
    struct.pack_into("<I", out, start, bits)
    return bytes(out)
