"""Generator.reconstruct / edit on a planted model whose encoder inverts its generator (noise included).

The tiny generator writes tanh(noise j) into row 0 and the encoder reads atanh of it back (tiny_models.py), so
the arithmetic can be checked exactly: which codes are replaced (digit), which are added to (continuous), that the
handwriting (noise) is kept, the direction convention, and the batch shapes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_sdk import Encoder, GenerateResult, Generator, IncompatibleModelError, InferResult, InvalidInputError
from infogan_sdk.cli import main
from infogan_sdk.loading.manifest import write_manifest

from .test_domain import THRESHOLD, images
from .test_labels import as_format2
from .tiny_models import MAIN_SPEC, REVERSED, build_model, code_row


@pytest.fixture(scope="session")
def editable_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(tmp_path_factory.mktemp("models") / "editable", MAIN_SPEC, REVERSED,
                       ["rotation", "thickness"], invertible_noise=True)


@pytest.fixture(scope="session")
def flipped_dir(editable_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The editable model with the SDK's sign of "thickness" flipped (direction -1)."""
    folder = tmp_path_factory.mktemp("models") / "flipped"
    folder.mkdir()
    for name in ("generator.onnx", "encoder.onnx"):
        (folder / name).write_bytes((editable_dir / name).read_bytes())
    data = json.loads((editable_dir / "manifest.json").read_text())
    data["continuous_codes"][1]["direction"] = -1
    write_manifest(folder, data)
    return folder


@pytest.fixture(scope="session")
def editor(editable_dir: Path) -> Generator:
    return Generator(editable_dir, device="cpu", threads=1)


@pytest.fixture(scope="session")
def drawn(editor: Generator) -> GenerateResult:
    """Five digits drawn with moderate codes (|tanh| well below 1, so the noise reads back well)."""
    noise = np.random.default_rng(3).uniform(-1.2, 1.2, (5, MAIN_SPEC.noise_size))
    return editor.generate(digits=[0, 3, 5, 7, 9], continuous=np.full((5, 2), 0.2), noise=noise)


def lit_row(image: np.ndarray) -> int:
    return int(np.argmax(image[:, 4:24].mean(axis=1)))


def test_the_encoder_reports_noise_only_when_it_has_that_output(editable_dir: Path, model_dir: Path,
                                                                drawn: GenerateResult) -> None:
    with_noise, without = Encoder(editable_dir, device="cpu"), Encoder(model_dir, device="cpu")
    read = with_noise.infer(drawn.images)
    assert with_noise.has_noise and not without.has_noise
    assert read.noise is not None and read.noise.shape == (5, MAIN_SPEC.noise_size) and read.noise.dtype == np.float32
    np.testing.assert_allclose(read.noise, drawn.noise, atol=0.05)  # uint8 rounding, through atanh
    assert read.to_records()[0]["noise"] == pytest.approx(read.noise[0].tolist())
    assert without.infer(drawn.images).noise is None and "noise" not in without.infer(drawn.images).to_records()[0]


def test_reconstruct_redraws_each_image_from_what_the_encoder_read(editor: Generator, drawn: GenerateResult) -> None:
    out = editor.reconstruct(drawn.images)
    assert isinstance(out, GenerateResult) and isinstance(out.source, InferResult) and len(out.source) == len(out) == 5
    assert out.digits.tolist() == [0, 3, 5, 7, 9] and out.codes.tolist() == drawn.codes.tolist()
    np.testing.assert_array_equal(out.continuous, out.source.continuous)  # the codes used are the codes read
    np.testing.assert_array_equal(out.noise, out.source.noise)
    assert out.reconstruction_error is not None and out.reconstruction_error.shape == (5,)
    assert out.reconstruction_error.dtype == np.float32 and out.reconstruction_error.max() < 0.01
    assert np.abs(out.images.astype(int) - drawn.images).max() <= 40  # row 26 is tanh(tanh(v)) there, not tanh(v)
    assert [record["reconstruction_error"] for record in out.to_records()] == pytest.approx(
        out.reconstruction_error.tolist())


def test_an_image_unlike_the_models_digits_reconstructs_badly(editor: Generator) -> None:
    stripes = np.zeros((1, 28, 28), dtype=np.uint8)
    stripes[0, :, ::4] = 255  # vertical stripes: nothing this generator draws
    drawn = editor.generate(digits=4, seed=0).images
    errors = editor.reconstruct(np.concatenate([drawn, stripes]), preprocess="none").reconstruction_error
    assert errors is not None and errors[0] < 0.01 < 0.3 < errors[1]


def test_continuous_values_are_added_and_everything_else_is_kept(editor: Generator, drawn: GenerateResult) -> None:
    out = editor.edit(drawn.images, thickness=0.5)
    source = out.source
    assert source is not None and source.noise is not None
    np.testing.assert_allclose(out.continuous - source.continuous, [[0.0, 0.5]] * 5, atol=1e-6)
    assert out.codes.tolist() == source.codes.tolist() and out.digits.tolist() == source.digits.tolist()
    np.testing.assert_array_equal(out.noise, source.noise)
    both = editor.edit(drawn.images, continuous={"rotation": [-1, 0, 1, 0, 0], "thickness": 0.25})
    np.testing.assert_allclose(both.continuous[:, 0] - source.continuous[:, 0], [-1, 0, 1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(both.continuous[:, 1] - source.continuous[:, 1], 0.25, atol=1e-6)
    array = editor.edit(drawn.images, continuous=[0.1, -0.1])
    np.testing.assert_allclose(array.continuous - source.continuous, [[0.1, -0.1]] * 5, atol=1e-6)


def test_digit_replaces_the_digit_with_the_same_handwriting(editor: Generator, drawn: GenerateResult) -> None:
    out = editor.edit(drawn.images, digit=3)
    source = out.source
    assert source is not None and source.noise is not None
    assert out.digits.tolist() == [3] * 5 and out.codes[:, 0].tolist() == [REVERSED.index(3)] * 5
    assert [lit_row(image) for image in out.images] == [code_row(REVERSED.index(3))] * 5
    np.testing.assert_array_equal(out.noise, source.noise)
    np.testing.assert_array_equal(out.continuous, source.continuous)
    np.testing.assert_array_equal(out.images[:, 0], editor.reconstruct(drawn.images).images[:, 0])  # noise row


def test_one_image_gives_as_many_edits_as_values(editor: Generator, drawn: GenerateResult) -> None:
    out = editor.edit(drawn.images[1], digit=range(10), rotation=0.5)
    assert len(out) == 10 and out.source is not None and len(out.source) == 1
    assert out.digits.tolist() == list(range(10))
    assert out.source.noise is not None and (out.noise == out.source.noise[0]).all()
    np.testing.assert_allclose(out.continuous[:, 0], out.source.continuous[0, 0] + 0.5, atol=1e-6)
    with pytest.raises(InvalidInputError, match="batch lengths disagree"):
        editor.edit(drawn.images, digit=[1, 2])  # five images, two digits
    with pytest.raises(InvalidInputError, match="no continuous code named 'width'"):
        editor.edit(drawn.images, width=1.0)
    with pytest.raises(InvalidInputError, match="digits must be from 0 to 9"):
        editor.edit(drawn.images, digit=10)


@pytest.mark.parametrize("folder", ["editable_dir", "flipped_dir"])
def test_plus_means_more_of_the_code_as_the_encoder_reports_it(folder: str, request: pytest.FixtureRequest,
                                                               drawn: GenerateResult) -> None:
    """The addition happens in the SDK's (signed) space, so +0.5 raises the value `infer` reports, flipped or not."""
    path = request.getfixturevalue(folder)
    editor, reader = Generator(path, device="cpu"), Encoder(path, device="cpu")
    out = editor.edit(drawn.images, thickness=0.5)
    assert out.source is not None
    change = reader.infer(out.images).continuous[:, 1] - out.source.continuous[:, 1]
    assert (change > 0.2).all(), change


def test_a_model_without_a_noise_output_says_so(generator: Generator, drawn: GenerateResult) -> None:
    for call in (generator.reconstruct, generator.edit):
        with pytest.raises(IncompatibleModelError, match=r"model 'tiny' .* no 'noise' output"):
            call(drawn.images)


def test_bad_images_are_refused_as_by_infer(editor: Generator) -> None:
    with pytest.raises(InvalidInputError):
        editor.edit(np.zeros((2, 3, 28, 28), dtype=np.uint8), digit=1)
    with pytest.raises(InvalidInputError):
        editor.reconstruct("no/such/file.png")


def test_infogan_edit_writes_what_the_api_edits(editable_dir: Path, editor: Generator, drawn: GenerateResult,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = []
    for index, image in enumerate(drawn.to_pil()[:3]):
        sources.append(tmp_path / f"in{index}.png")
        image.save(sources[-1])
    out = tmp_path / "out"
    code = main(["--model", str(editable_dir), "edit", *map(str, sources), "--thickness", "+0.5", "--rotation=-0.5",
                 "--digit", "2", "--separate", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    expected = editor.edit([str(path) for path in sources], digit=2, thickness=0.5, rotation=-0.5)
    written = sorted(out.iterdir())
    assert [path.name for path in written] == [f"000{i}_digit2.png" for i in range(3)]
    for path, image in zip(written, expected.images, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(path)), image)


def test_infogan_reconstruct_says_how_well_each_image_was_redrawn(editable_dir: Path, editor: Generator,
                                                                  drawn: GenerateResult, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "seven.png"
    drawn.to_pil()[3].save(source)
    output = tmp_path / "redrawn.png"
    assert main(["--model", str(editable_dir), "reconstruct", str(source), "-o", str(output)]) == 0
    captured = capsys.readouterr()
    expected = editor.reconstruct(str(source))
    assert expected.reconstruction_error is not None
    assert captured.out.strip() == str(output)
    assert captured.err.strip() == f"{source}: digit 7, reconstruction error {expected.reconstruction_error[0]:.3f}"
    np.testing.assert_array_equal(np.asarray(Image.open(output)), expected.images[0])


def test_infogan_edit_on_a_model_without_noise_fails_clearly(model_dir: Path, drawn: GenerateResult, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "digit.png"
    drawn.to_pil()[0].save(source)
    assert main(["--model", str(model_dir), "edit", str(source), "--digit", "1", "-o", str(tmp_path / "o.png")]) == 1
    assert "no 'noise' output" in capsys.readouterr().err and not (tmp_path / "o.png").exists()


def test_editing_what_is_not_a_digit_warns_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    """A full-width bar (the issue's case: a boot, a bar, a rectangle were redrawn silently) reads as not a digit;
    edit and reconstruct still redraw it, as a digit, and say which input it was."""
    generator = Generator("mnist", device="cpu")
    seven = generator.generate(digits=[7], seed=0).images[0]
    bar = np.zeros((28, 28), np.uint8)
    bar[12:16, :] = 255
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        edited = generator.edit([seven, bar], thickness=0.5)
        generator.reconstruct(seven)
    warned = [record.getMessage() for record in caplog.records if "not a digit" in record.getMessage()]
    assert len(warned) == 1 and "input 1" in warned[0] and "input 0" not in warned[0], warned
    assert edited.images.shape == (2, 28, 28)


@pytest.mark.parametrize(("changes", "kind"), [({}, "fashion"), ({"data": None}, "training")])
def test_editing_what_is_not_of_a_models_kind_warns_naming_its_data_set(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, changes: dict[str, object], kind: str) -> None:
    """A model other than MNIST's warns with its in_domain answer, naming the manifest's data set ("training" where
    the manifest names none). The planted score is the mean pixel: the black image is below the threshold."""
    folder = build_model(tmp_path / "general", MAIN_SPEC, REVERSED, ["rotation", "thickness"], invertible_noise=True,
                         domain_threshold=THRESHOLD)
    as_format2(folder, **changes)
    generator = Generator(folder, device="cpu", threads=1)
    planted, black = images()
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        edited = generator.edit([planted, black], thickness=0.5)
        generator.reconstruct(planted)
    assert edited.source is not None and edited.source.in_domain is not None
    assert edited.source.in_domain.tolist() == [True, False] and edited.source.is_digit is None
    warned = [record.getMessage() for record in caplog.records if "in_domain" in record.getMessage()]
    assert warned == [f"not like this model's {kind} images (in_domain False): input 1; edit and reconstruct redraw "
                      f"them as {kind} images anyway"]
    assert not any("not a digit" in record.getMessage() for record in caplog.records)


def test_an_mnist_model_warns_of_what_is_not_a_digit_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An MNIST model's answer is its digit score (in_domain is is_digit there): one warning, in MNIST's words."""
    folder = build_model(tmp_path / "scored", MAIN_SPEC, REVERSED, ["rotation", "thickness"], invertible_noise=True,
                         digit_threshold=THRESHOLD)
    generator = Generator(folder, device="cpu", threads=1)
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        generator.edit(images(), thickness=0.5)
    warned = [record.getMessage() for record in caplog.records if "anyway" in record.getMessage()]
    assert warned == ["not a digit to this model (is_digit False): input 1; edit and reconstruct redraw them as "
                      "digits anyway"]
