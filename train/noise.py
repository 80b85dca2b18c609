"""Stage 3, the noise encoder: infer the noise of an image too, so that a user's own digit can be redrawn and edited.

The codes of an image come from the reader (stage 2, or the one-stage Q); what they leave out, the handwriting,
is the generator's noise. A small head (`train.networks.NoiseHead`) learns it with the model folder's generator
and reader frozen (loaded from its ONNX files, `train/from_folder.py`), from two signals:
- G's samples: the noise that drew them is known, so the head regresses it (mean squared error);
- real images, and the samples too: G redraws each from the reader's codes and the head's noise, and the
  redrawing should match the image in pixels (L1) and in the reader's features (mean squared error).
The first keeps the inferred noise where G was trained (edits stay on the manifold); the second is what users
see. `python -m export --noise-run` adds the head to the folder's encoder as the `noise` output.
Every random draw is a function of (seed, step), as in the other stages, so a resumed run is exact.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from infogan_sdk.images.convention import pixel_correlation
from infogan_sdk.loading.folders import resolve_model
from mnist_data.files import load_mnist
from train.bookkeeping import (
    METRICS_NAME,
    Schedule,
    append_metrics,
    averaged_copy,
    check_finite,
    copy_state,
    prepare_run,
    resume_checkpoint,
    step_generator,
    step_record,
    update_average,
)
from train.checkpoint import CHECKPOINT_NAME, NOISE_KEYS, code_version, save_checkpoint
from train.config import NoiseConfig
from train.from_folder import Folder, load_folder
from train.losses import one_hot, sample_latent
from train.networks import NoiseHead
from train.pixels import to_pixels

logger = logging.getLogger(__name__)
EVALUATION_IMAGES = 2000  # MNIST test images scored at the end of each epoch


def train_noise(config: NoiseConfig, out_dir: str | Path, resume: bool = False, data_dir: str | Path | None = None,
                command: str = "", overwrite: bool = False) -> Path:
    """Train (or resume) a noise encoder in `out_dir` on `config.model`'s frozen networks; returns its checkpoint.
    The run folder is checked as stage 1's (`prepare_run`)."""
    out = Path(out_dir)
    prepare_run(out, resume, overwrite)
    folder = load_folder(resolve_model(config.model))
    images, _ = load_mnist("train", data_dir)
    real = to_pixels(torch.from_numpy(images), folder.spec)  # (60000, 1, 28, 28)
    head = build_head(folder, config, real)
    optimizer = torch.optim.Adam(head.net.parameters(), lr=config.lr, betas=config.betas)
    step, average = 0, copy_state(head)
    if resume:
        step, average = _resume(out, config, head, optimizer)
    test_images, _ = load_mnist("test", data_dir)
    test = to_pixels(torch.from_numpy(test_images[:EVALUATION_IMAGES]), folder.spec)
    schedule = Schedule(config.seed, len(real), config.batch_size, config.epochs, config.max_steps)
    meta = {"stage": "noise", "noise_config": config.to_dict(), "model": str(folder.manifest.path),
            "model_files": folder.manifest.data["files"], "command": command, "code_version": code_version()}
    out.mkdir(parents=True, exist_ok=True)
    started, started_step = time.perf_counter(), step
    while step < schedule.total_steps:
        epoch, index = schedule.batch(step)
        batch = real[index]
        losses = noise_losses(head, folder, batch, step_generator(config.seed, 0, step))
        total = (config.noise_weight * losses["noise"] + config.pixel_weight * losses["pixels"]
                 + config.feature_weight * losses["features"])
        check_finite(losses, step + 1, out)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        update_average(average, head, min(config.average_decay, (1 + step) / (10 + step)))
        step += 1

        end_of_epoch = schedule.ends_epoch(step)
        record: dict[str, Any] = {}
        if step % config.log_every == 0 or end_of_epoch:
            record = step_record(step, epoch, losses, time.perf_counter() - started, step - started_step,
                                 config.batch_size)
        if end_of_epoch:
            shown = averaged_copy(head, average)
            record["test"] = evaluate_head(shown, folder, test)
            logger.info("noise epoch %d step %d: %s", epoch + 1, step, record)
        if record:
            append_metrics(out / METRICS_NAME, record)
        if end_of_epoch:
            save_checkpoint(out / CHECKPOINT_NAME, {
                **meta, "step": step, "epoch": step / schedule.steps_per_epoch,
                "finished": step == schedule.total_steps, "noise_head": head.state_dict(), "average": average,
                "optimizer": optimizer.state_dict(),
                "evaluation": record.get("test")})
    return out / CHECKPOINT_NAME


def build_head(folder: Folder, config: NoiseConfig, real: torch.Tensor) -> NoiseHead:
    """A fresh head (seeded), its feature statistics from the reader's features of the first 10,000 real images."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        features = features_of(folder, real[:10000])
        head = NoiseHead(folder.spec, features.shape[1], config.hidden)
    head.mean.copy_(features.mean(dim=0))
    head.scale.copy_(features.std(dim=0) + 1e-6)
    return head


@torch.no_grad()
def features_of(folder: Folder, pixels: torch.Tensor) -> torch.Tensor:
    """The reader's (N, F) features (the digit score's input) of (N, 1, 28, 28) model pixels."""
    return torch.cat([folder.reader.forward_with_features(rows)[4] for rows in pixels.split(1000)])


def noise_losses(head: NoiseHead, folder: Folder, real: torch.Tensor, rng: torch.Generator) -> dict[str, torch.Tensor]:
    """The step's losses on a batch of real images and as many of G's samples (drawn from `rng`)."""
    spec = folder.spec
    latent = sample_latent(spec, len(real), rng, real.device)
    with torch.no_grad():
        fake = folder.generator(latent.noise, latent.categorical, latent.continuous)  # (B, 1, 28, 28)
        batch = torch.cat([real, fake])  # (2B, 1, 28, 28)
        _, logits, mean, _, features = folder.reader.forward_with_features(batch)
        codes = one_hot(spec, torch.stack([chunk.argmax(dim=1) for chunk in
                                           logits.split(list(spec.categorical_sizes), dim=1)], dim=1))
    noise = head(batch, features)  # (2B, noise_size)
    redrawn = folder.generator(noise, codes, mean)  # (2B, 1, 28, 28): the reader's codes, the head's noise
    redrawn_features = folder.reader.forward_with_features(redrawn)[4]
    return {"noise": F.mse_loss(noise[len(real):], latent.noise), "pixels": F.l1_loss(redrawn, batch),
            "features": F.mse_loss((redrawn_features - head.mean) / head.scale, (features - head.mean) / head.scale)}


@torch.no_grad()
def redraw(head: NoiseHead, folder: Folder, pixels: torch.Tensor) -> torch.Tensor:
    """G's redrawing of (N, 1, 28, 28) model pixels from the reader's codes and the head's noise."""
    spec, parts = folder.spec, []
    for rows in pixels.split(1000):
        _, logits, mean, _, features = folder.reader.forward_with_features(rows)
        codes = one_hot(spec, torch.stack([chunk.argmax(dim=1) for chunk in
                                           logits.split(list(spec.categorical_sizes), dim=1)], dim=1))
        parts.append(folder.generator(head(rows, features), codes, mean))
    return torch.cat(parts)


@torch.no_grad()
def evaluate_head(head: NoiseHead, folder: Folder, pixels: torch.Tensor) -> dict[str, float]:
    """On (N, 1, 28, 28) real images: the median pixel correlation of the redrawings, and how often the reader
    reads the same digit in both (the evaluator's figures are `python -m evaluate`'s)."""
    redrawn = redraw(head.eval(), folder, pixels)
    head.train()
    size = folder.spec.digit_code_size
    same = folder.reader(redrawn)[1][:, :size].argmax(1) == folder.reader(pixels)[1][:, :size].argmax(1)
    return {"pixel_correlation_median": float(np.median(pixel_correlation(redrawn.numpy(), pixels.numpy()))),
            "same_digit": float(same.float().mean())}


def _resume(out: Path, config: NoiseConfig, head: NoiseHead,
            optimizer: torch.optim.Optimizer) -> tuple[int, dict[str, torch.Tensor]]:
    state = resume_checkpoint(out, NOISE_KEYS, "noise", {"noise_config": config}, ("epochs", "max_steps", "log_every"))
    head.load_state_dict(state["noise_head"])
    optimizer.load_state_dict(state["optimizer"])
    return state["step"], {k: v.clone() for k, v in state["average"].items()}
