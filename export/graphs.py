"""PyTorch -> ONNX for the two exported networks, with named inputs/outputs and a dynamic batch.

The generator takes the latent parts as separate named inputs; the encoder is the discriminator
body with both heads (Q's code parameters and D's realness logit). Both are exported in eval mode.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import onnx
import torch
from torch import nn

from infogan_sdk import spec as names
from infogan_sdk.spec import LatentSpec
from train.networks import Discriminator, Generator

OPSET = 18  # pinned: every op these networks use exists there, and onnxruntime >= 1.17 runs it
EXPORTERS = ("dynamo", "legacy")


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


class DigitScore(nn.Module):
    """(N, F) features -> (N,) digit score: minus the Mahalanobis distance to the nearest digit's mean.

    means (K, F) per digit code and a precision matrix (F, F) shared by all (Lee et al. 2018); fitted by
    `fit_digit_score`. Higher is more like the training digits.
    """

    def __init__(self, means: torch.Tensor, precision: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("means", means.float())
        self.register_buffer("whiten", torch.linalg.cholesky(precision.double()).float())  # P = L L^T

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        offsets = features[:, None, :] - self.means[None]  # (N, K, F)
        squared = ((offsets @ self.whiten) ** 2).sum(dim=2)  # (N, K): (f - mu)^T P (f - mu)
        return -squared.min(dim=1).values.clamp(min=0).sqrt()  # (N,)


def fit_digit_score(features: torch.Tensor, codes: torch.Tensor, size: int, ridge: float = 1e-3) -> DigitScore:
    """Class means of (N, F) features by (N,) digit code, and the shared covariance's inverse (with a ridge of
    `ridge` x its mean variance, so that features that barely vary do not dominate)."""
    features = features.double()
    means = torch.stack([features[codes == k].mean(dim=0) if (codes == k).any() else features.mean(dim=0)
                         for k in range(size)])
    centred = features - means[codes]
    covariance = centred.T @ centred / len(features)
    covariance += ridge * covariance.diagonal().mean() * torch.eye(features.shape[1], dtype=torch.float64)
    return DigitScore(means, torch.linalg.inv(covariance))


class EncoderGraph(nn.Module):
    """Images -> (categorical logits, continuous means[, log-stds], realness logit[, digit score])."""

    def __init__(self, discriminator: Discriminator, learn_std: bool, digit_score: DigitScore | None = None) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.learn_std = learn_std
        self.digit_score = digit_score

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        realness, logits, mean, log_std, hidden = self.discriminator.forward_with_hidden(images)
        outputs = (logits, mean, log_std, realness) if self.learn_std else (logits, mean, realness)
        return outputs if self.digit_score is None else (*outputs, self.digit_score(hidden))


def encoder_outputs(learn_std: bool, digit_score: bool = False) -> list[str]:
    std = [names.CONTINUOUS_LOG_STD] if learn_std else []
    return [names.CATEGORICAL_LOGITS, names.CONTINUOUS_MEAN, *std, names.REALNESS,
            *([names.DIGIT_SCORE] if digit_score else [])]


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
    example = (torch.zeros(3, *spec.image_shape),)
    to_onnx(graph, example, [names.IMAGES], encoder_outputs(graph.learn_std, graph.digit_score is not None), path,
            exporter)
