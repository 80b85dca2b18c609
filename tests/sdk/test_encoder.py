"""Encoder.infer on the tiny planted models: results, code_to_digit mapping, input kinds, chunking, errors."""

from __future__ import annotations

import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_sdk import Encoder, Generator, InferResult, InvalidInputError

from .tiny_models import REVERSED, code_row


def planted(code: int) -> np.ndarray:
    """A 28x28 uint8 image the tiny encoder reads as categorical value `code` (dark border: passes through)."""
    image = np.zeros((28, 28), dtype=np.uint8)
    image[code_row(code), 4:24] = 255
    return image


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_infer_returns_typed_arrays(encoder: Encoder) -> None:
    batch = np.stack([planted(0), planted(5)])
    result = encoder.infer(batch)
    batch[0, 0, 0] = 1  # the caller's array is not frozen with the result
    assert result.images[0, 0, 0] == 0
    assert isinstance(result, InferResult) and len(result) == 2
    assert result.digits.dtype == np.int64 and result.digits.shape == (2,)
    assert result.probabilities.dtype == np.float32 and result.probabilities.shape == (2, 10)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert result.codes.shape == (2, 1) and result.codes.dtype == np.int64
    assert result.continuous.dtype == np.float32 and result.continuous.shape == (2, 2)
    assert result.continuous_std is not None
    np.testing.assert_allclose(result.continuous_std, np.exp(-1.0), rtol=1e-5)  # planted log std -1
    assert result.realness.dtype == np.float32 and result.realness.shape == (2,)
    np.testing.assert_array_equal(result.images[1], planted(5))


def test_code_to_digit_mapping_is_applied_to_digits_and_probability_columns(encoder: Encoder) -> None:
    result = encoder.infer(np.stack([planted(code) for code in range(10)]))
    assert result.codes[:, 0].tolist() == list(range(10))
    assert result.digits.tolist() == REVERSED == [9 - code for code in range(10)]
    assert result.probabilities.argmax(axis=1).tolist() == result.digits.tolist()  # columns indexed by digit
    assert result.probabilities[0, 9] > 0.99  # code 0 is digit 9


def test_generator_to_encoder_round_trip(generator: Generator, encoder: Encoder) -> None:
    digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 7]
    images = generator.generate(digits=digits, rotation=0.5, width=-0.5, seed=0).images
    result = encoder.infer(images)
    assert result.digits.tolist() == digits
    np.testing.assert_allclose(result.continuous, np.tile(np.tanh([0.5, -0.5]), (12, 1)), atol=0.01)


def test_plain_model_without_log_std(plain_dir: Path) -> None:
    result = Encoder(plain_dir, device="cpu").infer(planted(4))
    assert result.continuous_std is None
    assert result.codes.shape == (1, 2) and result.digits.tolist() == [4]  # identity mapping
    assert result.continuous.shape == (1, 1)


def test_every_input_kind_reads_the_same(encoder: Encoder, tmp_path: Path) -> None:
    image = planted(3)
    path = tmp_path / "three.png"
    path.write_bytes(png_bytes(image))
    inputs = [image, str(path), path, png_bytes(image), Image.fromarray(image), image.astype(np.int64),
              image.astype(np.float32) / 255, Image.fromarray(image).convert("RGB")]
    result = encoder.infer(inputs)
    assert len(result) == len(inputs) and result.digits.tolist() == [REVERSED[3]] * len(inputs)
    for seen in result.images:
        np.testing.assert_array_equal(seen, image)
    mixed = encoder.infer([np.stack([planted(1), planted(2)]), image])  # an (N, H, W) array inside a list
    assert mixed.codes[:, 0].tolist() == [1, 2, 3]
    assert encoder.infer(image).digits.tolist() == [REVERSED[3]]  # a single (H, W) array


def test_chunked_inference_equals_one_batch(model_dir: Path, encoder: Encoder, generator: Generator) -> None:
    images = generator.generate(count=40, seed=2).images
    chunked = Encoder(model_dir, device="cpu", chunk_size=3).infer(images)
    whole = encoder.infer(images)
    for name in ("digits", "probabilities", "continuous", "realness"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))


def test_infer_is_thread_safe(encoder: Encoder, generator: Generator) -> None:
    batches = [generator.generate(count=5, seed=seed).images for seed in range(24)]
    expected = [encoder.infer(batch).probabilities for batch in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda batch: encoder.infer(batch).probabilities, batches))
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_array_equal(have, want)


def test_preprocess_none_requires_model_size(encoder: Encoder) -> None:
    assert encoder.infer(planted(2), preprocess="none").codes[0, 0] == 2
    with pytest.raises(InvalidInputError, match=r"input 0: preprocess='none' needs 28x28 images, got \(40, 30\)"):
        encoder.infer(np.zeros((40, 30), np.uint8), preprocess="none")
    with pytest.raises(InvalidInputError, match=r"preprocess must be one of \['auto', 'mnist', 'none'\], got 'x'"):
        encoder.infer(planted(2), preprocess="x")


def fake_png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (its data is a stub): refused before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + \
        chunk(b"IEND", b"")


def test_decompression_bombs_are_refused(encoder: Encoder) -> None:
    with pytest.raises(InvalidInputError, match=r"input 0 \(bytes\): 5000x5000 pixels is more than the 16777216"):
        encoder.infer(fake_png_header(5000, 5000))
    with pytest.raises(InvalidInputError, match=r"input 1 \(bytes\): refused as a decompression bomb"):
        encoder.infer([planted(0), fake_png_header(20000, 20000)])  # beyond PIL's own hard limit
    with pytest.raises(InvalidInputError, match="pixels is more than"):
        encoder.infer(np.zeros((5000, 4000), np.uint8)[::1, ::1])


def test_unreadable_and_truncated_files_name_the_input(encoder: Encoder, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(InvalidInputError, match=r"input 1 \('.*notes\.png'\): cannot read it as an image"):
        encoder.infer([planted(0), text])
    with pytest.raises(InvalidInputError) as refused:  # bytes: Pillow's message names its buffer object
        encoder.infer(b"not an image")
    assert "none of the formats read here" in str(refused.value) and " object at 0x" not in str(refused.value)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(png_bytes(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))[:300])
    with pytest.raises(InvalidInputError, match=r"input 0 \('.*cut\.png'\): cannot read it as an image"):
        encoder.infer(truncated)
    with Image.open(truncated) as lazy, pytest.raises(InvalidInputError, match="input 0: cannot read it as an image"):
        encoder.infer(lazy)  # a PIL image whose pixels are only read (and found missing) by the SDK
    with pytest.raises(InvalidInputError, match=r"input 0 \('.*missing\.png'\): no such file"):
        encoder.infer(str(tmp_path / "missing.png"))


BAD_IMAGES = [
    (np.full((28, 28), np.nan, np.float32), "input 0: image contains NaN or infinity; expected floats in"),
    (np.full((28, 28), 2.0), r"input 0: float images must be in \[0, 1\], got \[2, 2\]"),
    (np.full((28, 28), 300, np.int32), r"input 0: integer images must be in \[0, 255\], got \[300, 300\]"),
    (np.zeros((28, 28), bool), "input 0: expected uint8, integers in .* or floats in .* got bool"),
    (np.zeros((1, 1, 28, 28), np.uint8), r"input 0: arrays must be \(H, W\) or \(N, H, W\) grayscale, got shape"),
    (np.zeros((28, 0), np.uint8), r"input 0: the image is empty \(0x28 pixels\)"),
    ([planted(0), 5], "input 1: expected a path, bytes, a PIL image or a numpy array, got int"),
    ([], "expected at least one image, got none"),
    (np.zeros((0, 28, 28), np.float32), "expected at least one image, got none"),
]


@pytest.mark.parametrize(("images", "message"), BAD_IMAGES, ids=[str(i) for i in range(len(BAD_IMAGES))])
def test_bad_images_raise_invalid_input(encoder: Encoder, images: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        encoder.infer(images)  # type: ignore[arg-type]


@pytest.mark.parametrize("channels", [3, 4])
def test_a_colour_array_is_refused_as_ambiguous_not_read_as_many_images(encoder: Encoder, channels: int) -> None:
    photo = np.zeros((100, 100, channels), dtype=np.uint8)  # np.asarray(an RGB or RGBA PIL image)
    mode = "RGB" if channels == 3 else "RGBA"
    with pytest.raises(InvalidInputError, match=rf"input 0: an array of shape \(100, 100, {channels}\) is ambiguous: "
                       rf"it looks like one {mode} image.*PIL.Image.fromarray"):
        encoder.infer(photo)
    with pytest.raises(InvalidInputError, match="input 1: an array of shape"):
        encoder.infer([planted(2), photo])


def test_the_same_colour_image_as_pil_is_one_image(encoder: Encoder) -> None:
    grey = planted(REVERSED.index(4))
    colour = np.repeat(grey[:, :, None], 3, axis=2)
    from_pil = encoder.infer(Image.fromarray(colour))
    assert len(from_pil) == 1 and from_pil.digits.tolist() == [4]
    np.testing.assert_array_equal(from_pil.images[0], encoder.infer(grey).images[0])


def test_grey_arrays_keep_their_meaning(encoder: Encoder) -> None:
    assert len(encoder.infer(planted(1))) == 1  # (H, W): one image
    assert len(encoder.infer(np.stack([planted(1)] * 5))) == 5  # (N, H, W): a batch
    assert len(encoder.infer(np.zeros((3, 28, 28), dtype=np.uint8))) == 3  # 3 grey images, not an RGB one
