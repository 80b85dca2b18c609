"""An exported model folder back in PyTorch: its generator and encoder as `train.networks` modules.

Export runs the networks in eval mode, so each BatchNorm is folded into the layer before it and the ONNX
initializers carry the folded weights under the PyTorch names (`generator.fc.0.weight`, ...). Loading them
with every BatchNorm set to the identity gives back the exported functions; `load_folder` checks that against
onnxruntime before it returns. This is what a stage that starts from a shipped model (`train/noise.py`) needs:
the checkpoints that made the bundled models are not shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from torch import nn

from infogan_sdk import spec as names
from infogan_sdk.loading.manifest import Manifest, load_manifest
from infogan_sdk.spec import LatentSpec
from train.config import ModelConfig
from train.networks import Density, DigitScore, Discriminator, Generator, NoiseHead, build, fold_spectral_norm

TOLERANCE = 1e-4  # the largest difference from onnxruntime accepted, as export's parity check


@dataclass
class Folder:
    """A model folder's networks in PyTorch, eval mode and frozen; `digit_score` and `noise_head` None when it has
    none."""

    manifest: Manifest
    model_config: ModelConfig
    generator: Generator
    reader: Discriminator
    digit_score: DigitScore | None
    noise_head: NoiseHead | None = None

    @property
    def spec(self) -> LatentSpec:
        return self.model_config.latent


def load_folder(folder: str | Path) -> Folder:
    """The generator, the encoder's network and its digit score of `folder`, checked against onnxruntime."""
    manifest = load_manifest(folder)
    model_config = ModelConfig.from_dict(manifest.data["training"]["model_config"])
    generator, reader = build(model_config, seed=0)
    fold_spectral_norm(reader)  # export folded it: the graph holds D's plain weights
    weights = {**_initializers(manifest.read("generator")), **_initializers(manifest.read("encoder"))}
    for prefix, network in (("generator.", generator), ("discriminator.", reader)):
        _load(network, prefix, weights)
    digit_score = _digit_score(weights)
    noise_head = None
    if "noise_head.mean" in weights:
        hidden = weights["noise_head.net.0.weight"].shape[0]
        noise_head = NoiseHead(model_config.latent, len(weights["noise_head.mean"]), hidden)
        _load(noise_head, "noise_head.", weights)
    for network in (generator, reader, digit_score, noise_head):
        if network is not None:
            network.eval().requires_grad_(False)
    loaded = Folder(manifest, model_config, generator, reader, digit_score, noise_head)
    _check(loaded)
    return loaded


def _digit_score(weights: dict[str, np.ndarray]) -> DigitScore | None:
    """The encoder's digit score (`train.networks.DigitScore`), its density part included where it has one."""
    if "digit_score.mean" not in weights:
        return None
    tensor = {name: torch.from_numpy(value.copy()) for name, value in weights.items()
              if name.startswith("digit_score.")}
    density = None
    if "digit_score.density.whitening" in tensor:
        shifts = tuple(float(tensor[f"digit_score.density.{name}"][0])
                       for name in ("logit_shift", "density_shift", "density_scale"))
        density = Density(tensor["digit_score.density.centres"], tensor["digit_score.density.whitening"],
                          (shifts[0], shifts[1], shifts[2]))
    score = DigitScore(tensor["digit_score.mean"], tensor["digit_score.scale"], density=density)
    _load(score, "digit_score.", weights)
    return score


def _initializers(model_bytes: bytes) -> dict[str, np.ndarray]:
    graph = onnx.load_from_string(model_bytes).graph
    return {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}


def _load(network: nn.Module, prefix: str, weights: dict[str, np.ndarray]) -> None:
    """Every parameter of `network` from `weights[prefix + name]`; each BatchNorm becomes the identity."""
    state = network.state_dict()
    for name in state:
        key = prefix + name
        if key in weights:
            state[name] = torch.from_numpy(weights[key].copy()).reshape(state[name].shape)
        elif not name.startswith(_batch_norms(network)):
            raise ValueError(f"the model folder has no weight {key!r}: it was not exported from this architecture")
    network.load_state_dict(state)
    for layer in network.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            assert layer.running_var is not None and layer.running_mean is not None
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)
            layer.running_mean.zero_()
            layer.running_var.fill_(1.0 - layer.eps)  # (x - 0) / sqrt(1 - eps + eps) == x, exactly


def _batch_norms(network: nn.Module) -> tuple[str, ...]:
    return tuple(f"{name}." for name, layer in network.named_modules()
                 if isinstance(layer, nn.modules.batchnorm._BatchNorm))


def _check(folder: Folder) -> None:
    """The PyTorch networks give what the ONNX files give on a seeded batch, or ValueError."""
    spec, rng = folder.spec, np.random.default_rng(0)
    noise = rng.standard_normal((16, spec.noise_size), dtype=np.float32)
    categorical = np.eye(spec.categorical_size, dtype=np.float32)[rng.integers(0, spec.categorical_size, 16)]
    continuous = rng.uniform(-1, 1, (16, spec.n_continuous)).astype(np.float32)
    feeds = {names.NOISE: noise, names.CATEGORICAL: categorical, names.CONTINUOUS: continuous}
    session = ort.InferenceSession(folder.manifest.read("generator"), providers=["CPUExecutionProvider"])
    (images,) = session.run([names.IMAGES], {k: v for k, v in feeds.items() if k in spec.generator_inputs()})
    with torch.no_grad():
        drawn = folder.generator(*(torch.from_numpy(feeds[k]) for k in (names.NOISE, names.CATEGORICAL,
                                                                        names.CONTINUOUS)))
        session = ort.InferenceSession(folder.manifest.read("encoder"), providers=["CPUExecutionProvider"])
        outputs = [output.name for output in session.get_outputs()]
        found = dict(zip(outputs, session.run(outputs, {names.IMAGES: images}), strict=True))
        read = folder.reader.forward_with_features(torch.from_numpy(images))
        expected = {names.CATEGORICAL_LOGITS: read[1], names.CONTINUOUS_MEAN: read[2]}
        if folder.digit_score is not None:
            expected[names.DIGIT_SCORE] = folder.digit_score(read[4])
        if folder.noise_head is not None:
            expected[names.NOISE] = folder.noise_head(torch.from_numpy(images), read[4])
    errors = {"images": np.abs(drawn.numpy() - images).max(),
              **{name: np.abs(value.numpy() - found[name]).max() for name, value in expected.items()}}
    if max(errors.values()) > TOLERANCE:
        raise ValueError(f"{folder.manifest.path}: the PyTorch networks differ from the ONNX files by {errors}")
