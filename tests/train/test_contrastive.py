"""InfoGAN-CR's contrastive regulariser and spectral norm: the pairs, where the gradients go, the switch step,
resume with both on, and the config's refusals."""

import json
import math
from dataclasses import replace

import pytest
import torch

import train.loop
from infogan_sdk.spec import LatentSpec
from train.__main__ import main as train_main
from train.bookkeeping import copy_state, step_generator, update_average
from train.checkpoint import TrainingError, load_checkpoint
from train.config import PRESETS, TrainConfig, architecture
from train.contrastive import build_cr, contrastive_loss, draw_pairs, regularised_codes, sample_pairs
from train.networks import build, fold_spectral_norm

CPU = torch.device("cpu")
SPEC = replace(PRESETS["dsprites"], image_shape=(1, 28, 28))  # one category of 3, 4 continuous, 5 noise values
TINY = architecture("tiny", SPEC, spectral_norm=True)
QUICK = TrainConfig(data="fake", fake_size=128, batch_size=16, epochs=2, max_steps=10, log_every=1,
                    cr_weight=2.0, cr_start=4, generator_steps=2)


def states_equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_pair_shares_the_noise_and_exactly_the_chosen_code():
    pairs = sample_pairs(SPEC, 6000, step_generator(0, 0, 0), CPU)
    first, second, chosen = pairs.first, pairs.second, pairs.chosen
    assert torch.equal(first.noise, second.noise)
    counts = torch.bincount(chosen, minlength=5).float() / 6000
    assert regularised_codes(SPEC) == 5 and torch.all((counts - 0.2).abs() < 0.02)
    same_category = first.codes[:, 0] == second.codes[:, 0]
    assert same_category[chosen == 0].all()
    assert abs(same_category[chosen != 0].float().mean().item() - 1 / 3) < 0.03  # drawn apart: alike by chance
    for j in range(4):
        same = first.continuous[:, j] == second.continuous[:, j]
        assert same[chosen == 1 + j].all() and not same[chosen != 1 + j].any()
    assert torch.equal(second.categorical.argmax(dim=1), second.codes[:, 0])  # the one-hot follows the code


def test_pairs_are_a_function_of_the_step():
    a, b = (sample_pairs(SPEC, 8, step_generator(0, 0, 5), CPU) for _ in range(2))
    c = sample_pairs(SPEC, 8, step_generator(0, 0, 6), CPU)
    assert torch.equal(a.second.continuous, b.second.continuous) and torch.equal(a.chosen, b.chosen)
    assert not torch.equal(a.second.continuous, c.second.continuous)


def test_the_cr_loss_reaches_the_generator_through_the_pair_discriminator():
    generator, _ = build(TINY, seed=0)
    cr_discriminator = build_cr(TINY, seed=0)
    pairs = sample_pairs(SPEC, 8, step_generator(0, 0, 0), CPU)
    images = draw_pairs(generator, pairs)
    assert images.shape == (8, 2, 28, 28)
    loss, accuracy = contrastive_loss(cr_discriminator, images, pairs.chosen)
    assert loss.item() == pytest.approx(math.log(5), abs=0.3) and 0.0 <= accuracy.item() <= 1.0  # untrained: chance
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())


def test_spectral_norm_folds_into_plain_weights_with_the_same_outputs():
    _, discriminator = build(TINY, seed=0)
    images = torch.rand(4, 1, 28, 28) * 2 - 1
    discriminator(images)  # training mode: a power iteration moves the stored vectors
    discriminator.eval()
    expected = discriminator(images)
    folded = fold_spectral_norm(discriminator)
    assert not any("parametrizations" in name for name in folded.state_dict())
    for got, want in zip(folded(images), expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_the_average_copies_the_power_iteration_vectors():
    _, discriminator = build(TINY, seed=0)
    average = copy_state(discriminator)
    discriminator(torch.rand(4, 1, 28, 28))  # moves the vectors
    update_average(average, discriminator, 0.9)
    for name, value in discriminator.state_dict().items():
        if name.endswith(("._u", "._v")):
            assert torch.equal(average[name], value)


def test_config_refusals_are_one_line(tmp_path, capsys):
    with pytest.raises(ValueError, match="cr_weight and cr_start must be >= 0"):
        TrainConfig(cr_weight=-1.0)
    with pytest.raises(ValueError, match="generator_steps must be >= 1"):
        TrainConfig(generator_steps=0)
    with pytest.raises(TrainingError, match="needs 2 or more codes, got 1"):
        build_cr(architecture("tiny", LatentSpec(categorical_sizes=(10,), n_continuous=0)), seed=0)
    for argv in (["--cr-start", "-5"], ["--data", "fake", "--arch", "small"]):
        assert train_main([*argv, "--out", str(tmp_path / "run"), "--device", "cpu"]) == 1
        error = capsys.readouterr().err
        assert error.startswith("python -m train: ") and error.count("\n") == 1, error
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_cr_changes_nothing_before_its_step_and_trains_after_it(tmp_path):
    def run(name, **changes):
        config = replace(QUICK, **changes)
        return load_checkpoint(train.loop.train(TINY, config, tmp_path / name, device="cpu"))

    plain, regularised = run("plain4", cr_weight=0.0, max_steps=4), run("cr4", max_steps=4)
    assert states_equal(plain["generator"], regularised["generator"])  # the switch is at step 4
    assert states_equal(plain["discriminator"], regularised["discriminator"])
    assert states_equal(regularised["cr_discriminator"], build_cr(TINY, QUICK.seed).state_dict())  # untouched
    plain, regularised = run("plain", cr_weight=0.0), run("cr")
    assert not states_equal(plain["generator"], regularised["generator"])
    records = [json.loads(line) for line in (tmp_path / "cr" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "cr_ce" in r] == [5, 6, 7, 8, 9, 10]
    assert "cr_discriminator" not in plain and "optimizer_cr" in regularised


class Planted(torch.nn.Module):
    """A fixed generator on which every code shows: a random projection of the latent vector to the image."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.randn(SPEC.latent_size, 28 * 28, generator=torch.Generator().manual_seed(0))

    def forward(self, noise, categorical, continuous):
        latent = torch.cat([noise, categorical, continuous], dim=1)  # (N, 12)
        return torch.tanh(latent @ self.weight).view(-1, 1, 28, 28)  # (N, 1, 28, 28)


@pytest.mark.slow  # 200 steps of the pair discriminator (5 s)
def test_the_pair_discriminator_learns_which_code_a_pair_shares():
    cr_discriminator, generator = build_cr(TINY, seed=0), Planted()
    optimizer = torch.optim.Adam(cr_discriminator.parameters(), lr=QUICK.cr_lr, betas=QUICK.betas)
    losses = []
    for step in range(200):
        pairs = sample_pairs(SPEC, 64, step_generator(0, 0, step), CPU)
        with torch.no_grad():
            images = draw_pairs(generator, pairs)
        loss, _ = contrastive_loss(cr_discriminator, images, pairs.chosen)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    first, last = sum(losses[:20]) / 20, sum(losses[-20:]) / 20
    assert first == pytest.approx(math.log(5), abs=0.05) and last < 1.25, (first, last)  # chance, then better


@pytest.mark.slow
def test_resume_with_cr_and_spectral_norm_ends_where_an_uninterrupted_run_ends(tmp_path, monkeypatch):
    config = replace(QUICK, checkpoint_every=3, average_decay=0.9)
    whole = load_checkpoint(train.loop.train(TINY, config, tmp_path / "whole", device="cpu"))
    real_save = train.loop.save_checkpoint

    def save_then_die(path, payload):
        real_save(path, payload)
        if payload["step"] == 6:  # after the switch: the pair discriminator and its optimiser have moved
            raise KeyboardInterrupt("killed after the step-6 checkpoint")

    monkeypatch.setattr(train.loop, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train.loop.train(TINY, config, tmp_path / "killed", device="cpu")
    monkeypatch.setattr(train.loop, "save_checkpoint", real_save)
    resumed = load_checkpoint(train.loop.train(TINY, config, tmp_path / "killed", device="cpu", resume=True))
    assert resumed["step"] == whole["step"] == 10
    for key in ("generator", "discriminator", "cr_discriminator"):
        assert states_equal(whole[key], resumed[key]), f"{key} differs after resume"
    assert states_equal(whole["averages"]["discriminator"], resumed["averages"]["discriminator"])


@pytest.mark.slow
def test_cr_start_moves_on_resume_only_before_the_run_reaches_it(tmp_path):
    first = replace(QUICK, checkpoint_every=2, max_steps=2, cr_start=8)
    train.loop.train(TINY, first, tmp_path / "moved", device="cpu")
    moved = load_checkpoint(train.loop.train(TINY, QUICK, tmp_path / "moved", device="cpu", resume=True))
    planned = load_checkpoint(train.loop.train(TINY, QUICK, tmp_path / "planned", device="cpu"))
    assert moved["step"] == planned["step"] == 10
    for key in ("generator", "discriminator", "cr_discriminator"):
        assert states_equal(planned[key], moved[key]), f"{key} differs from a run planned with the new switch"
    with pytest.raises(TrainingError, match="cr_start may move only before the run reaches it"):
        train.loop.train(TINY, replace(QUICK, max_steps=12, cr_start=9), tmp_path / "moved", device="cpu",
                         resume=True)
