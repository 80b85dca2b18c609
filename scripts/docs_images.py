"""Regenerate the README's sample images from the bundled models: python scripts/docs_images.py"""

from pathlib import Path

import numpy as np
from PIL import Image

from infogan_sdk import Generator
from infogan_sdk.images import grid

DOCS = Path(__file__).resolve().parents[1] / "docs"


def traversal(generator: Generator, code: str) -> Image.Image:
    """One row per digit, the named continuous code swept from -2 to 2, the other codes at 0."""
    rows = [generator.traverse(digit=d, code=code, values=np.linspace(-2, 2, 9), seed=d).images for d in range(10)]
    return grid(np.concatenate(rows), columns=9)


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


if __name__ == "__main__":
    main()
