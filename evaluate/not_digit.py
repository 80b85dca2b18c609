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
test, so 1% of real digits are rejected; each category reports the fraction accepted there, the
AUROC of digits vs the category and the fraction accepted where 95% of digits are (FPR at 95% TPR).

Held-out kinds (`held_out`): from sources that nothing of the project trains, calibrates or tunes on, read only to
report. A source that is not installed is left out (with a warning), never replaced.
- fashion: Fashion-MNIST test (clothing and shoes, 28x28 white on black: the standard out-of-distribution set for
  MNIST models), all 10,000, as arrays, from Debian's dataset-fashion-mnist.
- fashion_on_paper: its first 1,000, black on white paper at 112x112, so the SDK's MNIST-style centring runs.
- icons: every glyph of Font Awesome 4.7 (object and sign silhouettes; Debian's fonts-font-awesome), 112x112,
  white on black and every other one black on white.
- emoji: Noto Color Emoji (faces, animals, food, objects, places; Debian's fonts-noto-color-emoji), colour on white.
"""

from __future__ import annotations

import functools
import logging
import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage
from skimage import data as skimage_data

from evaluate.scores import separation as at_threshold
from mnist_data.files import IMAGES_MAGIC, read_idx

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
FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")  # Debian's dataset-fashion-mnist
ICON_FONT = FONT_DIR / "font-awesome/fontawesome-webfont.ttf"  # Debian's fonts-font-awesome (4.7: U+F000-U+F2E0)
EMOJI_FONT = FONT_DIR / "noto/NotoColorEmoji.ttf"  # Debian's fonts-noto-color-emoji (bitmaps, 109 px only)
EMOJI = (*range(0x1F300, 0x1F3FB), *range(0x1F400, 0x1F4FF), *range(0x1F600, 0x1F650), *range(0x1F680, 0x1F6C6))
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


def held_out() -> dict[str, list[np.ndarray | Image.Image]]:
    """The held-out kinds whose sources are installed (see the module's notes), by name: grey arrays, and colour
    PIL images for the emoji."""
    kinds: dict[str, list[np.ndarray | Image.Image]] = {}
    if FASHION.exists():
        fashion = read_idx(FASHION, IMAGES_MAGIC, (28, 28))
        kinds["fashion"] = list(fashion)
        kinds["fashion_on_paper"] = [_on_paper(image) for image in fashion[:1000]]
    if ICON_FONT.exists():
        font = ImageFont.truetype(str(ICON_FONT), 80)
        kinds["icons"] = [image for index, code in enumerate(range(0xF000, 0xF2E1))
                          if (image := _symbol(chr(code), font, inverted=index % 2 == 1)) is not None]
    if EMOJI_FONT.exists():
        font = ImageFont.truetype(str(EMOJI_FONT), 109)
        kinds["emoji"] = [image for code in EMOJI if (image := _emoji(chr(code), font)) is not None]
    missing = [str(path) for path in (FASHION, ICON_FONT, EMOJI_FONT) if not path.exists()]
    if missing:
        logger.warning("held-out not-a-digit kinds left out, their sources missing: %s (Debian's "
                       "dataset-fashion-mnist, fonts-font-awesome, fonts-noto-color-emoji)", ", ".join(missing))
    return kinds


def _on_paper(image: np.ndarray) -> np.ndarray:
    """A 28x28 white-on-black image as dark ink on white paper at 112x112 (what a scan or photo of it gives)."""
    return 255 - np.asarray(Image.fromarray(image).resize((CANVAS, CANVAS), Image.Resampling.BICUBIC))


def _symbol(character: str, font: ImageFont.FreeTypeFont, inverted: bool) -> np.ndarray | None:
    """One glyph, white on black at CANVAS x CANVAS (or black on white), or None where the font draws nothing."""
    image = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(image).text((CANVAS // 2, CANVAS // 2), character, font=font, fill=255, anchor="mm")
    pixels = np.asarray(image)
    if pixels.max() == 0:
        return None
    return 255 - pixels if inverted else pixels


def _emoji(character: str, font: ImageFont.FreeTypeFont) -> Image.Image | None:
    """One colour emoji on white, an RGB image of 136x136, or None where the font has no bitmap for it."""
    image = Image.new("RGB", (136, 136), "white")
    ImageDraw.Draw(image).text((68, 68), character, font=font, embedded_color=True, anchor="mm")
    return image if np.asarray(image).min() < 250 else None


def separation(digit_scores: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per category: the fraction accepted at the threshold that rejects REJECT_DIGITS of the digits, the AUROC of
    digits (positives) vs the category, and the fraction accepted at the threshold that keeps 95% of the digits
    (the literature's FPR at 95% TPR): `evaluate.scores.separation` at that threshold; plus the threshold itself
    under "threshold"."""
    threshold = float(np.quantile(digit_scores, REJECT_DIGITS))
    report: dict[str, dict[str, float]] = {"threshold": {"value": threshold,
                                                         "digits_accepted": float(np.mean(digit_scores >= threshold))}}
    return {**report, **at_threshold(digit_scores, scores, threshold)}
