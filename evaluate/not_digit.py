"""The not-a-digit suite: images that are not digits, made deterministically, and how well scores reject them.

Categories (every image a function of its seed; sizes and drawing as below; all read with the SDK's
own preprocessing):
- blank: black, white and uniform grey 28x28 images; near-blank ones (1-3 faint specks, a faint
  gradient) at 28x28 and 112x112.
- noise: uniform, Gaussian and salt-and-pepper noise at 28x28 and 112x112.
- shapes: one random shape on a 112x112 canvas, white on black or black on white: filled discs,
  rings, filled and outlined rectangles and triangles, random polygons, stars, crosses, line bundles.
- textures: smoothed random fields thresholded or not, stripes, checkerboards, grids, gradients.
- letters: every letter A-Z, a-z and 20 symbols in each font of FONTS, white on black, 112x112.
  LOOKALIKES (O I l S Z B G g q) are reported one by one; "letters" is the other letters only.
- photos (held out): grey crops, 48-256 px square, of the photographs scikit-image ships (PHOTOS: people,
  animals, objects, coins, the moon, the sky, micrographs). Kept out of export's digit score in every form (its
  negatives are only blank, noise, shapes and textures), so they show how the score meets a kind it never saw.
For a score (higher = more like a digit) the threshold is the 1st percentile of its values on MNIST
test, so 1% of real digits are rejected; each category reports the fraction accepted there and the
AUROC of digits vs the category.
"""

from __future__ import annotations

import functools
import logging
import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage, stats
from skimage import data as skimage_data

logger = logging.getLogger(__name__)
FONT_DIR = Path("/usr/share/fonts/truetype")  # Debian's fonts-dejavu-core and fonts-liberation
FONTS = ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSansMono.ttf",
         "liberation/LiberationSans-Regular.ttf", "liberation/LiberationSerif-Regular.ttf",
         "liberation/LiberationMono-Regular.ttf")
LOOKALIKES = ("O", "I", "l", "S", "Z", "B", "G", "g", "q")
SYMBOLS = "+-*/=#@&%?!$<>()[]{}"[:20]
CANVAS = 112
PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket", "coins", "moon", "hubble_deep_field",
          "immunohistochemistry", "retina", "cell", "clock")  # skimage.data, in the wheel: nothing downloads
REJECT_DIGITS = 0.01  # the operating point: 1% of MNIST test digits rejected
NEGATIVE_SEEDS = 100_000  # export's digit score learns from generated images from this seed on; the suite uses fewer


def _blank(seed: int) -> np.ndarray:
    rng, kind = np.random.default_rng(seed), seed % 5
    if kind < 3:
        return np.full((28, 28), (0, 255, int(rng.integers(1, 255)))[kind], dtype=np.uint8)
    size = 28 if seed % 2 else CANVAS
    image = np.zeros((size, size))
    if kind == 3:  # faint specks
        for _ in range(int(rng.integers(1, 4))):
            image[rng.integers(size), rng.integers(size)] = rng.uniform(20, 60)
    else:  # a faint gradient
        image = np.linspace(0, rng.uniform(10, 40), size)[None, :] * np.ones((size, 1))
    return image.astype(np.uint8)


def _noise(seed: int) -> np.ndarray:
    rng, kind = np.random.default_rng(seed), seed % 3
    size = 28 if seed % 2 else CANVAS
    if kind == 0:
        return rng.integers(0, 256, (size, size), dtype=np.uint8)
    if kind == 1:
        return np.clip(rng.normal(128, 50, (size, size)), 0, 255).astype(np.uint8)
    return ((rng.random((size, size)) < rng.uniform(0.05, 0.3)) * 255).astype(np.uint8)


def _shape(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(image)
    centre, size = rng.uniform(35, 77, 2), rng.uniform(20, 45)
    box = [centre[0] - size, centre[1] - size, centre[0] + size, centre[1] + size]
    width = int(rng.integers(3, 12))
    points = [tuple(centre + size * np.array([np.cos(a), np.sin(a)])) for a in rng.uniform(0, 2 * np.pi, 3)]
    kind = seed % 9
    if kind == 0:
        draw.ellipse(box, fill=255)
    elif kind == 1:
        draw.ellipse(box, outline=255, width=width)
    elif kind in (2, 3):
        draw.rectangle(box, fill=255 if kind == 2 else None, outline=255, width=width)
    elif kind in (4, 5):
        draw.polygon(points, fill=255 if kind == 4 else None, outline=255, width=width)
    elif kind == 6:
        corners = [tuple(p) for p in rng.uniform(15, 97, (int(rng.integers(5, 9)), 2))]
        draw.polygon(corners, fill=255)
    elif kind == 7:
        angles = np.linspace(0, 2 * np.pi, 11)[:-1] + rng.uniform(0, 1)
        radii = np.where(np.arange(10) % 2, size / 2.5, size)
        tips = [tuple(centre + r * np.array([np.cos(a), np.sin(a)])) for a, r in zip(angles, radii, strict=True)]
        draw.polygon(tips, fill=255)
    else:
        for _ in range(int(rng.integers(2, 5))):  # crossing lines
            draw.line([tuple(p) for p in rng.uniform(10, 102, (2, 2))], fill=255, width=width)
    pixels = np.asarray(image)
    return 255 - pixels if rng.random() < 0.5 else pixels


def _texture(seed: int) -> np.ndarray:
    rng, kind = np.random.default_rng(seed), seed % 5
    y, x = np.mgrid[0:CANVAS, 0:CANVAS] / CANVAS
    if kind == 0:
        field = ndimage.gaussian_filter(rng.normal(size=(CANVAS, CANVAS)), rng.uniform(2, 8))
        field = (field - field.min()) / (np.ptp(field) + 1e-12)
        return ((field > 0.5) * 255 if seed % 2 else field * 255).astype(np.uint8)
    angle, period = rng.uniform(0, np.pi), rng.uniform(0.05, 0.25)
    if kind == 1:
        return ((np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / period) > 0) * 255).astype(np.uint8)
    if kind == 2:
        return (((x // period + y // period) % 2) * 255).astype(np.uint8)
    if kind == 3:
        return (((x % period < period / 4) | (y % period < period / 4)) * 255).astype(np.uint8)
    return ((x * np.cos(angle) + y * np.sin(angle)) * 180).clip(0, 255).astype(np.uint8)


@functools.cache
def _photo(name: str) -> np.ndarray:
    image = getattr(skimage_data, name)()
    if image.ndim == 3:
        return np.asarray(Image.fromarray(image[..., :3]).convert("L"))
    return np.asarray(image, dtype=np.uint8)


def _photo_crop(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    photo = _photo(PHOTOS[seed % len(PHOTOS)])
    size = int(min(rng.integers(48, 257), *photo.shape))
    top, left = (int(rng.integers(0, photo.shape[axis] - size + 1)) for axis in (0, 1))
    return np.ascontiguousarray(photo[top : top + size, left : left + size])


Font = Callable[[int], "ImageFont.FreeTypeFont | ImageFont.ImageFont"]  # size in px -> a font


def _glyph(character: str, font: Font) -> np.ndarray:
    image = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(image).text((CANVAS / 2, CANVAS / 2), character, fill=255, font=font(80), anchor="mm")
    return np.asarray(image)


def fonts() -> list[Font]:
    """The suite's fonts: FONTS where Debian's packages installed them; without any of them (macOS, Windows, a
    slim container) Pillow's own bundled font, with a warning: the figures then differ from the card's."""
    found = [FONT_DIR / name for name in FONTS if (FONT_DIR / name).is_file()]
    if len(found) < len(FONTS):
        logger.warning("the not-a-digit and printed-digit suites use %d of their %d fonts (install Debian's "
                       "fonts-dejavu-core and fonts-liberation for all of them)%s", len(found), len(FONTS),
                       "" if found else "; using Pillow's bundled font instead")
    if not found:
        return [lambda size: ImageFont.load_default(size)]
    return [functools.partial(ImageFont.truetype, str(path)) for path in found]


def negatives(per_kind: int, first_seed: int = NEGATIVE_SEEDS) -> list[np.ndarray]:
    """Non-digits for export's digit score to learn from: blank, noise, shapes and textures drawn from seeds
    the suite never uses (from `first_seed` on), and no letters or symbols, which the suite keeps unseen."""
    return [make(seed) for make in (_blank, _noise, _shape, _texture)
            for seed in range(first_seed, first_seed + per_kind)]


def corpus(per_kind: int = 200) -> dict[str, list[np.ndarray]]:
    """The suite's images by category: blank, noise, shapes, textures, letters (non-lookalike letters),
    symbols, and one category per lookalike letter ("letter_O", ...)."""
    if per_kind > NEGATIVE_SEEDS:
        raise ValueError(f"per_kind must be at most {NEGATIVE_SEEDS} (the seeds after it train the digit score), "
                         f"got {per_kind}")
    made: dict[str, Callable[[int], np.ndarray]] = {"blank": _blank, "noise": _noise, "shapes": _shape,
                                                    "textures": _texture}
    images = {name: [make(seed) for seed in range(per_kind)] for name, make in made.items()}
    images["photos"] = [_photo_crop(seed) for seed in range(per_kind)]
    faces = fonts()
    others = [c for c in string.ascii_letters if c not in LOOKALIKES]
    images["letters"] = [_glyph(c, f) for f in faces for c in others]
    images["symbols"] = [_glyph(c, f) for f in faces for c in SYMBOLS]
    for letter in LOOKALIKES:
        images[f"letter_{letter}"] = [_glyph(letter, f) for f in faces]
    return images


def separation(digit_scores: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per category: the fraction accepted at the threshold that rejects REJECT_DIGITS of the digits, and the
    AUROC of digits (positives) vs the category; plus the threshold itself under "threshold"."""
    threshold = float(np.quantile(digit_scores, REJECT_DIGITS))
    report: dict[str, dict[str, float]] = {"threshold": {"value": threshold,
                                                         "digits_accepted": float(np.mean(digit_scores >= threshold))}}
    for name, values in scores.items():
        report[name] = {"accepted": float(np.mean(values >= threshold)), "auroc": auroc(digit_scores, values)}
    return report


def auroc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U / n1 n2)."""
    ranks = stats.rankdata(np.concatenate([positives, negatives]))
    u = ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2
    return float(u / (len(positives) * len(negatives)))
