"""The 28x28 grey networks, pinned: parameter names and shapes, initial weights and outputs.

Checkpoints, the shipped models (rebuilt from ONNX initializers by `train/from_folder.py`) and every pinned test
depend on these exact modules, so a network built for other resolutions must leave them as they are.
"""

from __future__ import annotations

import hashlib

import pytest
import torch

from infogan_sdk.spec import LatentSpec
from train.config import ModelConfig, architecture
from train.losses import sample_latent
from train.networks import build

SEVERAL = LatentSpec(noise_size=5, categorical_sizes=(4, 3), n_continuous=3)

TINY_GENERATOR = [
    ("fc.0.weight", (32, 74)), ("fc.0.bias", (32,)), ("fc.1.weight", (32,)), ("fc.1.bias", (32,)),
    ("fc.1.running_mean", (32,)), ("fc.1.running_var", (32,)), ("fc.1.num_batches_tracked", ()),
    ("fc.3.weight", (392, 32)), ("fc.3.bias", (392,)), ("fc.4.weight", (392,)), ("fc.4.bias", (392,)),
    ("fc.4.running_mean", (392,)), ("fc.4.running_var", (392,)), ("fc.4.num_batches_tracked", ()),
    ("deconv.0.weight", (8, 4, 4, 4)), ("deconv.0.bias", (4,)), ("deconv.1.weight", (4,)), ("deconv.1.bias", (4,)),
    ("deconv.1.running_mean", (4,)), ("deconv.1.running_var", (4,)), ("deconv.1.num_batches_tracked", ()),
    ("deconv.3.weight", (4, 1, 4, 4)), ("deconv.3.bias", (1,)),
]
TINY_DISCRIMINATOR = [
    ("body.layers.0.weight", (4, 1, 4, 4)), ("body.layers.0.bias", (4,)), ("body.layers.2.weight", (8, 4, 4, 4)),
    ("body.layers.2.bias", (8,)), ("body.layers.3.weight", (8,)), ("body.layers.3.bias", (8,)),
    ("body.layers.3.running_mean", (8,)), ("body.layers.3.running_var", (8,)),
    ("body.layers.3.num_batches_tracked", ()), ("body.layers.6.weight", (32, 392)), ("body.layers.6.bias", (32,)),
    ("body.layers.7.weight", (32,)), ("body.layers.7.bias", (32,)), ("body.layers.7.running_mean", (32,)),
    ("body.layers.7.running_var", (32,)), ("body.layers.7.num_batches_tracked", ()), ("d_head.weight", (1, 32)),
    ("d_head.bias", (1,)), ("q_head.hidden.0.weight", (16, 32)), ("q_head.hidden.0.bias", (16,)),
    ("q_head.hidden.1.weight", (16,)), ("q_head.hidden.1.bias", (16,)), ("q_head.hidden.1.running_mean", (16,)),
    ("q_head.hidden.1.running_var", (16,)), ("q_head.hidden.1.num_batches_tracked", ()),
    ("q_head.categorical.weight", (10, 16)), ("q_head.categorical.bias", (10,)),
    ("q_head.continuous.weight", (2, 16)), ("q_head.continuous.bias", (2,)),
]

# (architecture, spec, learn_std): per network, the sha256 (16 hex) of its "name:shape" list and two weighted sums
# of its initial state (seed 7); then sums of G's images, D's realness, Q's logits and means on a seeded batch.
PINNED = [
    ("paper", LatentSpec(), False,
     ("fcfbed183fd0956a", 155627.29852217453, 177250.99526276713),
     ("397f3c5db7e097b8", 35388.78854120218, 61947.568339866535),
     (71.63660089721088, -1.3760594502091408, 0.26360431127250195, -0.12127998098731041)),
    ("compact", LatentSpec(), False,
     ("d69f6e49d8eeddcd", 75701.94090419258, 78423.5664742197),
     ("e3cccd5d7b760ed0", 13448.423745024622, 17027.513285262656),
     (8.585247610360966, 0.13281147927045822, 1.1658939458429813, 0.02130759134888649)),
    ("tiny", LatentSpec(), False,
     ("1d3556552e28f89b", 9407.883089214658, 9502.777621541378),
     ("2aa393567fe3a735", 1700.9344058683555, 1742.5292050715611),
     (67.86680888096453, 0.1716409996151924, 0.09322542883455753, -0.06236601062119007)),
    ("tiny", SEVERAL, True,
     ("7363d3e7e5c7b434", 9410.025997984434, 9494.02608884849),
     ("263c34c3365d614b", 1737.7646678749502, 1742.4492117884076),
     (23.146915549694313, 0.0373919066041708, -0.5982019947841763, 0.0287912180647254)),
]


def fingerprint(network: torch.nn.Module) -> tuple[str, float, float]:
    state = network.state_dict()
    layout = ";".join(f"{name}:{tuple(value.shape)}" for name, value in state.items())
    weighted = sum((k + 1) * value.double().sum().item() for k, value in enumerate(state.values()))
    squares = sum((k + 1) * (value.double() ** 2).sum().item() for k, value in enumerate(state.values()))
    return hashlib.sha256(layout.encode()).hexdigest()[:16], weighted, squares


def test_tiny_parameter_names_and_shapes() -> None:
    generator, discriminator = build(architecture("tiny", LatentSpec()), seed=0)
    assert [(k, tuple(v.shape)) for k, v in generator.state_dict().items()] == TINY_GENERATOR
    assert [(k, tuple(v.shape)) for k, v in discriminator.state_dict().items()] == TINY_DISCRIMINATOR


@pytest.mark.parametrize(("arch", "spec", "learn_std", "generator_pin", "discriminator_pin", "outputs"), PINNED)
def test_layout_initial_weights_and_outputs_are_pinned(arch, spec, learn_std, generator_pin, discriminator_pin,
                                                       outputs) -> None:
    generator, discriminator = build(architecture(arch, spec, learn_std=learn_std), seed=7)
    for network, pin in ((generator, generator_pin), (discriminator, discriminator_pin)):
        layout, weighted, squares = fingerprint(network)
        assert layout == pin[0]
        assert weighted == pytest.approx(pin[1], rel=1e-9) and squares == pytest.approx(pin[2], rel=1e-9)
    latent = sample_latent(spec, 4, torch.Generator().manual_seed(0), torch.device("cpu"))
    with torch.no_grad():
        images = generator(latent.noise, latent.categorical, latent.continuous)
        realness, logits, mean, _ = discriminator(images)
    found = [tensor.double().sum().item() for tensor in (images, realness, logits, mean)]
    assert found == pytest.approx(list(outputs), abs=1e-3)


def test_config_dicts_are_pinned() -> None:
    """The model_config every checkpoint and manifest holds: today's fields and values, 2-lists read back."""
    latent = LatentSpec().to_dict()
    expected = {
        "paper": {"generator_fc": 1024, "generator_channels": (128, 64), "discriminator_channels": (64, 128),
                  "discriminator_fc": 1024, "q_fc": 128},
        "compact": {"generator_fc": 256, "generator_channels": (64, 32), "discriminator_channels": (32, 64),
                    "discriminator_fc": 256, "q_fc": 128},
        "tiny": {"generator_fc": 32, "generator_channels": (8, 4), "discriminator_channels": (4, 8),
                 "discriminator_fc": 32, "q_fc": 16},
    }
    for name, widths in expected.items():
        config = architecture(name, LatentSpec())
        assert config.to_dict() == {"latent": latent, **widths, "discriminator_depth": 1, "learn_std": False,
                                    "leaky_slope": 0.1, "spectral_norm": False}
        saved = {**config.to_dict(), **{k: list(v) for k, v in widths.items() if isinstance(v, tuple)}}
        assert ModelConfig.from_dict(saved) == config
        del saved["discriminator_depth"], saved["spectral_norm"]  # manifests written before the fields
        assert ModelConfig.from_dict(saved) == config
    assert architecture("paper", LatentSpec()) == ModelConfig()
