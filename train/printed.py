"""Printed digits for stage 2: 0-9 rendered in fonts the evaluation never uses, read as the SDK reads a page.

A printed 1 has a flag and a foot that no handwritten MNIST 1 has, and read as a 2 (62 of 63 in the robustness
suite's printed kind). These are synthetic digits whose label is the character drawn, not MNIST labels. The fonts
are Debian's fonts-freefont-ttf and fonts-urw-base35 (the suite renders DejaVu and Liberation, so its printed kind
stays unseen); without them the bank is empty and the reader trains without printed digits, with a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from infogan_sdk.images.decode import read_images

logger = logging.getLogger(__name__)
FONTS = ("truetype/freefont/FreeSans.ttf", "truetype/freefont/FreeSansBold.ttf", "truetype/freefont/FreeSerif.ttf",
         "truetype/freefont/FreeSerifBold.ttf", "truetype/freefont/FreeMono.ttf", "truetype/freefont/FreeMonoBold.ttf",
         "opentype/urw-base35/NimbusSans-Regular.otf", "opentype/urw-base35/NimbusSans-Bold.otf",
         "opentype/urw-base35/NimbusRoman-Regular.otf", "opentype/urw-base35/NimbusMonoPS-Regular.otf",
         "opentype/urw-base35/URWGothic-Book.otf", "opentype/urw-base35/C059-Roman.otf",
         "opentype/urw-base35/P052-Roman.otf", "opentype/urw-base35/URWBookman-Light.otf")
FONT_DIR = Path("/usr/share/fonts")
SIZES = (50, 80, 120)  # px on a 160x160 page
ANGLES = (-8.0, -3.0, 3.0, 8.0)  # degrees


def printed_bank(font_dir: Path = FONT_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28) as the SDK's preprocessing makes them, digits int64 (N,)); N = fonts x 10 x
    sizes x angles, dark ink on light paper before preprocessing."""
    images, characters = printed_characters("0123456789", font_dir)
    return images, np.asarray([int(c) for c in characters], dtype=np.int64)


def printed_characters(characters: str, font_dir: Path = FONT_DIR) -> tuple[np.ndarray, list[str]]:
    """Each character in each font, size and angle: (images uint8 (N, 28, 28) as the SDK's preprocessing makes
    them, the character each shows). Export's digit score also learns from letters and symbols made here, in
    these fonts, which the not-a-digit suite's letters (DejaVu, Liberation) never use."""
    paths = [font_dir / name for name in FONTS if (font_dir / name).is_file()]
    if len(paths) < len(FONTS):
        logger.warning("printed characters: %d of %d fonts found (apt-get install fonts-freefont-ttf "
                       "fonts-urw-base35)", len(paths), len(FONTS))
    pages, shown = [], []
    for path in paths:
        for size in SIZES:
            font = ImageFont.truetype(str(path), size)
            for angle in ANGLES:
                for character in characters:
                    page = Image.new("L", (160, 160), 235)
                    ImageDraw.Draw(page).text((80, 80), character, fill=30, font=font, anchor="mm")
                    pages.append(np.asarray(page.rotate(angle, Image.Resampling.BILINEAR, fillcolor=235)))
                    shown.append(character)
    if not pages:
        return np.zeros((0, 28, 28), np.uint8), []
    return read_images(pages, (28, 28), "auto"), shown
