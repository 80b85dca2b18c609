"""evaluate for a model of another data set than MNIST, through the SDK: a tiny planted model whose classes are the
rows it lights, a data set of its own drawings, and an evaluator that reads those rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluate.__main__ import main
from evaluate.card import general_card
from evaluate.describe import Sizes, describe_model
from evaluate.measures import COLOUR, GREY
from imagedata import DataSet, Split
from infogan_sdk import Generator
from tests.evaluate.planted import planted_evaluator, rgb_evaluator, rgb_model
from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model

pytestmark = pytest.mark.slow  # describes a model three times: 10-20 s on a busy 2-core machine

CLASSES = tuple(f"kind {k}" for k in range(10))


def drawings(folder: Path, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The tiny model's images of each raw categorical value, labelled with that value."""
    labels = np.repeat(np.arange(10), per_class)
    return Generator(folder, device="cpu").generate(categorical=labels, seed=seed).images, labels


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DataSet, Path]:
    root = tmp_path_factory.mktemp("general")
    folder = build_model(root / "tiny", MAIN_SPEC, REVERSED, None)
    train, test = drawings(folder, 30, 0), drawings(folder, 10, 1)
    data = DataSet("tiny", "tiny", Split(*train), Split(*test), CLASSES)
    return folder, data, planted_evaluator(root / "evaluator-tiny.onnx")


def test_a_model_of_another_data_set_gets_its_classes_control_and_quality_read(tiny):
    folder, data, evaluator = tiny
    described = describe_model(folder, data, Sizes.quick(), evaluator=evaluator)
    evaluation = described["evaluation"]
    assert described["mapping"]["code_to_class"] == list(range(10))  # the values are the labels' classes
    assert evaluation["q_accuracy_test"] == 1.0 and evaluation["nmi_test"] == pytest.approx(1.0)
    assert evaluation["class_control"] == 1.0 and evaluation["read_back"] == 1.0
    assert evaluation["info_bound_categorical"] == pytest.approx(np.log(10), abs=0.05)
    assert 0 <= evaluation["frechet_distance"] < 1e3 and 0 <= evaluation["frechet_distance_real_floor"] < 1e3
    assert evaluation["continuous_r2"] == pytest.approx([1.0, 1.0], abs=0.05)  # the tiny encoder reads them back
    assert "digit_control" not in evaluation and "robustness" not in evaluation  # MNIST's card only
    assert [set(c["effects"]) <= set(GREY) for c in described["continuous_codes"]] == [True, True]
    assert "categorical_codes" not in described  # a format 1 folder keeps code_to_digit


def test_without_an_evaluator_the_card_says_what_labels_allow(tiny, caplog):
    folder, data, _ = tiny
    evaluation = describe_model(folder, data, Sizes.quick(), evaluator=Path("missing.onnx"))["evaluation"]
    assert evaluation["q_accuracy_test"] == 1.0 and "class_control" not in evaluation
    assert "frechet_distance" not in evaluation and "train_classifier" in caplog.text


def test_the_cli_describes_a_folder_of_any_data_set_and_draws_a_traversal_per_code(tiny, tmp_path, capsys):
    folder, data, evaluator = tiny
    archive = tmp_path / "tiny.npz"
    np.savez(archive, images=data.train.images, labels=data.train.labels, class_names=np.array(CLASSES),
             test_images=data.test.images, test_labels=data.test.labels)
    out, pictures = tmp_path / "card.json", tmp_path / "pictures"
    assert main([str(folder), "--data", f"npz:{archive}", "--evaluator", str(evaluator), "--quick", "--json",
                 str(out), "--pictures", str(pictures), "--markdown"]) == 0
    card = capsys.readouterr().out
    assert "| class control (evaluator) | 100.00% |" in card and "x_position" in card
    written = json.loads(out.read_text())
    assert written["evaluation"]["data"]["source"] == f"npz:{archive}"
    names = [code["name"] for code in written["continuous_codes"]]
    for name in names:
        picture = Image.open(pictures / f"{name}.png")
        assert picture.size == (9 * 30 + 2, 10 * 30 + 2) and picture.mode == "L"  # 10 classes x 9 values
    wide = tmp_path / "wide.npz"
    np.savez(wide, images=np.zeros((20, 32, 32), np.uint8))
    assert main([str(folder), "--data", f"npz:{wide}", "--quick"]) == 1
    assert "32" in capsys.readouterr().err


def test_a_colour_model_is_described_and_its_hue_code_named(tmp_path):
    folder = rgb_model(tmp_path / "spots")
    labels = np.repeat(np.arange(3), 40)
    images = Generator(folder, device="cpu").generate(categorical=labels, seed=0).images.copy()
    assert images.shape == (120, 32, 32, 3)
    rng = np.random.default_rng(0)  # real images vary in light and place too: each measure's sd is a fair unit
    for image in images[1::2]:
        image[:] = np.roll(image * rng.uniform(0.6, 1.0), rng.integers(-2, 3, 2), axis=(0, 1))
    data = DataSet("spots", "spots", Split(images[::2], labels[::2]), Split(images[1::2], labels[1::2]),
                   ("a", "b", "c"))
    described = describe_model(folder, data, Sizes.quick(), supervised=True,
                               evaluator=rgb_evaluator(tmp_path / "evaluator-spots.onnx"))
    evaluation = described["evaluation"]
    assert described["mapping"]["method"] == "identity (checked)"
    assert evaluation["q_accuracy_test"] == 1.0 and evaluation["class_control"] == 1.0
    assert described["categorical_codes"] == [{"name": "spot", "labels": ["a", "b", "c"]}]  # format 2: the labels
    hue, idle = described["continuous_codes"]
    # code 0 turns the square from green through cyan to blue (hue 120 -> 240 degrees) at one luminance
    assert (hue["name"], hue["direction"], idle["name"]) == ("hue", 1, "c1")
    assert hue["effects"]["hue"] > 1 and hue["curve"]["monotonic"] is True
    assert set(hue["effects"]) <= set(COLOUR) and all(abs(value) < 0.05 for value in idle["effects"].values())
    card = general_card(described)
    assert "| class control (evaluator) | 100.00% |" in card and "| `hue` |" in card
