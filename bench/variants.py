"""Section 5: model variants. int8 (CPU) vs float32: throughput at batch 256 and what quantization costs in
accuracy; fp16 on CUDA only where onnxruntime offers the CUDA provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime

from bench.timing import Budget, throughput
from export.quantize import quantize_folder
from infogan_sdk import Encoder, Generator
from infogan_sdk.loading.manifest import load_manifest

BATCH = 256
CALIBRATION = 500  # MNIST training images for the encoder, sampled latents for the generator


def int8(model_dir: Path, work: Path, train_images: np.ndarray, test_images: np.ndarray, test_labels: np.ndarray,
         threads: tuple[int, ...], budget: Budget) -> dict[str, Any]:
    """Quantize a copy of the model (export.quantize), then compare it with float32 at every thread count."""
    folder = quantize_folder(model_dir, work / "int8", train_images[:CALIBRATION], calibration_latents=CALIBRATION)
    result: dict[str, Any] = {"method": load_manifest(folder).data["variants"]["int8"], "batch": BATCH,
                              "throughput": []}
    for count in threads:
        result["throughput"].append({"threads": count, **_compare(folder, ("fp32", "int8"), "cpu", count,
                                                                  test_images[:BATCH], budget)})
    result["accuracy"] = accuracy(folder, test_images[-budget.accuracy_images:], test_labels[-budget.accuracy_images:])
    return result


def accuracy(folder: Path, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Encoder digit accuracy fp32 vs int8 on real test images; int8 generator images vs fp32 ones."""
    encoder = {variant: Encoder(folder, device="cpu", variant=variant) for variant in (None, "int8")}
    read = {str(v or "fp32"): float(np.mean(e.infer(images).digits == labels)) for v, e in encoder.items()}
    digits = np.arange(len(images)) % 10
    drawn = {str(v or "fp32"): Generator(folder, device="cpu", variant=v).generate(digits=digits, seed=1).images
             for v in (None, "int8")}
    readable = {v: float(np.mean(encoder[None].infer(x).digits == digits)) for v, x in drawn.items()}
    return {"images": len(images),
            "encoder_accuracy": {**read, "delta": read["int8"] - read["fp32"]},
            "generator_mean_abs_pixel_diff": float(np.abs(drawn["int8"].astype(np.int16) - drawn["fp32"]).mean()),
            "generator_read_back_by_fp32_encoder": {**readable, "delta": readable["int8"] - readable["fp32"]}}


def fp16(model_dir: Path, budget: Budget) -> dict[str, Any]:
    """fp16 vs fp32 on CUDA, where the provider and the model's fp16 files exist; otherwise why it is skipped."""
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return {"status": "skipped (no CUDA provider)"}
    files = load_manifest(model_dir).data["files"]
    if "generator_fp16" not in files or "encoder_fp16" not in files:
        return {"status": "skipped (the model has no generator_fp16 / encoder_fp16 files)"}
    images = Generator(model_dir, device="cpu").generate(count=BATCH, seed=0).images
    return {"status": "ran", "batch": BATCH, **_compare(model_dir, ("fp32", "fp16"), "cuda", None, images, budget)}


def _compare(folder: Path, variants: tuple[str, str], device: str, threads: int | None, images: np.ndarray,
             budget: Budget) -> dict[str, Any]:
    """Images/s of generate and infer at BATCH for two variants of the model, and their ratio (second / first)."""
    row: dict[str, Any] = {}
    for name, kind in (("generate", Generator), ("infer", Encoder)):
        figures = {}
        for variant in variants:
            model = kind(folder, device=device, threads=threads, variant=None if variant == "fp32" else variant)
            call = (lambda m=model: m.generate(count=BATCH, seed=0)) if name == "generate" \
                else (lambda m=model: m.infer(images))
            figures[variant] = throughput(call, BATCH, budget)["images_per_s"]
        row[name] = {**figures, "ratio": figures[variants[1]] / figures[variants[0]]}
    return row
