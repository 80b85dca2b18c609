"""Sizes and channels: grey from RGB exactly as Pillow makes it, the resize policies, and a package without torch."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imagedata.convert import check_options, fit_array, to_channels
from infogan_sdk.errors import DataSetError
from tests.imagedata.make import images

PACKAGE = Path(__file__).resolve().parents[2] / "imagedata"


def test_grey_from_rgb_is_pillows_and_rgb_from_grey_repeats() -> None:
    rgb = images(5, 6, channels=3, seed=2) * 2
    grey = to_channels(rgb, 1)
    expected = np.stack([np.asarray(Image.fromarray(image, "RGB").convert("L")) for image in rgb])
    np.testing.assert_array_equal(grey, expected)
    np.testing.assert_array_equal(to_channels(grey, 3), np.repeat(grey[..., None], 3, axis=3))
    assert to_channels(grey, 1) is grey and to_channels(rgb, None) is rgb


def test_fit_array_keeps_an_array_that_fits_and_resizes_one_that_does_not() -> None:
    pictures = images(4, 8)
    assert fit_array(pictures, 8, 1, "", "x") is pictures  # a memory-mapped array stays mapped
    flat = np.full((2, 8, 8), 90, np.uint8)
    np.testing.assert_array_equal(fit_array(flat, 4, None, "resize", "x"), np.full((2, 4, 4), 90, np.uint8))
    with pytest.raises(DataSetError, match="x: image is 8x8, expected 4x4: choose a resize policy"):
        fit_array(pictures, 4, None, "", "x")


@pytest.mark.parametrize(("size", "channels", "policy", "message"), [
    (0, None, "", "image size must be 1 to 4096"), (None, 2, "", "channels must be 1"),
    (None, None, "stretch", "resize policy must be one of")])
def test_options_are_checked(size: int | None, channels: int | None, policy: str, message: str) -> None:
    with pytest.raises(DataSetError, match=message):
        check_options(size, channels, policy)


def test_the_package_never_imports_torch() -> None:
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name.split(".")[0] in ("torch", "train", "export", "evaluate") for name in names), path
