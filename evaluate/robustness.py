"""The robustness suite: MNIST test digits made to look like what users pass, read through `Encoder.infer`.

Every variant is a pure function of (the test image, its index), so the suite is the same on every run.
"Scan" means the digit enlarged x4 (bilinear) to 112x112, the resolution a phone photo or a scanner
gives a digit; images go to the SDK as PNG or JPEG bytes (or arrays where said) with the SDK's own
preprocessing ("auto"), as a user would pass them.
- plain: the 28x28 test image as it is.
- scan_jpeg: the scan inverted (dark ink on light paper) on a 200x160 off-white RGB canvas at an
  offset, JPEG quality 75.
- off_centre: the scan (white on black) pasted at a seeded position on a black 300x200 canvas.
- rotated: the 28x28 image rotated by +15 degrees (even indices) or -15 (odd), bilinear.
- thinner / thicker: the digit enlarged x2 (56x56) and inverted, under a 5x5 maximum / minimum filter
  (light paper grows into the ink / the ink into the paper: 2 pixels there, one MNIST pixel, off or
  onto each side of every stroke).
- blurred: the 28x28 image under a Gaussian blur of radius 1 pixel.
- low_res_12 / low_res_8: the 28x28 image reduced to 12x12 / 8x8 (box filter) and scaled back (bilinear).
- grey_paper: the scan as grey ink (level 90) on grey paper (level 170) with seeded Gaussian noise of
  sd 20, a PNG.
Two kinds are not made from MNIST (`drawn`): what users also pass, with the digit they mean.
- printed: 0-9 in each font of the not-a-digit suite (`evaluate.not_digit.FONTS`), dark ink (level 30) on light
  paper (235), at 60, 100 and 150 px on a 200x200 page, turned by -6, 0 and +6 degrees (630 PNGs).
- plain_strokes: a straight stroke, 6-30 px wide (every 4 px), 120-260 px long, upright or tilted by up to
  8 degrees either way, dark on a light 300x300 page: a 1 (245 PNGs).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from evaluate import not_digit
from infogan_sdk import Encoder
from infogan_sdk.encoder import decide_is_digit

SCAN = 4  # scan resolution: x4 the MNIST image


def _scan(image: np.ndarray, scale: int = SCAN) -> Image.Image:
    return Image.fromarray(image).resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR)


def _inverted_scan(image: np.ndarray, scale: int = SCAN) -> Image.Image:
    return Image.fromarray(255 - np.asarray(_scan(image, scale)))


def _encoded(image: Image.Image, kind: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def _scan_jpeg(image: np.ndarray, index: int) -> bytes:
    canvas = Image.new("RGB", (200, 160), (236, 232, 222))
    rng = np.random.default_rng(index)
    canvas.paste(_inverted_scan(image).convert("RGB"), (int(rng.integers(0, 88)), int(rng.integers(0, 48))))
    return _encoded(canvas, "JPEG", quality=75)


def _off_centre(image: np.ndarray, index: int) -> bytes:
    canvas = Image.new("L", (300, 200), 0)
    rng = np.random.default_rng(index)
    canvas.paste(_scan(image), (int(rng.integers(0, 188)), int(rng.integers(0, 88))))
    return _encoded(canvas, "PNG")


def _rotated(image: np.ndarray, index: int) -> np.ndarray:
    angle = 15 if index % 2 == 0 else -15
    return np.asarray(Image.fromarray(image).rotate(angle, Image.Resampling.BILINEAR))


def _filtered(image: np.ndarray, index: int, grow_paper: bool) -> bytes:
    size_filter = ImageFilter.MaxFilter(5) if grow_paper else ImageFilter.MinFilter(5)
    return _encoded(_inverted_scan(image, 2).filter(size_filter), "PNG")


def _low_res(image: np.ndarray, size: int) -> np.ndarray:
    small = Image.fromarray(image).resize((size, size), Image.Resampling.BOX)
    return np.asarray(small.resize((28, 28), Image.Resampling.BILINEAR))


def _grey_paper(image: np.ndarray, index: int) -> bytes:
    ink = np.asarray(_scan(image), dtype=np.float64) / 255  # 1 where the ink is
    noise = np.random.default_rng(index).normal(0, 20, ink.shape)
    grey = 170 - ink * (170 - 90) + noise
    return _encoded(Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8)), "PNG")


Variant = Callable[[np.ndarray, int], "bytes | np.ndarray"]
VARIANTS: dict[str, Variant] = {
    "plain": lambda image, index: image,
    "scan_jpeg": _scan_jpeg,
    "off_centre": _off_centre,
    "rotated": _rotated,
    "thinner": lambda image, index: _filtered(image, index, grow_paper=True),
    "thicker": lambda image, index: _filtered(image, index, grow_paper=False),
    "blurred": lambda image, index: np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(1))),
    "low_res_12": lambda image, index: _low_res(image, 12),
    "low_res_8": lambda image, index: _low_res(image, 8),
    "grey_paper": _grey_paper,
}


PAPER, INK = 235, 30  # the drawn kinds: dark ink on light paper


def _printed() -> tuple[list[bytes], np.ndarray]:
    images, digits = [], []
    for face in not_digit.fonts():
        for size in (60, 100, 150):
            font = face(size)
            for angle in (-6, 0, 6):
                for digit in range(10):
                    page = Image.new("L", (200, 200), PAPER)
                    ImageDraw.Draw(page).text((100, 100), str(digit), fill=INK, font=font, anchor="mm")
                    images.append(_encoded(page.rotate(angle, Image.Resampling.BILINEAR, fillcolor=PAPER), "PNG"))
                    digits.append(digit)
    return images, np.asarray(digits)


def _plain_strokes() -> tuple[list[bytes], np.ndarray]:
    images = []
    for width in range(6, 31, 4):
        for length in (120, 190, 260):
            for angle in (-8, -4, 0, 4, 8):
                page = Image.new("L", (300, 300), PAPER)
                top, bottom = 150 - length / 2, 150 + length / 2
                ImageDraw.Draw(page).rectangle((150 - width / 2, top, 150 + width / 2, bottom), fill=INK)
                images.append(_encoded(page.rotate(angle, Image.Resampling.BILINEAR, fillcolor=PAPER), "PNG"))
    return images, np.ones(len(images), dtype=np.int64)


DRAWN: dict[str, Callable[[], tuple[list[bytes], np.ndarray]]] = {"printed": _printed,
                                                                   "plain_strokes": _plain_strokes}


def drawn(kind: str) -> tuple[list[bytes], np.ndarray]:
    """The `kind` images of DRAWN (PNG bytes) and the digit each shows."""
    return DRAWN[kind]()


def variant_inputs(kind: str, images: np.ndarray, indices: np.ndarray) -> list[bytes | np.ndarray]:
    """The `kind` variant of each (28, 28) uint8 image; `indices` (their MNIST test indices) seed the variant."""
    make = VARIANTS[kind]
    return [make(image, int(index)) for image, index in zip(images, indices, strict=True)]


def seeded_sample(length: int, count: int, seed: int = 0) -> np.ndarray:
    """`count` indices into `length` images, drawn without replacement from the seed, sorted: the suite's digits."""
    return np.sort(np.random.default_rng(seed).permutation(length)[:count])


def robustness(encoder: Encoder, images: np.ndarray, labels: np.ndarray, code_to_digit: np.ndarray,
               count: int = 2000, seed: int = 0, threshold: float | None = None,
               chunk: int = 500) -> dict[str, dict[str, float]]:
    """{"robustness": accuracy per variant kind} on `count` seeded MNIST test images (the same images for every
    kind), and with a not-a-digit threshold {"robustness_is_digit": the fraction `is_digit` accepts per kind}.

    code_to_digit maps the encoder's raw categorical values to digits (the mapping being described).
    """
    indices = seeded_sample(len(images), count, seed)
    accuracy, accepted = {}, {}
    for kind in VARIANTS:
        correct = digits = 0
        for start in range(0, len(indices), chunk):
            rows = indices[start : start + chunk]
            read = encoder.infer(variant_inputs(kind, images[rows], rows))
            correct += int(np.sum(code_to_digit[read.codes[:, 0]] == labels[rows]))
            if threshold is not None and read.digit_score is not None:
                digits += int(decide_is_digit(read.digit_score, read.images, threshold).sum())
        accuracy[kind], accepted[kind] = correct / len(indices), digits / len(indices)
    for kind in DRAWN:
        inputs, wanted = drawn(kind)
        read = encoder.infer(inputs)
        accuracy[kind] = float(np.mean(code_to_digit[read.codes[:, 0]] == wanted))
        if threshold is not None and read.digit_score is not None:
            accepted[kind] = float(decide_is_digit(read.digit_score, read.images, threshold).mean())
    return {"robustness": accuracy, **({"robustness_is_digit": accepted} if threshold is not None else {})}
