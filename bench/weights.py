"""The PyTorch baseline's weights: a model folder's ONNX initializers copied into the torch networks.

The checkpoints are not shipped, but the dynamo exporter keeps the torch parameter names
("generator.fc.0.weight", "discriminator.body.layers.6.bias", ...). Its optimiser folds every
eval-mode BatchNorm into the layer before it, so the BatchNorm layers get identity statistics
(scale 1, shift 0, mean 0, var 1 - eps): the torch network then computes exactly the ONNX graph while
still running its BatchNorm ops, as a PyTorch user's model would. If the names do not match (another
exporter), the weights are copied by shape in graph order. Either way `check_parity` must pass before
anything is timed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from export.verify import session
from infogan_sdk import spec as names
from infogan_sdk.latents.draw import draw
from infogan_sdk.loading.manifest import Manifest, load_manifest
from train.config import ModelConfig
from train.networks import Discriminator, Generator, build

TOLERANCE = 1e-4  # max abs difference, torch vs onnxruntime, on images and logits
PARITY_BATCH = 64


class ParityError(RuntimeError):
    """The torch baseline does not compute what the ONNX model computes: its timings would mean nothing."""


def initializers(path: Path) -> dict[str, np.ndarray]:
    """Float initializers of an ONNX file, by name, in graph order."""
    graph = onnx.load(str(path)).graph
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    return {name: array for name, array in arrays.items() if array.dtype.kind == "f"}


def copy_weights(module: nn.Module, arrays: dict[str, np.ndarray], prefix: str) -> str:
    """Load `arrays` (ONNX initializers) into `module`; returns how ("by name" or "by shape in order")."""
    batch_norms = {name for name, layer in module.named_modules()
                   if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d))}
    state = module.state_dict()
    owned = [key for key in state if key.rsplit(".", 1)[0] not in batch_norms]
    stripped = {name.removeprefix(prefix): array for name, array in arrays.items()}
    if all(key in stripped and stripped[key].shape == tuple(state[key].shape) for key in owned):
        values, how = [stripped[key] for key in owned], "by name"
    else:  # another exporter: weights and biases in graph order, shapes must agree one by one
        candidates = [array for array in arrays.values() if array.ndim >= 1]
        values, how = candidates[:len(owned)], "by shape in order"
        if len(values) < len(owned) or any(v.shape != tuple(state[key].shape)
                                           for key, v in zip(owned, values, strict=True)):
            raise ParityError(f"cannot map the ONNX initializers {[(n, a.shape) for n, a in arrays.items()]} onto "
                              f"{[(k, tuple(state[k].shape)) for k in owned]}")
    new_state = {key: torch.from_numpy(np.array(value)) for key, value in zip(owned, values, strict=True)}
    for name in batch_norms:
        layer = module.get_submodule(name)
        assert isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d))
        width = layer.num_features
        new_state |= {f"{name}.weight": torch.ones(width), f"{name}.bias": torch.zeros(width),
                      f"{name}.running_mean": torch.zeros(width),
                      f"{name}.running_var": torch.full((width,), 1.0 - layer.eps),  # sqrt(var + eps) == 1
                      f"{name}.num_batches_tracked": torch.zeros((), dtype=torch.int64)}
    module.load_state_dict(new_state, strict=True)
    return how


def torch_networks(model_dir: Path) -> tuple[Generator, Discriminator, dict[str, Any]]:
    """The model folder's networks in PyTorch (eval mode) with its weights, parity checked; plus a note."""
    manifest = load_manifest(model_dir)
    config = ModelConfig.from_dict(manifest.data["training"]["model_config"])
    generator, discriminator = build(config, 0)
    how = {"generator": copy_weights(generator, initializers(manifest.file("generator")), "generator."),
           "encoder": copy_weights(discriminator, initializers(manifest.file("encoder")), "discriminator.")}
    generator.eval()
    discriminator.eval()
    errors = check_parity(manifest, generator, discriminator)
    source = f"ONNX initializers ({how['generator']}; BatchNorm folded by the exporter -> identity BatchNorm)"
    return generator, discriminator, {"weights": source, "parity_max_abs_error": errors, "tolerance": TOLERANCE}


@torch.inference_mode()
def check_parity(manifest: Manifest, generator: Generator, discriminator: Discriminator) -> dict[str, float]:
    """Max abs error torch vs onnxruntime on a batch; raises ParityError above TOLERANCE."""
    spec = manifest.spec
    feeds = draw(spec, PARITY_BATCH, 0, None, {}, None).feeds(spec, slice(0, PARITY_BATCH))
    full = {name: torch.from_numpy(feeds[name]) if name in feeds else torch.zeros(PARITY_BATCH, 0)
            for name in (names.NOISE, names.CATEGORICAL, names.CONTINUOUS)}
    images = generator(*full.values())
    (onnx_images,) = session(manifest.file("generator")).run([names.IMAGES], feeds)
    errors = {names.IMAGES: float(np.abs(images.numpy() - onnx_images).max())}
    encoder = session(manifest.file("encoder"))
    outputs = encoder.outputs
    onnx_outputs = dict(zip(outputs, encoder.run(outputs, {names.IMAGES: onnx_images}), strict=True))
    realness, logits, mean, _ = discriminator(torch.from_numpy(onnx_images))
    for name, value in ((names.REALNESS, realness), (names.CATEGORICAL_LOGITS, logits),
                        (names.CONTINUOUS_MEAN, mean)):
        if name in onnx_outputs:
            errors[name] = float(np.abs(value.numpy().reshape(onnx_outputs[name].shape) - onnx_outputs[name]).max())
    if not all(error < TOLERANCE for error in errors.values()):
        raise ParityError(f"{manifest.path}: the torch baseline differs from onnxruntime by {errors} "
                          f"(tolerance {TOLERANCE}); refusing to time it")
    return errors

