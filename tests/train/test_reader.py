"""Stage 2, the reader, on tiny fake-data runs: G stays frozen, the reader learns, resume is exact, the CLI."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

import train.loop
from infogan_sdk.spec import LatentSpec
from train.__main__ import main as train_main
from train.checkpoint import load_checkpoint
from train.config import ReaderConfig, TrainConfig, architecture
from train.reader import train_reader

pytestmark = pytest.mark.slow  # each test trains (seconds)
TINY = architecture("tiny", LatentSpec())
STAGE1 = TrainConfig(mode="semi-supervised", data="fake", fake_size=128, batch_size=16, epochs=1, max_steps=8,
                     log_every=2, labels_per_class=2, labelled_batch=8, average_decay=0.9)


@pytest.fixture(scope="module")
def stage1(tmp_path_factory):
    return train.loop.train(TINY, STAGE1, tmp_path_factory.mktemp("stage1"), device="cpu")


def reader(stage1, tmp_path, name, **changes):
    options = {"batch_size": 16, "epochs": 2, "max_steps": 10, "log_every": 2, **changes}
    config = ReaderConfig(generator_run=str(stage1), **options)
    return load_checkpoint(train_reader(config, tmp_path / name))


def test_the_generator_stays_stage_ones_and_the_reader_moves_away_from_the_teacher(stage1, tmp_path):
    first = load_checkpoint(stage1)
    second = reader(stage1, tmp_path, "r")
    assert second["stage"] == "reader" and second["step"] == 10 and second["finished"]
    frozen = first["averages"]["generator"]  # stage 1 kept an average: that is the generator it shipped
    assert all(torch.equal(second["generator"][k], frozen[k]) for k in frozen)
    assert all(torch.equal(second["averages"]["generator"][k], frozen[k]) for k in frozen)
    teacher = first["averages"]["discriminator"]
    moved = [k for k in teacher if teacher[k].is_floating_point()
             and not torch.allclose(second["discriminator"][k], teacher[k])]
    assert any(k.startswith("body.") for k in moved) and any(k.startswith("q_head.") for k in moved)
    assert second["train_config"] == first["train_config"]  # export reads the mode from it
    assert second["reader_config"]["generator_run"] == str(stage1)
    assert 0.0 <= second["evaluation"]["degraded_accuracy"] <= 1.0


def test_the_realness_head_learns_on_detached_features_only(stage1, tmp_path):
    """With every weight but realness' at zero, the body must not move: D's verdict never trains the body."""
    first = load_checkpoint(stage1)["averages"]["discriminator"]
    state = reader(stage1, tmp_path, "only-realness", sample_weight=0.0, real_weight=0.0, supervised_weight=0.0)
    body = [k for k in first if k.startswith("body.") and first[k].is_floating_point() and "running" not in k]
    assert all(torch.equal(state["discriminator"][k], first[k]) for k in body)
    assert not torch.equal(state["discriminator"]["d_head.weight"], first["d_head.weight"])


def test_a_resumed_reader_equals_an_uninterrupted_one(stage1, tmp_path):
    whole = reader(stage1, tmp_path, "whole", max_steps=16)
    config = ReaderConfig(generator_run=str(stage1), batch_size=16, epochs=2, max_steps=16, log_every=2)
    train_reader(replace(config, epochs=1), tmp_path / "halves")  # one epoch: 8 steps of 128 fake images
    halves = load_checkpoint(train_reader(config, tmp_path / "halves", resume=True))
    assert halves["step"] == whole["step"] == 16
    assert all(torch.equal(halves["discriminator"][k], whole["discriminator"][k]) for k in whole["discriminator"])


def test_resume_refuses_other_reader_options(stage1, tmp_path):
    reader(stage1, tmp_path, "run")
    config = ReaderConfig(generator_run=str(stage1), batch_size=16, epochs=3, max_steps=12, log_every=2, lr=1e-2)
    with pytest.raises(ValueError, match="cannot resume"):
        train_reader(config, tmp_path / "run", resume=True)


def test_the_cli_runs_stage_two_with_the_shared_options(stage1, tmp_path):
    out = tmp_path / "cli"
    assert train_main(["--stage", "reader", "--generator-run", str(stage1), "--out", str(out), "--max-steps", "4",
                       "--batch-size", "16", "--reader-lr", "1e-3", "--log-every", "2"]) == 0
    state = load_checkpoint(out)
    assert state["step"] == 4 and state["reader_config"]["lr"] == 1e-3 and state["reader_config"]["batch_size"] == 16
    assert state["command"].startswith("python -m train --stage reader")


def test_a_reader_needs_a_stage_one_run():
    with pytest.raises(ValueError, match="generator_run"):
        ReaderConfig()


def test_printed_digits_train_the_reader_with_the_character_drawn_as_label(stage1, tmp_path):
    from train.printed import FONTS, printed_bank

    images, digits = printed_bank()
    assert images.shape == (len(FONTS) * 10 * 12, 28, 28)  # fonts x digits x 3 sizes x 4 angles
    assert np.array_equal(np.bincount(digits), [len(digits) // 10] * 10)
    assert (images.reshape(len(images), -1).max(axis=1) > 200).all()  # white ink on black, as the SDK reads them
    reader(stage1, tmp_path, "printed", printed_weight=1.0, max_steps=4)
    records = [json.loads(line) for line in (tmp_path / "printed" / "metrics.jsonl").read_text().splitlines()]
    assert all(r["printed"] > 0 for r in records)


def test_printed_digits_are_refused_in_unsupervised_mode(tmp_path):
    run = train.loop.train(TINY, replace(STAGE1, mode="unsupervised", average_decay=0.0), tmp_path / "u", device="cpu")
    with pytest.raises(ValueError, match="unsupervised"):
        train_reader(ReaderConfig(generator_run=str(run), batch_size=16, max_steps=2, printed_weight=1.0),
                     tmp_path / "r")


def test_other_teachers_vote_in_the_pseudo_labels(stage1, tmp_path, monkeypatch):
    """A bundled model's encoder reads the real images once; its votes change what the reader learns, and
    pseudo-labels are only confident where stage 1 Q and it agree enough."""
    import train.reader as reader_module

    seen = []
    original = reader_module._teacher_votes

    def recorded(*args):
        votes = original(*args)
        seen.append(votes)
        return votes
    monkeypatch.setattr(reader_module, "_teacher_votes", recorded)
    # a low threshold: on fake data the tiny teacher is never confident, and no target would be left to change
    alone = reader(stage1, tmp_path, "alone", pseudo_label_threshold=0.05)
    voted = reader(stage1, tmp_path, "voted", pseudo_label_threshold=0.05, teachers="mnist-v1")
    assert seen[0] is None and seen[1].shape == (128, 10)
    assert torch.allclose(seen[1].sum(dim=1), torch.ones(128), atol=1e-4)  # one vote: a probability per image
    assert voted["reader_config"]["teachers"] == "mnist-v1"
    assert any(not torch.equal(voted["discriminator"][k], alone["discriminator"][k]) for k in alone["discriminator"])


def test_unsupervised_teachers_vote_for_the_stage_one_codes_they_agree_with(tmp_path, monkeypatch):
    """No label is read: a teacher whose digit columns are stage 1's codes in another order votes for the codes."""
    import infogan_sdk
    import train.reader as reader_module
    from train.bookkeeping import predict_codes
    from train.data import load_data
    from train.pixels import to_pixels

    config = replace(STAGE1, mode="unsupervised")
    state = load_checkpoint(train.loop.train(TINY, config, tmp_path / "unsup", device="cpu"))
    stage1 = reader_module._stage1_networks(state, torch.device("cpu"))[1]
    data = load_data(config, None)  # fake data
    codes = predict_codes(stage1, to_pixels(data.images, TINY.latent), 10)
    permutation = np.random.default_rng(0).permutation(10)  # the teacher calls code k "digit permutation[k]"

    class Teacher:  # a confident teacher, right 90% of the time, in its own column order
        def __init__(self, folder, device):
            assert folder == "other" and device == "cpu"

        def infer(self, images, preprocess):
            rows = np.arange(len(images))
            read = np.where(rows % 10 == 0, (codes[rows % len(codes)] + 1) % 10, codes[rows % len(codes)])
            probabilities = np.full((len(images), 10), 0.02, np.float32)
            probabilities[rows, permutation[read]] = 0.82
            return type("Result", (), {"probabilities": probabilities, "digits": probabilities.argmax(axis=1)})

    monkeypatch.setattr(infogan_sdk, "Encoder", Teacher)
    votes = reader_module._teacher_votes(ReaderConfig(generator_run="x", teachers="other"), "unsupervised", data,
                                         stage1)
    assert votes.shape == (len(data.images), 10)
    agree = votes.argmax(dim=1).numpy() == codes
    assert agree.mean() == pytest.approx(0.9, abs=0.02)  # every vote but the teacher's planted 10% of mistakes
    semi = reader_module._teacher_votes(ReaderConfig(generator_run="x", teachers="other"), "semi-supervised", data,
                                        stage1)
    assert np.array_equal(semi.argmax(dim=1).numpy()[agree], permutation[codes[agree]])  # code k is digit k: as is


def test_a_supervised_reader_also_learns_from_plain_labelled_images(tmp_path):
    """Every view of a real image in the reader's batch is degraded; with every label known, half the batch's real
    images also come as they are, with their labels (MNIST test 99.09-99.23% -> 99.31-99.37% over the first
    epochs of the fully labelled model). Planted: only that loss on, the body moves; all weights off, it does not."""
    run = train.loop.train(TINY, replace(STAGE1, mode="supervised"), tmp_path / "s", device="cpu")
    first = load_checkpoint(run)["averages"]["discriminator"]
    off = {"sample_weight": 0.0, "real_weight": 0.0, "realness_weight": 0.0}
    labelled = reader(run, tmp_path, "labelled", **off)
    still = reader(run, tmp_path, "still", **off, supervised_weight=0.0)
    body = [k for k in first if k.startswith("body.") and first[k].is_floating_point() and "running" not in k]
    assert any(not torch.equal(labelled["discriminator"][k], first[k]) for k in body)
    assert all(torch.equal(still["discriminator"][k], first[k]) for k in body)


def test_a_deeper_reader_starts_fresh_and_records_its_body(stage1, tmp_path):
    state = reader(stage1, tmp_path, "deep", depth=2)
    assert state["model_config"].discriminator_depth == 2  # export builds the encoder from it
    assert load_checkpoint(stage1)["model_config"].discriminator_depth == 1
    shallow = load_checkpoint(stage1)["averages"]["discriminator"]
    extra = [k for k in state["discriminator"] if k not in shallow]
    assert extra and all(k.startswith("body.") for k in extra)  # the 3x3 convs and their BatchNorm
    assert state["finished"] and 0.0 <= state["evaluation"]["q_accuracy"] <= 1.0


def test_a_negative_depth_is_refused():
    with pytest.raises(ValueError, match="depth must be >= 0"):
        ReaderConfig(generator_run="run", depth=-1)
