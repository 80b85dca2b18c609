"""A run with a spectrally normalised discriminator and InfoGAN-CR's pair discriminator exports as any run does: D's
normalisation folded into plain weights that give the trained D's outputs, the pair discriminator left behind."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import train.loop
from evaluate.describe import Sizes
from export.folder import export_checkpoint
from infogan_sdk.spec import LatentSpec
from train.checkpoint import load_checkpoint
from train.config import TrainConfig, architecture
from train.from_folder import load_folder
from train.networks import build

pytestmark = pytest.mark.slow  # trains, exports and describes (seconds)


def test_a_spectral_norm_run_exports_plain_layers_with_the_trained_outputs(tmp_path) -> None:
    spec = LatentSpec(noise_size=5, categorical_sizes=(3,), n_continuous=2)  # not ten digits: the general export
    config = TrainConfig(data="fake", fake_size=64, batch_size=16, epochs=1, max_steps=3, log_every=1, cr_weight=1.0)
    checkpoint = train.loop.train(architecture("tiny", spec, spectral_norm=True), config, tmp_path / "run",
                                  device="cpu")
    folder = export_checkpoint(checkpoint, tmp_path / "model", sizes=Sizes.quick())  # PyTorch parity checked inside
    state = load_checkpoint(checkpoint)
    assert "cr_discriminator" in state
    _, discriminator = build(state["model_config"], seed=0)
    discriminator.load_state_dict(state["discriminator"])
    images = np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        expected = discriminator.eval()(torch.from_numpy(images))[:3]  # the normalisation as trained, unfolded
    session = ort.InferenceSession(str(folder / "encoder.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(["realness", "categorical_logits", "continuous_mean"], {"images": images})
    for found, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(found, want.numpy(), atol=1e-4)
    names = [tensor.name for tensor in onnx.load(folder / "encoder.onnx").graph.initializer]
    assert names and not any("parametrizations" in name or "cr_discriminator" in name for name in names)
    load_folder(folder)  # the folder's weights load back into PyTorch and match onnxruntime (its own check)
