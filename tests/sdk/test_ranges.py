"""Continuous codes stay in the range the model was trained on unless the caller asks to go beyond it (issue 40):
the SDK, the command line, and the drawn codes of a turned basis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_sdk import Generator, InvalidInputError
from infogan_sdk.cli import main

RANGE = r"outside the range this model was trained on, \[-1, 1\]"


@pytest.mark.parametrize("arguments", [
    {"rotation": 3.0},
    {"width": [0.5, -1.5]},
    {"continuous": [[5.0, 0.0]]},
    {"continuous": {"width": -1.01}},
])
def test_generate_refuses_codes_outside_the_trained_range(generator: Generator, arguments: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError, match=RANGE + r": give values from -1 to 1, or ask to go beyond it with "
                                                       r"beyond_range=True \(infogan: --beyond-range"):
        generator.generate(digits=[3, 4], seed=0, **arguments)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=RANGE):
        generator.latents(digits=[3, 4], seed=0, **arguments)  # type: ignore[arg-type]


def test_beyond_range_draws_them_when_asked(generator: Generator) -> None:
    out = generator.generate(digits=[3, 4], rotation=3.0, seed=0, beyond_range=True)
    np.testing.assert_array_equal(out.continuous[:, 0], [3.0, 3.0])
    assert generator.outside_range(out.continuous).tolist() == [True, True]
    inside = generator.generate(digits=3, rotation=-1.0, width=1.0, seed=0)  # the ends belong to the range
    assert generator.outside_range(inside.continuous).tolist() == [False]
    with pytest.raises(InvalidInputError, match="beyond_range must be True or False, got 'yes'"):
        generator.generate(rotation=0.5, beyond_range="yes")  # type: ignore[arg-type]


def test_a_turned_codes_range_is_what_the_trained_prior_gives_it() -> None:
    """The default model's rotation and thickness mix two network inputs (axes at 40 degrees): drawn from the square
    the network was trained on, they reach 0.766 + 0.643 = 1.41 at its corners (the pinned seed hands back thickness
    1.17). Their range says so, so that generate() hands back nothing outside it and takes its own draws back."""
    generator = Generator("mnist", device="cpu")
    assert [code.range for code in generator.continuous_codes] == [(-1.0, 1.0), (-1.4089, 1.4089), (-1.4089, 1.4089)]
    drawn = generator.latents(count=20000, seed=0)
    assert not generator.outside_range(drawn.continuous).any()
    assert np.abs(drawn.continuous[:, 1:]).max() > 1.3  # the corners are drawn: the range is not wider than needed
    assert np.abs(drawn.continuous @ generator.basis).max() <= 1.0  # the network's inputs stay in its square
    again = generator.generate(continuous=drawn.continuous[:64], noise=drawn.noise[:64], digits=0)  # taken back
    assert len(again) == 64
    with pytest.raises(InvalidInputError, match=r"thickness=1.5 is outside the range this model was trained on, "
                                                r"\[-1.4089, 1.4089\]"):
        generator.generate(thickness=1.5)
    with pytest.raises(InvalidInputError, match=r"width=1.2 is outside the range this model was trained on, \[-1, 1\]"):
        generator.generate(width=1.2)


def test_traverse_sweeps_beyond_by_default_and_refuses_given_values_outside(generator: Generator) -> None:
    swept = generator.traverse(digit=3, code="width", seed=0)
    assert swept.continuous[:, 1].min() == pytest.approx(-2) and swept.continuous[:, 1].max() == pytest.approx(2)
    assert generator.outside_range(swept.continuous).tolist() == [True] * 3 + [False] * 4 + [True] * 3
    with pytest.raises(InvalidInputError, match=r"width=-2 \(and 1 more of the 3 values given\) is " + RANGE):
        generator.traverse(digit=3, code="width", values=[-2.0, 0.0, 2.0], seed=0)
    wide = generator.traverse(digit=3, code="width", values=[-2.0, 0.0, 2.0], seed=0, beyond_range=True)
    np.testing.assert_array_equal(wide.continuous[:, 1], [-2.0, 0.0, 2.0])


def test_edit_refuses_a_change_wider_than_the_range_before_reading_the_images() -> None:
    generator = Generator("mnist", device="cpu")
    seven = generator.generate(digits=7, seed=0).images[0]
    with pytest.raises(InvalidInputError, match=r"changing thickness by \+5 moves it further than the range this model "
                                                r"was trained on, \[-1.4089, 1.4089\], is wide \(2.8178\).*"
                                                r"beyond_range=True"):
        generator.edit(b"not an image", thickness=5.0)  # refused for the change, before the bytes are read
    assert generator.edit(seven, thickness=[-2.0, 1.0]).images.shape == (2, 28, 28)  # within the range's width
    far = generator.edit(seven, thickness=5.0, beyond_range=True)
    assert far.continuous[0, 2] == pytest.approx(far.source.continuous[0, 2] + 5.0, abs=1e-5)  # type: ignore[union-attr]


def test_misspelt_code_names_get_a_suggestion(generator: Generator) -> None:
    with pytest.raises(InvalidInputError, match=r"no continuous code named 'rotaton' \(did you mean 'rotation'\?\); "
                                                r"its codes are \['rotation', 'width'\]"):
        generator.generate(continuous={"rotaton": 0.5})
    with pytest.raises(InvalidInputError, match=r"got 'widht' \(did you mean 'width'\?\)"):
        generator.traverse(code="widht")
    with pytest.raises(InvalidInputError, match=r"named 'zzz'; its codes are"):  # nothing close: no guess
        generator.generate(continuous={"zzz": 0.5})


# --- the command line ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["generate", "--rotation", "3"],
    ["generate", "--continuous=0.5,-2"],
    ["traverse", "--code", "rotation", "--values=-3,0,3"],
])
def test_the_cli_refuses_codes_outside_the_range_before_drawing(model_dir: Path, tmp_path: Path, argv: list[str],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out.png"
    assert main(["--model", str(model_dir), *argv, "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert ("outside the range this model was trained on, [-1, 1]: give values from -1 to 1, or ask to go beyond it "
            "with beyond_range=True (infogan: --beyond-range") in err, err
    assert not output.exists()
    assert main(["--model", str(model_dir), *argv, "--beyond-range", "-o", str(output)]) == 0
    assert output.exists()


def test_cli_traverse_says_when_its_sweep_leaves_the_range(model_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(model_dir), "traverse", "--code", "width", "-o", str(tmp_path / "a.png")]) == 0
    assert ("6 of the 10 images lie outside the range the model was trained on, [-1, 1] (the sweep runs from -2 to 2)"
            in capsys.readouterr().err)
    assert main(["--model", str(model_dir), "traverse", "--values=-1,0,1", "-o", str(tmp_path / "b.png")]) == 0
    assert "outside the range" not in capsys.readouterr().err  # inside it: nothing to say


def test_cli_edit_refuses_a_change_wider_than_the_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seven = tmp_path / "seven.png"
    Image.fromarray(Generator("mnist", device="cpu").generate(digits=7, seed=0).images[0]).save(seven)
    argv = ["edit", str(seven), "--width", "3", "-o", str(tmp_path / "e.png")]
    assert main(argv) == 1 and not (tmp_path / "e.png").exists()
    assert ("changing width by +3 moves it further than the range this model was trained on, [-1, 1], is wide "
            "(2)") in capsys.readouterr().err
    assert main([*argv, "--beyond-range"]) == 0 and (tmp_path / "e.png").exists()
    assert main(["edit", str(seven), "--thickness", "1", "-o", str(tmp_path / "f.png")]) == 0  # a step inside
