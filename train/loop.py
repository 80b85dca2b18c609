"""The InfoGAN training loop: D step, then G + Q step, with checkpoints, samples and a metrics log.

Everything random in a step is a function of (seed, rank, step): the data order comes from a
per-epoch permutation and the latents from a per-step generator. A resumed run therefore replays
exactly what an uninterrupted run would have done, with no RNG state to save.
Data parallelism: under torchrun every rank takes its slice of the global batch and gradients are
averaged with an all-reduce before each optimiser step.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from evaluate.matching import score_codes
from train import distributed
from train.augment import consistency_loss, degraded, distorted, morphed, shifted
from train.checkpoint import CHECKPOINT_NAME, code_version, load_checkpoint, save_checkpoint
from train.config import ModelConfig, TrainConfig
from train.data import data_sha256, default_data_dir, fake_mnist, load_mnist
from train.losses import adversarial_loss, categorical_cross_entropy, categorical_entropy, gaussian_nll, sample_latent
from train.networks import Discriminator, build
from train.samples import fixed_noise, sample_grid, save_png

logger = logging.getLogger(__name__)
METRICS_NAME = "metrics.jsonl"


@dataclass(frozen=True)
class Dataset:
    images: torch.Tensor  # (N, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64
    test_images: torch.Tensor
    test_labels: torch.Tensor
    checksums: dict[str, str]


def load_data(config: TrainConfig, data_dir: str | Path | None) -> Dataset:
    if config.data == "fake":
        images, labels = fake_mnist(config.fake_size, config.seed)
        test_images, test_labels = fake_mnist(max(config.fake_size // 4, 10), config.seed + 1)
        checksums = {"fake": f"fake_mnist(n={config.fake_size}, seed={config.seed})"}
    else:
        folder = Path(data_dir) if data_dir is not None else default_data_dir()
        images, labels = load_mnist("train", folder)
        test_images, test_labels = load_mnist("test", folder)
        checksums = data_sha256(folder)
    return Dataset(*(torch.from_numpy(np.ascontiguousarray(a)) for a in (images, labels, test_images, test_labels)),
                   checksums)


def to_pixels(images: torch.Tensor, model_config: ModelConfig) -> torch.Tensor:
    """(N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in the spec's pixel range."""
    low, high = model_config.latent.pixel_range
    return images.unsqueeze(1).float() * ((high - low) / 255.0) + low


def labelled_subset(labels: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of `per_class` images of each class, chosen by seed: the semi-supervised label budget."""
    rng = torch.Generator().manual_seed(seed)
    chosen = []
    for digit in range(int(labels.max()) + 1):
        candidates = torch.nonzero(labels.cpu() == digit).flatten(0)
        chosen.append(candidates[torch.randperm(len(candidates), generator=rng)[:per_class]])
    return torch.cat(chosen)


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, rank, step]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def epoch_order(seed: int, epoch: int, size: int) -> torch.Tensor:
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))


def train(model_config: ModelConfig, config: TrainConfig, out_dir: str | Path, device: str = "auto",
          resume: bool = False, data_dir: str | Path | None = None, command: str = "") -> Path:
    """Train (or resume) a run in `out_dir`; returns the path of the final checkpoint."""
    out = Path(out_dir)
    rank, world = distributed.setup(device)
    torch_device = distributed.pick_device(device, rank)
    spec = model_config.latent
    if config.batch_size % world:
        raise ValueError(f"batch_size {config.batch_size} must divide evenly over {world} processes")
    local_batch = config.batch_size // world

    generator, discriminator = build(model_config, config.seed)
    generator.to(torch_device)
    discriminator.to(torch_device)
    # fused: one kernel per step instead of a dozen per tensor (several times faster on CPU too)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.generator_lr, betas=config.betas, fused=True)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.discriminator_lr, betas=config.betas, fused=True)
    step = 0
    averages: dict[str, dict[str, torch.Tensor]] | None = None
    if resume and (out / CHECKPOINT_NAME).exists():
        state = load_checkpoint(out / CHECKPOINT_NAME)
        # Only the run's length and bookkeeping may change on resume (extend a run with more --epochs);
        # nothing else depends on them, since the learning rates are constant.
        lengths = {name: getattr(config, name) for name in ("epochs", "max_steps", "checkpoint_every", "log_every")}
        if state["model_config"] != model_config or replace(state["train_config"], **lengths) != config:
            raise ValueError(f"cannot resume {out}: its configs differ from the ones given")
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["optimizer_g"])
        opt_d.load_state_dict(state["optimizer_d"])
        step = state["step"]
        averages = state.get("averages")
        if averages is not None:
            averages = {net: {k: v.to(torch_device) for k, v in weights.items()} for net, weights in averages.items()}
        _truncate_metrics(out / METRICS_NAME, step)
        logger.info("resumed %s at step %d", out, step)

    if config.average_decay and averages is None:
        averages = {"generator": _copy_state(generator), "discriminator": _copy_state(discriminator)}
    data = load_data(config, data_dir)
    if torch_device.type == "cuda":  # MNIST is 47 MB: keep it on the GPU, no per-step copies
        data = replace(data, images=data.images.to(torch_device), labels=data.labels.to(torch_device),
                       test_images=data.test_images.to(torch_device), test_labels=data.test_labels.to(torch_device))
    # Unsupervised training never reads a training label; semi-supervised reads only this subset.
    labelled = (labelled_subset(data.labels, config.labels_per_class, config.seed)
                if config.mode == "semi-supervised" else torch.zeros(0, dtype=torch.int64))
    steps_per_epoch = len(data.images) // config.batch_size
    total_steps = config.epochs * steps_per_epoch
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    entropy = categorical_entropy(spec)
    noise = fixed_noise(spec)
    meta = {"model_config": model_config.to_dict(), "train_config": config.to_dict(), "data_sha256": data.checksums,
            "command": command, "code_version": code_version(), "world_size": world,
            "label_budget": config.label_budget, "labelled_indices": labelled.tolist()}
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    progress = tqdm(total=total_steps, initial=step, disable=None if rank == 0 else True, unit="step")
    started, started_step = time.perf_counter(), step

    order_epoch, order = -1, torch.zeros(0, dtype=torch.int64)
    while step < total_steps:
        epoch, position = divmod(step, steps_per_epoch)
        if epoch != order_epoch:  # one permutation per epoch, not per step (it costs ~1 ms)
            order_epoch, order = epoch, epoch_order(config.seed, epoch, len(data.images))
        start = position * config.batch_size + rank * local_batch
        index = order[start : start + local_batch]
        rng = step_generator(config.seed, rank, step)
        real = to_pixels(data.images[index], model_config).to(torch_device)  # (B, 1, 28, 28)
        if config.morph_probability:  # real strokes of varied thickness, for a code to learn it from
            real = morphed(real, spec.pixel_range[0], rng, config.morph_probability)
        latent = sample_latent(spec, local_batch, rng, torch_device)
        fake = generator(latent.noise, latent.categorical, latent.continuous)  # (B, 1, 28, 28)

        # ---- D step: real vs fake, plus L_I on the fakes (updates the body and the Q head) ----
        real_logit, real_categorical, _, _ = discriminator(real)
        fake_logit, categorical, mean, log_std = discriminator(fake.detach())
        info_categorical = categorical_cross_entropy(spec, categorical, latent.codes)
        info_continuous = gaussian_nll(mean, log_std, latent.continuous)
        info_loss = config.categorical_weight * info_categorical + config.continuous_weight * info_continuous
        d_loss = adversarial_loss(real_logit, True) + adversarial_loss(fake_logit, False) + info_loss
        supervised_loss = torch.zeros((), device=torch_device)
        if config.mode == "supervised":
            supervised_loss = F.cross_entropy(real_categorical[:, : spec.digit_code_size],
                                              data.labels[index].to(torch_device))
        elif config.mode == "semi-supervised":
            pick = labelled[torch.randint(len(labelled), (config.labelled_batch,), generator=rng)]
            labelled_images = shifted(data.images[pick], config.label_shift, rng).to(torch_device)
            labelled_pixels = to_pixels(labelled_images, model_config)
            if config.robust_views:
                labelled_pixels = degraded(labelled_pixels, spec.pixel_range[0], rng)
            _, labelled_logits, _, _ = discriminator(labelled_pixels)
            supervised_loss = F.cross_entropy(labelled_logits[:, : spec.digit_code_size],
                                              data.labels[pick].to(torch_device))
        d_loss = d_loss + config.supervised_weight * supervised_loss
        consistency, confident = torch.zeros((), device=torch_device), torch.zeros((), device=torch_device)
        if config.consistency_weight and spec.digit_code_size:
            # Q should read a distorted real digit as it confidently reads the plain one (FixMatch-style)
            view = distorted(real, spec.pixel_range[0], rng)
            if config.robust_views:
                view = degraded(view, spec.pixel_range[0], rng)
            _, distorted_logits, _, _ = discriminator(view)
            consistency, confident = consistency_loss(real_categorical[:, : spec.digit_code_size],
                                                      distorted_logits[:, : spec.digit_code_size],
                                                      config.consistency_threshold)
            d_loss = d_loss + config.consistency_weight * consistency
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        distributed.average_gradients(discriminator)
        opt_d.step()

        # ---- G + Q step: fool D and make the codes recoverable (L_I reaches G through Q) ----
        discriminator.requires_grad_(False)  # D's weights are not updated here: skip their gradients
        fake_logit, categorical, mean, log_std = discriminator(fake)
        g_info = (config.categorical_weight * categorical_cross_entropy(spec, categorical, latent.codes)
                  + config.continuous_weight * gaussian_nll(mean, log_std, latent.continuous))
        g_loss = adversarial_loss(fake_logit, True) + g_info
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        discriminator.requires_grad_(True)
        distributed.average_gradients(generator)
        opt_g.step()
        distributed.sync_buffers(generator, discriminator)
        if averages is not None:
            # warm-up: early on the average would mostly hold the random initial weights
            decay = min(config.average_decay, (1 + step) / (10 + step))
            _update_average(averages["generator"], generator, decay)
            _update_average(averages["discriminator"], discriminator, decay)
        step += 1

        # ---- bookkeeping: log, checkpoint, end-of-epoch samples and evaluation ----
        info_bound = entropy - info_categorical.item()
        progress.update(1)
        progress.set_postfix(d=f"{d_loss.item():.3f}", g=f"{g_loss.item():.3f}", L_I=f"{info_bound:.3f}")
        end_of_epoch = step % steps_per_epoch == 0 or step == total_steps
        record: dict[str, Any] = {}
        if step % config.log_every == 0 or end_of_epoch:
            seconds = time.perf_counter() - started
            record = {"step": step, "epoch": epoch, "d_loss": d_loss.item(), "g_loss": g_loss.item(),
                      "info_categorical_ce": info_categorical.item(), "info_bound": info_bound,
                      "info_continuous_nll": info_continuous.item(), "supervised_ce": supervised_loss.item(),
                      "consistency_ce": consistency.item(), "confident_fraction": confident.item(),
                      "images_per_second": (step - started_step) * config.batch_size / max(seconds, 1e-9)}
        if end_of_epoch and rank == 0:
            shown_generator, shown_discriminator = _averaged(generator, discriminator, averages)
            save_png(sample_grid(shown_generator, spec, noise), out / f"samples_epoch{epoch + 1:03d}.png")
            record["test"] = _evaluate(shown_discriminator, data, model_config)
            logger.info("epoch %d step %d: %s", epoch + 1, step, {k: v for k, v in record.items() if k != "test"})
        if record and rank == 0:
            _append_metrics(out / METRICS_NAME, record)
        checkpoint_due = end_of_epoch or (config.checkpoint_every and step % config.checkpoint_every == 0)
        if checkpoint_due and rank == 0:
            save_checkpoint(out / CHECKPOINT_NAME, {
                **meta, "step": step, "epoch": step / steps_per_epoch, "finished": step == total_steps,
                "generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
                "optimizer_g": opt_g.state_dict(), "optimizer_d": opt_d.state_dict(), "averages": averages,
                "evaluation": record.get("test")})
    progress.close()
    distributed.barrier()  # every rank returns only once rank 0's checkpoint is on disk
    return out / CHECKPOINT_NAME


def _copy_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def _update_average(average: dict[str, torch.Tensor], module: torch.nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * weights; integer buffers (BatchNorm's counter) are copied."""
    with torch.no_grad():
        for name, value in module.state_dict().items():
            if value.is_floating_point():
                average[name].lerp_(value, 1.0 - decay)
            else:
                average[name].copy_(value)


def _averaged(generator: torch.nn.Module, discriminator: torch.nn.Module,
              averages: dict[str, dict[str, torch.Tensor]] | None) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The networks to show and score: copies holding the averaged weights, or the networks themselves."""
    if averages is None:
        return generator, discriminator
    copies = copy.deepcopy(generator), copy.deepcopy(discriminator)
    copies[0].load_state_dict(averages["generator"])
    copies[1].load_state_dict(averages["discriminator"])
    return copies


def _evaluate(discriminator: torch.nn.Module, data: Dataset, model_config: ModelConfig) -> dict[str, Any] | None:
    size = model_config.latent.digit_code_size
    if size == 0:
        return None  # no categorical code to score against the labels
    codes = predict_codes(discriminator, to_pixels(data.test_images, model_config), size)  # type: ignore[arg-type]
    scores = score_codes(codes, data.test_labels.cpu().numpy(), size)
    return {"q_accuracy": scores["accuracy"], "nmi": scores["nmi"], "code_to_digit": scores["code_to_digit"]}


@torch.no_grad()
def predict_codes(discriminator: Discriminator, pixels: torch.Tensor, size: int, batch: int = 1000) -> np.ndarray:
    """Q's argmax over the first categorical code for (N, 1, 28, 28) images, in eval mode."""
    was_training = discriminator.training
    discriminator.eval()
    device = next(discriminator.parameters()).device
    predictions = []
    for start in range(0, len(pixels), batch):
        _, logits, _, _ = discriminator(pixels[start : start + batch].to(device))
        predictions.append(logits[:, :size].argmax(dim=1).cpu())
    discriminator.train(was_training)
    return torch.cat(predictions).numpy()


def _append_metrics(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop records logged after the checkpoint we resume from: the resumed run logs them again."""
    if not path.exists():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["step"] <= step]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    temporary.replace(path)
