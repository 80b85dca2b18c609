"""Checkpoints to export: a dry run, and a tiny model trained briefly on real MNIST so Q reads digits."""

from dataclasses import replace

import pytest

import train.loop
from infogan_sdk.spec import LatentSpec
from train.config import TrainConfig, architecture


@pytest.fixture(scope="session")
def dry_checkpoint(tmp_path_factory):
    config = TrainConfig(data="fake", fake_size=64, batch_size=16, epochs=1, max_steps=4, log_every=2)
    model = architecture("tiny", LatentSpec(), learn_std=True)  # the encoder then also outputs log-stds
    return train.loop.train(model, config, tmp_path_factory.mktemp("dry"), device="cpu")


@pytest.fixture(scope="session")
def supervised_checkpoint(tmp_path_factory):
    """A tiny supervised model: 300 steps on real MNIST, enough for Q to read digits well above chance (about 40%)."""
    config = TrainConfig(mode="supervised", batch_size=64, epochs=1, max_steps=300, log_every=100)
    model = replace(architecture("tiny", LatentSpec()), discriminator_channels=(8, 16), discriminator_fc=64)
    return train.loop.train(model, config, tmp_path_factory.mktemp("supervised"), device="cpu")


@pytest.fixture(scope="session")
def exported(dry_checkpoint, tmp_path_factory):
    """The dry run exported, its description and digit score from few images."""
    from tests.export.test_export import quick_export

    return quick_export(dry_checkpoint, tmp_path_factory.mktemp("models") / "dry", 1000)
