"""Stage 3, the noise head, on a bundled model folder without one (`mnist-v1`): the folder's networks stay frozen,
resume is exact, and export writes the folder again with a `noise` output whose old outputs are unchanged."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from export.noise import export_noise
from export.verify import VerificationError
from infogan_sdk import Encoder, Generator
from infogan_sdk.loading.manifest import load_manifest
from train.__main__ import main as train_main
from train.checkpoint import NOISE_KEYS, load_checkpoint
from train.config import NoiseConfig
from train.noise import train_noise

pytestmark = pytest.mark.slow  # each run reads MNIST and trains a few steps (seconds)
SOURCE = "mnist-v1"  # a bundled folder whose encoder has no noise output
CONFIG = NoiseConfig(model=SOURCE, batch_size=16, hidden=32, max_steps=6, log_every=2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_noise(CONFIG, tmp_path_factory.mktemp("noise") / "run")


def test_a_resumed_noise_run_equals_an_uninterrupted_one(run, tmp_path):
    train_noise(replace(CONFIG, max_steps=3), tmp_path / "halves")
    halves = load_checkpoint(train_noise(CONFIG, tmp_path / "halves", resume=True), NOISE_KEYS)
    whole = load_checkpoint(run, NOISE_KEYS)
    assert halves["step"] == whole["step"] == 6 and whole["stage"] == "noise"
    for key in ("noise_head", "average"):
        assert all(torch.equal(halves[key][k], whole[key][k]) for k in whole[key]), key
    assert 0.0 < whole["evaluation"]["pixel_correlation_median"] < 1.0
    with pytest.raises(ValueError, match="cannot resume"):
        train_noise(replace(CONFIG, lr=1e-2), tmp_path / "halves", resume=True)


def test_export_adds_a_noise_output_and_changes_nothing_else(run, tmp_path):
    folder = export_noise(run, tmp_path / "editable")
    before, after = Encoder(SOURCE, device="cpu"), Encoder(folder, device="cpu")
    assert after.has_noise and not before.has_noise
    images = Generator(SOURCE, device="cpu").generate(count=32, seed=0).images
    old, new = before.infer(images), after.infer(images)
    np.testing.assert_array_equal(old.probabilities, new.probabilities)
    np.testing.assert_array_equal(old.continuous, new.continuous)
    assert new.noise is not None and new.noise.shape == (32, after.spec.noise_size)
    record = after.info["noise_encoder"]
    assert max(record["export"]["old_outputs_max_abs_error"].values()) == 0.0
    assert (folder / "generator.onnx").read_bytes() == (before.path / "generator.onnx").read_bytes()
    redrawn = Generator(folder, device="cpu").reconstruct(images)
    assert redrawn.reconstruction_error is not None and redrawn.reconstruction_error.shape == (32,)
    with pytest.raises(VerificationError, match="already has a 'noise' output"):  # a second head on top: refused
        export_noise(_pointed_at(folder, run, tmp_path), tmp_path / "again")
    assert not (tmp_path / "again").exists()


def _pointed_at(folder, run, tmp_path):
    """The run's checkpoint, pointed at `folder` (its files recorded as those it was trained on)."""
    state = load_checkpoint(run, NOISE_KEYS)
    state["noise_config"]["model"] = str(folder)
    state["model_files"] = load_manifest(folder).data["files"]
    path = tmp_path / "pointed.pt"
    torch.save(state, path)
    return path


def test_the_cli_runs_stage_three(tmp_path):
    out = tmp_path / "cli"
    assert train_main(["--stage", "noise", "--model", SOURCE, "--out", str(out), "--max-steps", "2",
                       "--batch-size", "16", "--noise-hidden", "16", "--log-every", "1"]) == 0
    state = load_checkpoint(out, NOISE_KEYS)
    assert state["step"] == 2 and state["noise_config"]["hidden"] == 16 and state["noise_config"]["model"] == SOURCE
