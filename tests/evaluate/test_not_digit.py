"""The not-a-digit suite's images and export's negatives: deterministic, and never the same images."""

import numpy as np
import pytest

from evaluate import not_digit

pytestmark = pytest.mark.slow  # renders the suite's letters in seven fonts


def test_negatives_are_the_generated_kinds_from_seeds_the_suite_never_draws():
    negatives = not_digit.negatives(6)
    assert len(negatives) == 4 * 6  # blank, noise, shapes, textures; no letters or symbols
    again = not_digit.negatives(6)
    assert all(np.array_equal(a, b) for a, b in zip(negatives, again, strict=True))
    suite = not_digit.corpus(per_kind=6)
    drawn = [image for kind in ("noise", "shapes", "textures") for image in suite[kind]]
    assert not any(a.shape == b.shape and np.array_equal(a, b) for a in negatives[6:] for b in drawn)
    with pytest.raises(ValueError, match="per_kind must be at most 100000"):
        not_digit.corpus(per_kind=not_digit.NEGATIVE_SEEDS + 1)


def test_without_debian_fonts_the_letters_come_from_pillows_own_font(monkeypatch, tmp_path, caplog):
    """Issue 22 item 14: export (which describes) failed on machines without Debian's font packages."""
    monkeypatch.setattr(not_digit, "FONT_DIR", tmp_path)
    made = not_digit.corpus(per_kind=2)
    assert len(made["letters"]) == 52 - len(not_digit.LOOKALIKES)  # one font: each other letter once
    assert all(image.max() == 255 for image in made["letters"])  # each letter drew ink
    assert "using Pillow's bundled font" in caplog.text
