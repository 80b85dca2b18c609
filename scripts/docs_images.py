"""Regenerate the docs' sample images (README, model cards) from the bundled models: python -m scripts.docs_images

The editing picture needs MNIST test digits ($INFOGAN_MNIST_DIR, or ../shared/data/mnist beside the checkout).
"""

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from evaluate.codes import NAMED
from infogan_sdk import Generator
from infogan_sdk.images.convention import grid
from mnist_data.files import load_mnist

DOCS = Path(__file__).resolve().parents[1] / "docs"


def traversal(generator: Generator, code: str) -> Image.Image:
    """One row per digit, the named continuous code swept from -2 to 2, the other codes at 0."""
    rows = [generator.traverse(digit=d, code=code, values=np.linspace(-2, 2, 9), seed=d, beyond_range=True).images
            for d in range(10)]
    return grid(np.concatenate(rows), columns=9)


MEASURE_OF = {code: measure for measure, code in NAMED.items()}  # rotation -> slant, ...
COLOURS = {"rotation": (200, 60, 40), "width": (40, 120, 200), "thickness": (30, 150, 60)}


def curves(generator: Generator) -> Image.Image | None:
    """Each named code's own measure (sd of real MNIST) over its 9-point sweep, from the manifest: a line each."""
    codes = [c for c in generator.info["continuous_codes"] if c["name"] in MEASURE_OF and "curve" in c]
    if not codes:
        return None
    width, height, margin = 360, 240, 30
    values = [v for c in codes for v in c["curve"]["sd"][MEASURE_OF[c["name"]]]]
    low, high = min(values), max(values)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((margin, margin // 2, width - margin // 2, height - margin), outline=(160, 160, 160))
    for row, code in enumerate(codes):
        curve = code["curve"]["sd"][MEASURE_OF[code["name"]]]
        points = [(margin + i * (width - 1.5 * margin) / (len(curve) - 1),
                   height - margin - (v - low) / (high - low + 1e-9) * (height - 1.5 * margin)) for i, v in
                  enumerate(curve)]
        draw.line(points, fill=COLOURS[code["name"]], width=2)
        draw.text((margin + 6, margin // 2 + 4 + 12 * row), f"{code['name']} ({MEASURE_OF[code['name']]}, sd)",
                  fill=COLOURS[code["name"]])
    draw.text((margin - 6, height - margin + 6), "-2", fill="black")
    draw.text((width - margin, height - margin + 6), "+2", fill="black")
    return image


EDIT_ROWS = ({}, {"thickness": 1.0}, {"thickness": -1.0}, {"rotation": 1.0}, {"rotation": -1.0})


def edits(generator: Generator, images: np.ndarray) -> Image.Image:
    """One column per MNIST test digit; rows: the original, its reconstruction, each edit of EDIT_ROWS after the
    first, and the digit swapped for the next one (same handwriting)."""
    read = generator.reconstruct(images, preprocess="none")
    assert read.source is not None
    rows = [images, read.images]
    rows += [generator.edit(images, continuous=change, preprocess="none").images for change in EDIT_ROWS[1:]]
    rows.append(generator.edit(images, digit=(read.source.digits + 1) % 10, preprocess="none").images)
    return grid(np.concatenate(rows), columns=len(images))


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for stale in DOCS.glob("mnist*.png"):  # both models' images; code names change with a model
        stale.unlink()
    for name in ("mnist", "mnist-unsupervised"):
        generator = Generator(name, device="cpu")
        digits = np.tile(np.arange(10), 8)
        grid(generator.generate(digits=digits, seed=0).images, columns=10).save(DOCS / f"{name}-digits.png")
        for code in generator.continuous_names:
            traversal(generator, code).save(DOCS / f"{name}-{code}.png")
        plot = curves(generator)
        if plot is not None:
            plot.save(DOCS / f"{name}-curves.png")
        if generator.can_edit:
            test_images, test_labels = load_mnist("test", _mnist_dir(), download=False)
            first = [int(np.flatnonzero(test_labels == digit)[0]) for digit in range(10)]  # one of each digit
            edits(generator, test_images[first]).save(DOCS / f"{name}-edits.png")


def _mnist_dir() -> Path:
    given = os.environ.get("INFOGAN_MNIST_DIR")
    return Path(given) if given else DOCS.parents[1] / "shared" / "data" / "mnist"


if __name__ == "__main__":
    main()
