"""python -m evaluate on a model of another data set, end to end: a tiny Fashion-MNIST run (two steps) exported as
any model is, then described, written into its manifest, pictured and shown as a card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from evaluate.__main__ import main as evaluate_main
from export.__main__ import main as export_main
from imagedata.sources import FASHION_CLASSES, FASHION_DIR
from infogan_sdk import Generator
from train.__main__ import main as train_main

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="apt-get install dataset-fashion-mnist")]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fashion")
    assert train_main(["--data", "fashion", "--continuous", "2", "--noise-size", "8", "--arch", "tiny",
                       "--batch-size", "16", "--max-steps", "2", "--epochs", "1", "--device", "cpu",
                       "--out", str(root / "run")]) == 0
    assert export_main([str(root / "run"), "--out", str(root / "model"), "--exporter", "legacy"]) == 0
    return root / "model"


def test_the_card_of_a_fashion_model_is_measured_written_and_pictured(model: Path, tmp_path: Path, capsys) -> None:
    assert Generator(model, device="cpu").info["data"]["source"] == "fashion"
    out, pictures = tmp_path / "card.json", tmp_path / "pictures"
    assert evaluate_main([str(model), "--quick", "--write", "--json", str(out), "--pictures", str(pictures)]) == 0
    evaluation = json.loads(out.read_text())["evaluation"]
    assert evaluation["data"] == {"name": "fashion", "source": "fashion", "counts": {"train": 60000, "test": 10000}}
    assert 0.0 <= evaluation["q_accuracy_test"] <= 1.0 and 0.0 <= evaluation["class_control"] <= 1.0
    assert evaluation["frechet_distance"] > evaluation["frechet_distance_real_floor"] > 0  # two steps draw no fashion
    assert evaluation["evaluator_test_accuracy"] >= 0.9  # the shipped Fashion-MNIST evaluator read them
    described = Generator(model, device="cpu")  # the manifest now holds the description
    mapping = described.info["mapping"]["code_to_class"]
    assert sorted(mapping) == list(range(10))  # a one-to-one matching of the ten values to the ten classes
    assert described.categorical_codes[0].labels == tuple(FASHION_CLASSES[c] for c in mapping)
    assert set(described.continuous_names) <= {"c0", "c1", "brightness", "size", "x_position", "y_position",
                                               "orientation"}
    for name in described.continuous_names:
        assert Image.open(pictures / f"{name}.png").size == (9 * 30 + 2, 10 * 30 + 2)
    capsys.readouterr()
    assert evaluate_main([str(model), "--stored", "--markdown"]) == 0
    card = capsys.readouterr().out
    assert "| class control (evaluator) |" in card and "Q accuracy, fashion test" in card
