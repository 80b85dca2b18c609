"""PyTorch -> ONNX for the two exported networks, with named inputs/outputs and a dynamic batch.

The generator takes the latent parts as separate named inputs; the encoder is the discriminator
body with both heads (Q's code parameters and D's realness logit). Both are exported in eval mode.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from infogan_sdk import spec as names
from infogan_sdk.spec import LatentSpec
from train.networks import DigitScore, Discriminator, Generator, NoiseHead

OPSET = 18  # pinned: every op these networks use exists there, and onnxruntime >= 1.17 runs it
EXPORTERS = ("dynamo", "legacy")
# encoder weights stored in fp16 and cast back in the graph: the folder's 8 MB budget (0.6 MB saved: the density's
# 384 x 384 whitening and the noise head). PyTorch's copies are rounded the same way first, so parity is exact.
HALF_PRECISION = ("digit_score.density.whitening", "domain_score.density.whitening", "noise_head.net.")


class GeneratorGraph(nn.Module):
    """The generator with the spec's named inputs; zero-width latent parts are not inputs at all."""

    def __init__(self, generator: Generator, spec: LatentSpec) -> None:
        super().__init__()
        self.generator = generator
        self.spec = spec

    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        given = dict(zip(self.spec.generator_inputs(), parts, strict=True))
        batch = parts[0].shape[0]
        widths = {names.NOISE: self.spec.noise_size, names.CATEGORICAL: self.spec.categorical_size,
                  names.CONTINUOUS: self.spec.n_continuous}
        full = [given.get(name, parts[0].new_zeros((batch, width))) for name, width in widths.items()]
        return self.generator(*full)  # (N, 1, 28, 28)


class EncoderGraph(nn.Module):
    """Images -> (categorical logits, continuous means[, log-stds], realness logit[, digit score][, domain score]
    [, noise]).

    `critic`: a two-stage model's stage 1 discriminator, whose verdict is the realness logit; the reader's own
    D head cannot give it (its body was trained to ignore the defects D sees: AUROC 0.52 real vs generated,
    against D's 0.75), so the encoder runs D's body too. `noise_head`: stage 3's (`train/noise.py`), the noise
    that redraws the image with the codes read. `domain_score`: any model's "is this one of mine"
    (`export.domain_score`) on the same features as the digit score."""

    def __init__(self, discriminator: Discriminator, learn_std: bool, digit_score: DigitScore | None = None,
                 critic: Discriminator | None = None, noise_head: NoiseHead | None = None,
                 domain_score: nn.Module | None = None) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.learn_std = learn_std
        self.digit_score = digit_score
        self.critic = critic
        self.noise_head = noise_head
        self.domain_score = domain_score

    @property
    def outputs(self) -> list[str]:
        """The output names, in the order `forward` returns them."""
        return encoder_outputs(self.learn_std, self.digit_score is not None, self.noise_head is not None,
                               self.domain_score is not None)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        realness, logits, mean, log_std, features = self.discriminator.forward_with_features(images)
        if self.critic is not None:
            realness = self.critic.d_head(self.critic.body(images)).flatten(0)  # (N,)
        outputs = (logits, mean, log_std, realness) if self.learn_std else (logits, mean, realness)
        if self.digit_score is not None:
            outputs = (*outputs, self.digit_score(features))
        if self.domain_score is not None:
            outputs = (*outputs, self.domain_score(features))
        return outputs if self.noise_head is None else (*outputs, self.noise_head(images, features))


def encoder_outputs(learn_std: bool, digit_score: bool = False, noise: bool = False,
                    domain_score: bool = False) -> list[str]:
    std = [names.CONTINUOUS_LOG_STD] if learn_std else []
    return [names.CATEGORICAL_LOGITS, names.CONTINUOUS_MEAN, *std, names.REALNESS,
            *([names.DIGIT_SCORE] if digit_score else []), *([names.DOMAIN_SCORE] if domain_score else []),
            *([names.NOISE] if noise else [])]


def to_onnx(module: nn.Module, example: tuple[torch.Tensor, ...], input_names: list[str],
            output_names: list[str], path: Path, exporter: str) -> None:
    """Export `module` (eval mode) to one self-contained ONNX file with a dynamic batch axis."""
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter must be one of {EXPORTERS}, got {exporter!r}")
    module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporters are chatty about things that do not concern us
        if exporter == "dynamo":
            batch = torch.export.Dim("batch", min=1, max=1 << 20)
            shapes: tuple[Any, ...] = tuple({0: batch} for _ in example)
            if isinstance(module, GeneratorGraph):
                shapes = (shapes,)  # its forward takes *parts: one argument holding them all
            program = torch.onnx.export(module, example, dynamo=True, opset_version=OPSET, input_names=input_names,
                                        output_names=output_names, dynamic_shapes=shapes, verbose=False)
            assert program is not None
            model = program.model_proto
        else:
            buffer = io.BytesIO()
            axes = {name: {0: "batch"} for name in input_names + output_names}
            torch.onnx.export(module, example, buffer, dynamo=False, opset_version=OPSET, input_names=input_names,
                              output_names=output_names, dynamic_axes=axes)
            model = onnx.load_from_string(buffer.getvalue())
    onnx.save_model(model, str(path), save_as_external_data=False)


def export_generator(generator: Generator, spec: LatentSpec, path: Path, exporter: str) -> None:
    inputs = spec.generator_inputs()
    example = tuple(torch.zeros(3, width) for width in inputs.values())
    to_onnx(GeneratorGraph(generator, spec), example, list(inputs), [names.IMAGES], path, exporter)


def export_encoder(graph: EncoderGraph, spec: LatentSpec, path: Path, exporter: str) -> None:
    """The encoder graph to `path`, the HALF_PRECISION weights stored in fp16 (rounded in `graph` too)."""
    example = (torch.zeros(3, *spec.image_shape),)
    round_to_half(graph, HALF_PRECISION)
    to_onnx(graph, example, [names.IMAGES], graph.outputs, path, exporter)
    model = onnx.load(str(path))
    store_half(model, HALF_PRECISION)
    onnx.save_model(model, str(path), save_as_external_data=False)


@torch.no_grad()
def round_to_half(module: nn.Module, prefixes: tuple[str, ...]) -> None:
    """Round `module`'s float32 weights whose names start with `prefixes` to the nearest float16, in place."""
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        if name.startswith(prefixes) and tensor.dtype == torch.float32:
            tensor.copy_(tensor.half().float())


def store_half(model: onnx.ModelProto, prefixes: tuple[str, ...]) -> None:
    """Store the float32 initializers whose names start with `prefixes` as float16 under the same name, each read
    through a Cast back to float32 (exact for values already rounded to float16)."""
    graph, inputs = model.graph, {value.name for value in model.graph.input}
    for initializer in graph.initializer:
        if not initializer.name.startswith(prefixes) or initializer.data_type != TensorProto.FLOAT \
                or initializer.name in inputs:
            continue
        name, wide = initializer.name, initializer.name + ".float32"
        for node in graph.node:
            node.input[:] = [wide if value == name else value for value in node.input]
        for index in reversed(range(len(graph.value_info))):  # the exporter's type for it was float32
            if graph.value_info[index].name == name:
                del graph.value_info[index]
        array = numpy_helper.to_array(initializer)
        initializer.CopyFrom(numpy_helper.from_array(array.astype(np.float16), name))
        graph.node.insert(0, helper.make_node("Cast", [name], [wide], to=TensorProto.FLOAT, name=f"cast_{name}"))
