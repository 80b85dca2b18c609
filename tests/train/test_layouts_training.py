"""The GAN stage on any latent layout and image shape: dry runs at 28x28 grey, 32x32 RGB and 64x64 grey with several
categorical codes, and `python -m train --preset`."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

import train.loop
from infogan_sdk.spec import LatentSpec
from train.__main__ import main as train_main
from train.checkpoint import load_checkpoint
from train.config import PRESETS, TrainConfig, architecture

RUNS = [  # (image shape, categorical sizes, continuous codes, mode): the first code reads the fake data's 10 labels
    ((1, 28, 28), (10, 4), 2, "semi-supervised"),
    ((3, 32, 32), (10, 3, 5), 3, "supervised"),
    ((1, 64, 64), (10, 20, 20), 1, "unsupervised"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "categorical", "continuous", "mode"), RUNS)
def test_dry_run_trains_any_layout_and_shape(tmp_path, shape, categorical, continuous, mode) -> None:
    spec = LatentSpec(noise_size=12, categorical_sizes=categorical, n_continuous=continuous, image_shape=shape)
    config = TrainConfig(data="fake", fake_size=96, image_size=shape[1], channels=shape[0], mode=mode, batch_size=16,
                         epochs=1, max_steps=5, log_every=1, labelled_batch=8, labels_per_class=2, average_decay=0.9)
    state = load_checkpoint(train.loop.train(architecture("tiny", spec), config, tmp_path, device="cpu"))
    assert state["step"] == 5 and state["model_config"].latent == spec and state["data"]["image_shape"] == list(shape)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    # L_I's categorical part sums one cross-entropy per code: about sum(ln k) for an untrained Q
    assert records[0]["info_categorical_ce"] == pytest.approx(sum(math.log(k) for k in categorical), abs=0.5)
    assert all(math.isfinite(r["d_loss"]) and math.isfinite(r["g_loss"]) for r in records)
    evaluation = state["evaluation"]  # Q's first code against the fake labels
    assert 0.0 <= evaluation["q_accuracy"] <= 1.0 and len(evaluation["code_to_digit"]) == categorical[0]
    grid = Image.open(tmp_path / "samples_epoch001.png")
    assert grid.mode == ("RGB" if shape[0] == 3 else "L")
    rows = categorical[0]  # one per value of the first code; a block of 8 per continuous code, a cell between two
    assert grid.size == ((9 * continuous - 1) * (shape[2] + 2) + 2, rows * (shape[1] + 2) + 2)


@pytest.mark.slow
def test_a_model_without_categorical_codes_trains_in_rgb(tmp_path) -> None:
    spec = LatentSpec(noise_size=8, categorical_sizes=(), n_continuous=2, image_shape=(3, 32, 32))
    config = TrainConfig(data="fake", fake_size=48, image_size=32, channels=3, batch_size=16, epochs=1, max_steps=2)
    state = load_checkpoint(train.loop.train(architecture("tiny", spec), config, tmp_path, device="cpu"))
    assert state["step"] == 2 and state["evaluation"] is None  # no categorical code to score
    assert np.asarray(Image.open(tmp_path / "samples_epoch001.png")).shape[2] == 3


def test_preset_sets_layout_and_shape_and_flags_override_it(tmp_path) -> None:
    argv = ["--dry-run", "--preset", "svhn", "--categorical", "10,5", "--device", "cpu", "--max-steps", "2"]
    assert train_main([*argv, "--out", str(tmp_path / "svhn")]) == 0
    state = load_checkpoint(tmp_path / "svhn")
    assert state["model_config"].latent == replace(PRESETS["svhn"], categorical_sizes=(10, 5))
    assert state["model_config"] == architecture("tiny", replace(PRESETS["svhn"], categorical_sizes=(10, 5)))
    assert train_main(["--dry-run", "--preset", "svhn", "--channels", "1", "--image-size", "28", "--max-steps", "1",
                       "--device", "cpu", "--out", str(tmp_path / "grey")]) == 0
    assert load_checkpoint(tmp_path / "grey")["model_config"].latent.image_shape == (1, 28, 28)


def test_a_size_no_architecture_draws_is_one_line(tmp_path, capsys) -> None:
    argv = ["--dry-run", "--image-size", "30", "--channels", "1", "--device", "cpu", "--out", str(tmp_path / "odd")]
    assert train_main(argv) == 1
    assert "no 'tiny' variant draws 30x30 images" in capsys.readouterr().err
    assert not (tmp_path / "odd" / "checkpoint.pt").exists()
