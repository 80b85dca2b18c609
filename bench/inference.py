"""Sections 1-3: the SDK's `Generator.generate` and `Encoder.infer` against PyTorch eager on the same weights,
at the same thread count, with the achieved GFLOP/s as a fraction of the measured sgemm ceiling.

Both sides do the whole job a user's call does:
    SDK generate:   seeded sampling + validation + onnxruntime + float -> uint8 (N, 28, 28)
    torch generate: train.losses.sample_latent + forward (eval, inference_mode) + train.pixels.to_uint8
    SDK infer:      uint8 (N, 28, 28) -> input checks + pixel scaling + onnxruntime + softmax / digits
    torch infer:    uint8 -> train.pixels.to_pixels + forward + softmax / argmax, as numpy
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from bench.timing import Budget, latency, throughput
from infogan_sdk import Encoder, Generator
from train.config import ModelConfig
from train.losses import sample_latent
from train.networks import Discriminator
from train.networks import Generator as TorchGenerator
from train.pixels import to_pixels, to_uint8

WILD_SIZE = 64  # "wild" encoder inputs: 64x64 RGB, dark ink on white, digit scaled and off-centre
PREPROCESS_BATCH = 256


@dataclass(frozen=True)
class Setup:
    """What every inference row needs: the model, its torch twin, real images and the FLOP figures."""

    model_dir: Any
    model_config: ModelConfig
    torch_generator: TorchGenerator
    torch_discriminator: Discriminator
    images: np.ndarray  # uint8 (N, 28, 28) MNIST test images
    labels: np.ndarray  # int64 (N,)
    flops: dict[str, int]  # "generator" / "encoder" -> FLOPs per image
    budget: Budget


@torch.inference_mode()
def torch_generate(generator: TorchGenerator, config: ModelConfig, batch: int, rng: torch.Generator) -> np.ndarray:
    latent = sample_latent(config.latent, batch, rng, torch.device("cpu"))
    return to_uint8(generator(latent.noise, latent.categorical, latent.continuous), config.latent)


@torch.inference_mode()
def torch_infer(discriminator: Discriminator, config: ModelConfig, images: np.ndarray) -> tuple[np.ndarray, ...]:
    realness, logits, mean, _ = discriminator(to_pixels(torch.from_numpy(images), config.latent))
    probabilities = logits[:, : config.latent.digit_code_size].softmax(dim=1)
    return probabilities.argmax(dim=1).numpy(), probabilities.numpy(), mean.numpy(), realness.numpy()


def compare(setup: Setup, threads: int) -> dict[str, list[dict[str, Any]]]:
    """Rows of sections 1 and 2 at one thread count (`add_fractions` relates them to the ceiling afterwards)."""
    torch.set_num_threads(threads)
    generator = Generator(setup.model_dir, device="cpu", threads=threads)
    encoder = Encoder(setup.model_dir, device="cpu", threads=threads)
    rng = torch.Generator().manual_seed(0)
    config, images = setup.model_config, setup.images
    calls: dict[str, tuple[Callable[[int], Any], Callable[[int], Any]]] = {
        "generate": (lambda n: generator.generate(count=n, seed=0),
                     lambda n: torch_generate(setup.torch_generator, config, n, rng)),
        "infer": (lambda n: encoder.infer(images[:n]),
                  lambda n: torch_infer(setup.torch_discriminator, config, images[:n])),
    }
    return {name: _rows(name, sdk, baseline, threads, setup.flops["generator" if name == "generate" else "encoder"],
                        setup.budget) for name, (sdk, baseline) in calls.items()}


def _rows(name: str, sdk: Callable[[int], Any], baseline: Callable[[int], Any], threads: int, flops: int,
          budget: Budget) -> list[dict[str, Any]]:
    """The batch-1 latency row and one throughput row per batch size, SDK and PyTorch side by side."""
    rows = [_row(name, threads, 1, "latency", latency(lambda: sdk(1), budget.latency_calls),
                 latency(lambda: baseline(1), budget.latency_calls), flops)]
    for batch in budget.batches:
        rows.append(_row(name, threads, batch, "throughput", throughput(functools.partial(sdk, batch), batch, budget),
                         throughput(functools.partial(baseline, batch), batch, budget), flops))
    return rows


def _row(name: str, threads: int, batch: int, metric: str, sdk: dict[str, float], baseline: dict[str, float],
         flops: int) -> dict[str, Any]:
    """One table row; ratio = SDK / PyTorch of p50 latency or of images/s (so < 1 resp. > 1 favours the SDK)."""
    key = "p50_ms" if metric == "latency" else "images_per_s"
    row: dict[str, Any] = {"call": name, "threads": threads, "batch": batch, "metric": metric, "sdk": sdk,
                           "torch": baseline, "ratio": sdk[key] / baseline[key]}
    for side, figures in (("sdk", sdk), ("torch", baseline)):
        rate = figures["images_per_s"] if metric == "throughput" else 1e3 / figures["p50_ms"]
        row[f"{side}_gflops"] = rate * flops / 1e9
    return row


def add_fractions(rows: list[dict[str, Any]], ceilings: dict[str, dict[str, Any]]) -> None:
    """Each GFLOP/s figure of the rows ("sdk_gflops", "torch_gflops", "gflops") as a fraction of the sgemm
    ceiling at the row's thread count, in the matching "*ceiling_fraction" key."""
    for row in rows:
        for key in ("sdk_gflops", "torch_gflops", "gflops"):
            if key in row:
                row[key.replace("gflops", "ceiling_fraction")] = row[key] / ceilings[str(row["threads"])]["gflops"]


def wild_images(images: np.ndarray, seed: int = 0) -> list[Image.Image]:
    """MNIST digits as a phone would see them: 64x64 RGB, dark ink on white, scaled up 1.5x, off-centre."""
    rng = np.random.default_rng(seed)
    side = round(images.shape[1] * 1.5)
    wild = []
    for image, (top, left) in zip(images, rng.integers(0, WILD_SIZE - side + 1, (len(images), 2)), strict=True):
        canvas = np.zeros((WILD_SIZE, WILD_SIZE), dtype=np.uint8)
        canvas[top:top + side, left:left + side] = np.asarray(Image.fromarray(image).resize((side, side)))
        wild.append(Image.fromarray(255 - canvas).convert("RGB"))
    return wild


def preprocessing(setup: Setup, threads: int) -> dict[str, Any]:
    """Encoder.infer on model-ready 28x28 uint8 arrays vs the same digits as wild PIL images."""
    encoder = Encoder(setup.model_dir, device="cpu", threads=threads)
    ready = setup.images[:PREPROCESS_BATCH]
    wild = wild_images(ready)
    result: dict[str, Any] = {"threads": threads, "batch": PREPROCESS_BATCH}
    for name, inputs in (("uint8_28x28", ready), ("wild_pil_64x64_rgb", wild)):
        result[name] = {"latency": latency(lambda x=inputs: encoder.infer(x[:1]), setup.budget.latency_calls),
                        "throughput": throughput(lambda x=inputs: encoder.infer(x), PREPROCESS_BATCH, setup.budget),
                        "accuracy": float(np.mean(encoder.infer(inputs).digits == setup.labels[:PREPROCESS_BATCH]))}
    per_image = {name: 1e3 / result[name]["throughput"]["images_per_s"] for name in ("uint8_28x28",
                                                                                      "wild_pil_64x64_rgb")}
    result["preprocess_ms_per_image"] = per_image["wild_pil_64x64_rgb"] - per_image["uint8_28x28"]
    return result
