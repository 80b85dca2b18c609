"""Augmentations and the consistency loss (train/augment.py), and their use in the training loop."""

import json
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

import train.loop
from infogan_sdk.spec import LatentSpec
from train.augment import LOW_RESOLUTIONS, MAX_ROTATION, consistency_loss, degraded, distorted, morphed
from train.config import TrainConfig, architecture

pytestmark = pytest.mark.slow  # most tests train


def test_distorted_keeps_blank_paper_blank_and_moves_ink_within_the_ranges():
    blank = torch.full((8, 1, 28, 28), -1.0)
    assert torch.equal(distorted(blank, -1.0, torch.Generator().manual_seed(0)), blank)
    bar = torch.full((400, 1, 28, 28), -1.0)
    bar[:, :, 4:24, 13:15] = 1.0  # a vertical stroke through the centre
    moved = distorted(bar, -1.0, torch.Generator().manual_seed(1))
    assert moved.shape == bar.shape and moved.min() >= -1.0 - 1e-6 and moved.max() <= 1.0 + 1e-6
    ink = (moved + 1).clamp(min=0)[:, 0]  # (N, 28, 28) ink weights
    total = ink.sum(dim=(1, 2))
    rows, columns = torch.arange(28.0), torch.arange(28.0)
    centre_x = (ink.sum(dim=1) * columns).sum(dim=1) / total
    centre_y = (ink.sum(dim=2) * rows).sum(dim=1) / total
    # 3 px of the sampling grid, magnified by at most 1 / 0.85 scale and the shear: under 4.5 px on the image
    assert (centre_x - 13.5).abs().max() <= 4.5 and (centre_y - 13.5).abs().max() <= 4.5
    assert (centre_x - 13.5).abs().max() > 1.5  # ...and they happen
    kept = total / (bar + 1).sum(dim=(1, 2, 3))  # ink after / before: area scales by 0.85^2 .. 1.15^2, and resampling
    assert 0.55 < float(kept.min()) and float(kept.max()) < 1.5
    assert MAX_ROTATION < 0.4  # a 6 must not turn into a 9


def test_distorted_is_a_function_of_the_generator_state():
    images = torch.rand(4, 1, 28, 28) * 2 - 1
    first = distorted(images, -1.0, torch.Generator().manual_seed(3))
    assert torch.equal(first, distorted(images, -1.0, torch.Generator().manual_seed(3)))
    assert not torch.equal(first, distorted(images, -1.0, torch.Generator().manual_seed(4)))


def test_consistency_loss_uses_only_confident_readings_as_targets():
    plain = torch.tensor([[9.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 8.0]])  # rows 0 and 2 confident
    distorted_logits = torch.randn(3, 3, requires_grad=True)
    loss, fraction = consistency_loss(plain, distorted_logits, threshold=0.95)
    expected = (F.cross_entropy(distorted_logits[[0, 2]], torch.tensor([0, 2]), reduction="sum")) / 3
    assert torch.allclose(loss, expected) and fraction.item() == pytest.approx(2 / 3)
    loss.backward()
    assert torch.count_nonzero(distorted_logits.grad[1]) == 0  # the unsure row teaches nothing
    nothing, none = consistency_loss(torch.zeros(3, 3), distorted_logits, threshold=0.95)
    assert nothing.item() == 0 and none.item() == 0


@pytest.mark.parametrize("mode", ["unsupervised", "semi-supervised"])
def test_consistency_weight_changes_training_and_is_logged(tmp_path, mode):
    config = TrainConfig(mode=mode, data="fake", fake_size=128, batch_size=16, epochs=1, max_steps=4, log_every=1,
                         labels_per_class=2, labelled_batch=8)
    model = architecture("tiny", LatentSpec())
    plain = train.loop.train(model, config, tmp_path / "plain", device="cpu")
    # threshold 0: every reading is a target, so the loss is active from the first step
    consistent = train.loop.train(model, replace(config, consistency_weight=1.0, consistency_threshold=0.0),
                                  tmp_path / "consistent", device="cpu")
    records = [json.loads(line) for line in (tmp_path / "consistent" / "metrics.jsonl").read_text().splitlines()]
    assert all(r["consistency_ce"] > 0 and r["confident_fraction"] == 1.0 for r in records)
    before = torch.load(plain, weights_only=False)["discriminator"]
    after = torch.load(consistent, weights_only=False)["discriminator"]
    assert any(not torch.equal(before[name], after[name]) for name in before)
    off = [json.loads(line) for line in (tmp_path / "plain" / "metrics.jsonl").read_text().splitlines()]
    assert all(r["consistency_ce"] == 0 for r in off)


def test_weight_average_is_kept_resumed_exactly_and_exported(tmp_path):
    config = TrainConfig(mode="semi-supervised", data="fake", fake_size=128, batch_size=16, epochs=2, log_every=4,
                         labels_per_class=2, labelled_batch=8, average_decay=0.9)
    model = architecture("tiny", LatentSpec())
    state = torch.load(train.loop.train(model, config, tmp_path / "straight", device="cpu"), weights_only=True)
    average, last = state["averages"]["discriminator"], state["discriminator"]
    assert average.keys() == last.keys()
    assert any(not torch.equal(average[k], last[k]) for k in last if last[k].is_floating_point())
    # resuming restores the average too: stop after epoch 1, go on, and match the straight run bit for bit
    train.loop.train(model, replace(config, epochs=1), tmp_path / "resumed", device="cpu")
    resumed = torch.load(train.loop.train(model, config, tmp_path / "resumed", device="cpu", resume=True),
                         weights_only=True)
    for network in ("generator", "discriminator"):
        assert all(torch.equal(resumed["averages"][network][k], v) for k, v in state["averages"][network].items())
    off = torch.load(train.loop.train(model, replace(config, average_decay=0.0, epochs=1), tmp_path / "off",
                                      device="cpu"), weights_only=True)
    assert off["averages"] is None
    with pytest.raises(ValueError, match="average_decay"):
        replace(config, average_decay=1.0)


def _bar(n: int, width: int = 3) -> torch.Tensor:
    bar = torch.full((n, 1, 28, 28), -1.0)
    bar[:, :, 4:24, 12 : 12 + width] = 1.0  # a vertical stroke, 20 px long
    return bar


def test_morphed_thins_or_thickens_strokes_by_about_one_pixel_and_keeps_paper_blank():
    bar = _bar(200)
    out = morphed(bar, -1.0, torch.Generator().manual_seed(0), probability=1.0)
    ink = ((out + 1) / 2).sum(dim=(1, 2, 3)) / 20  # ink per row of the stroke: its width in px
    assert set(torch.round(ink).tolist()) == {2.0, 4.0}  # 3 px -> 2 or 4 (plus the stroke's ends)
    assert 60 < int((ink > 3).sum()) < 140  # even odds
    half = morphed(bar, -1.0, torch.Generator().manual_seed(1), probability=0.5)
    untouched = (half == bar).flatten(1).all(dim=1).float().mean()
    assert 0.35 < float(untouched) < 0.65
    blank = torch.full((4, 1, 28, 28), -1.0)
    assert torch.equal(morphed(blank, -1.0, torch.Generator().manual_seed(2), 1.0), blank)
    assert torch.equal(morphed(bar, -1.0, torch.Generator().manual_seed(3), 0.0), bar)


def test_morphed_with_keep_peak_thins_a_faint_stroke_without_dimming_it():
    bar = torch.full((1, 1, 28, 28), -1.0)
    bar[:, :, 4:24, 13:15] = 0.2  # a 2 px stroke at 60% ink: erosion alone dims it further
    rng = torch.Generator().manual_seed(0)
    while True:  # find a draw that thins (even odds)
        state = rng.get_state()
        dimmed = morphed(bar, -1.0, rng, 1.0)
        if dimmed.sum() < bar.sum():
            break
    kept = morphed(bar, -1.0, torch.Generator().set_state(state), 1.0, keep_peak=True)
    assert float(dimmed.max()) < 0.2 - 0.3  # the plain erosion leaves it fainter...
    assert abs(float(kept.max()) - 0.2) < 1e-5  # ...keep_peak gives back the stroke's own peak
    assert float((kept > -1.0).sum()) == float((dimmed > -1.0).sum())  # and thins it just as much
    assert float(kept.min()) >= -1.0


def test_degraded_keeps_some_views_and_blurs_or_reduces_the_others():
    bar = _bar(500)
    out = degraded(bar, -1.0, torch.Generator().manual_seed(0))
    assert out.shape == bar.shape and out.min() >= -1 - 1e-5 and out.max() <= 1 + 1e-5
    kept = (out == bar).flatten(1).all(dim=1).float().mean()
    assert 0.12 < float(kept) < 0.28  # 1 in 5 kept
    grey = ((out > -0.9) & (out < 0.9)).flatten(1).sum(dim=1)  # blurred and reduced views have soft edges
    assert float((grey > 20).float().mean()) > 0.4
    assert torch.equal(degraded(bar, -1.0, torch.Generator().manual_seed(0)), out)  # a function of the state
    assert min(LOW_RESOLUTIONS) == 8  # the robustness suite's hardest reduction


def test_morph_and_robust_views_change_training_and_are_recorded(tmp_path):
    config = TrainConfig(mode="semi-supervised", data="fake", fake_size=128, batch_size=16, epochs=1, max_steps=3,
                         labels_per_class=2, labelled_batch=8, consistency_weight=1.0, consistency_threshold=0.0)
    model = architecture("tiny", LatentSpec(n_continuous=3))
    plain = torch.load(train.loop.train(model, config, tmp_path / "plain", device="cpu"), weights_only=False)
    for name, changed in (("morph", replace(config, morph_probability=0.5)),
                          ("robust", replace(config, robust_views=True))):
        state = torch.load(train.loop.train(model, changed, tmp_path / name, device="cpu"), weights_only=False)
        assert TrainConfig.from_dict(state["train_config"]) == changed  # export copies it into the manifest
        assert any(not torch.equal(plain["discriminator"][k], v) for k, v in state["discriminator"].items())
    with pytest.raises(ValueError, match="morph_probability"):
        replace(config, morph_probability=1.5)
