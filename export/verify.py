"""Verification that is part of export: the ONNX graphs must compute what PyTorch computes.

Every check raises `VerificationError` (failing the export) when it does not hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from export.graphs import EncoderGraph, GeneratorGraph, export_encoder, export_generator
from infogan_sdk import spec as names
from infogan_sdk.latents.draw import draw
from infogan_sdk.loading.sessions import Session, open_session

BATCHES = (1, 2, 257)  # a batch of one, a small one and one that is no power of two
TOLERANCE = 1e-4  # max abs error on images and logits
ACCURACY_TOLERANCE = 0.001  # Q accuracy on MNIST test, PyTorch vs ONNX: 0.1 point


class VerificationError(RuntimeError):
    """An exported graph does not match PyTorch, or the model is not what its mode promises."""


def check_graph(path: Path) -> None:
    """onnx.checker's full check (shape inference included)."""
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except onnx.checker.ValidationError as error:
        raise VerificationError(f"{path.name} fails onnx.checker: {error}") from error


def session(path: Path) -> Session:
    """The SDK's CPU session for one exported file (one way to open onnxruntime sessions outside the SDK too)."""
    return open_session(path.read_bytes(), str(path), device="cpu")


def export_checked(generator: GeneratorGraph, encoder: EncoderGraph, work: Path, exporter: str,
                   real_pixels: np.ndarray) -> dict[str, Any]:
    """Both graphs written to `work` as generator.onnx and encoder.onnx, each checked, then run against PyTorch
    on `real_pixels` (N, C, H, W); returns `parity`'s record."""
    export_generator(generator.generator, generator.spec, work / "generator.onnx", exporter)
    export_encoder(encoder, generator.spec, work / "encoder.onnx", exporter)
    for file in ("generator.onnx", "encoder.onnx"):
        check_graph(work / file)
    return parity(generator, encoder, work, "generator.onnx", "encoder.onnx", real_pixels)


@torch.no_grad()
def parity(generator: GeneratorGraph, encoder: EncoderGraph, folder: Path, generator_file: str,
           encoder_file: str, real_pixels: np.ndarray) -> dict[str, Any]:
    """onnxruntime vs PyTorch (eval mode) at batch sizes 1, 2 and 257, on random latents and real images."""
    generator.eval()
    encoder.eval()
    g_session, e_session = session(folder / generator_file), session(folder / encoder_file)
    outputs = encoder.outputs
    rng = np.random.default_rng(0)
    worst: dict[str, float] = {names.IMAGES: 0.0, **{name: 0.0 for name in outputs}}
    for batch in BATCHES:
        wide = {column: rng.uniform(-2, 2, batch) for column in range(generator.spec.n_continuous)}  # beyond training
        feeds = draw(generator.spec, batch, int(rng.integers(1 << 31)), None, wide, None).feeds(generator.spec,
                                                                                                 slice(0, batch))
        expected = generator(*(torch.from_numpy(v) for v in feeds.values())).numpy()
        (got,) = g_session.run([names.IMAGES], feeds)
        _compare(names.IMAGES, batch, expected, got, worst)
        repeats = len(real_pixels) < batch  # a test split smaller than the batch: images drawn again
        images = real_pixels[rng.choice(len(real_pixels), size=batch, replace=repeats)]
        expected_all = [t.numpy() for t in encoder(torch.from_numpy(images))]
        got_all = e_session.run(outputs, {names.IMAGES: images})
        for name, want, have in zip(outputs, expected_all, got_all, strict=True):
            _compare(name, batch, want, have, worst)
        if not np.array_equal(expected_all[0].argmax(1), got_all[0].argmax(1)):
            raise VerificationError(f"categorical argmax differs between PyTorch and ONNX at batch {batch}")
    return {"batches": list(BATCHES), "tolerance": TOLERANCE, "max_abs_error": worst}


def same_outputs(old: Path, new: Path, outputs: list[str], pixels: np.ndarray,
                 tolerance: float = TOLERANCE) -> dict[str, float]:
    """`new` gives `old`'s `outputs` on (N, 1, 28, 28) images within `tolerance` (the parity tolerance, relative
    beyond 1); their max abs errors."""
    worst = {name: 0.0 for name in outputs}
    old_session, new_session = session(old), session(new)
    for start in range(0, len(pixels), 1000):
        rows = pixels[start : start + 1000]
        for name, want, have in zip(outputs, old_session.run(outputs, {names.IMAGES: rows}),
                                    new_session.run(outputs, {names.IMAGES: rows}), strict=True):
            _compare(f"{name} (old file vs new)", len(rows), want, have, worst, name, tolerance)
    return worst


def _compare(name: str, batch: int, expected: np.ndarray, got: np.ndarray, worst: dict[str, float],
             key: str | None = None, absolute: float = TOLERANCE) -> None:
    if expected.shape != got.shape:
        raise VerificationError(f"{name} at batch {batch}: PyTorch shape {expected.shape}, ONNX shape {got.shape}")
    error = float(np.max(np.abs(expected - got))) if expected.size else 0.0
    # relative beyond 1: for outputs of tens (logits, scores) float32 rounding alone is ~1e-5 per unit
    tolerance = absolute * max(1.0, float(np.max(np.abs(expected)))) if expected.size else absolute
    if not error <= tolerance:
        raise VerificationError(f"{name} at batch {batch}: max abs error {error:.3g} exceeds {tolerance:.3g}")
    key = name if key is None else key
    worst[key] = max(worst[key], error)


def onnx_codes(encoder_path: Path, pixels: np.ndarray, size: int, batch: int = 1000) -> np.ndarray:
    """Argmax of the first categorical code for (N, C, H, W) float32 images, via onnxruntime."""
    run = session(encoder_path)
    logits = [run.run([names.CATEGORICAL_LOGITS], {names.IMAGES: pixels[i : i + batch]})[0]
              for i in range(0, len(pixels), batch)]
    return np.concatenate(logits)[:, :size].argmax(axis=1)


def code_agreement(torch_codes: np.ndarray, onnx_codes_: np.ndarray) -> dict[str, float]:
    """The share of test images whose first categorical code PyTorch and ONNX read alike; at least 1 - 0.1 point."""
    agreement = float(np.mean(torch_codes == onnx_codes_)) if len(torch_codes) else 1.0
    if agreement < 1.0 - ACCURACY_TOLERANCE:
        raise VerificationError(f"PyTorch and ONNX read the first categorical code alike on {agreement:.2%} of the "
                                f"test images, expected at least {1 - ACCURACY_TOLERANCE:.1%}")
    return {"agreement": agreement, "images": len(torch_codes)}


def accuracy_parity(torch_codes: np.ndarray, onnx_codes_: np.ndarray, labels: np.ndarray,
                    code_to_digit: list[int]) -> dict[str, float]:
    """Q accuracy on real test images after the mapping, PyTorch vs ONNX; must agree to 0.1 point."""
    mapping = np.asarray(code_to_digit)
    torch_accuracy = float(np.mean(mapping[torch_codes] == labels))
    onnx_accuracy = float(np.mean(mapping[onnx_codes_] == labels))
    if abs(torch_accuracy - onnx_accuracy) > ACCURACY_TOLERANCE:
        raise VerificationError(f"Q accuracy on MNIST test: PyTorch {torch_accuracy:.4f} vs ONNX {onnx_accuracy:.4f}, "
                                f"more than {ACCURACY_TOLERANCE} apart")
    return {"torch": torch_accuracy, "onnx": onnx_accuracy, "images": len(labels)}
