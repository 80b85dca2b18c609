"""The InfoGAN training loop: a D + Q step, then a G step, with checkpoints, samples and a metrics log.

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
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from evaluate.matching import score_codes
from infogan_sdk.atomic import atomic_output
from infogan_sdk.spec import LatentSpec
from train import distributed
from train.augment import consistency_loss, degraded, distorted, morphed, shifted
from train.checkpoint import CHECKPOINT_NAME, code_version, load_checkpoint, save_checkpoint
from train.config import ModelConfig, TrainConfig
from train.data import Dataset, epoch_order, labelled_subset, load_data
from train.losses import adversarial_loss, categorical_cross_entropy, categorical_entropy, gaussian_nll, sample_latent
from train.networks import Discriminator, build
from train.pixels import to_pixels
from train.samples import fixed_noise, sample_grid, save_png

logger = logging.getLogger(__name__)
Module = TypeVar("Module", bound=torch.nn.Module)
METRICS_NAME = "metrics.jsonl"


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, rank, step]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


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
    generator_optimizer = torch.optim.Adam(generator.parameters(), lr=config.generator_lr, betas=config.betas,
                                           fused=True)
    discriminator_optimizer = torch.optim.Adam(discriminator.parameters(), lr=config.discriminator_lr,
                                               betas=config.betas, fused=True)
    step, averages = 0, None
    if resume and (out / CHECKPOINT_NAME).exists():
        step, averages = _resume(out, model_config, config, generator, discriminator, generator_optimizer,
                                 discriminator_optimizer, torch_device)
    if config.average_decay and averages is None:
        averages = {"generator": copy_state(generator), "discriminator": copy_state(discriminator)}
    data = load_data(config, data_dir)
    if torch_device.type == "cuda":  # MNIST is 47 MB: keep it on the GPU, no per-step copies
        data = data.to(torch_device)
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
        rng = step_generator(config.seed, rank, step)  # every draw below comes from it, in this order
        real = to_pixels(data.images[index], spec).to(torch_device)  # (B, 1, 28, 28)
        if config.morph_probability:  # real strokes of varied thickness, for a code to learn it from
            real = morphed(real, spec.pixel_range[0], rng, config.morph_probability)
        latent = sample_latent(spec, local_batch, rng, torch_device)
        fake = generator(latent.noise, latent.categorical, latent.continuous)  # (B, 1, 28, 28)

        # ---- D + Q step: updates the discriminator (body, D head, Q head); G's images are detached ----
        # real vs fake, L_I on the fakes (it trains Q), then the optional losses on real images
        real_logit, real_categorical, _, _ = discriminator(real)
        fake_logit, categorical, mean, log_std = discriminator(fake.detach())
        info_categorical = categorical_cross_entropy(spec, categorical, latent.codes)
        info_continuous = gaussian_nll(mean, log_std, latent.continuous)
        info_loss = config.categorical_weight * info_categorical + config.continuous_weight * info_continuous
        d_loss = adversarial_loss(real_logit, True) + adversarial_loss(fake_logit, False) + info_loss
        supervised_loss = _supervised_loss(discriminator, data, index, labelled, real_categorical, config, spec, rng)
        d_loss = d_loss + config.supervised_weight * supervised_loss
        consistency, confident = torch.zeros((), device=torch_device), torch.zeros((), device=torch_device)
        if config.consistency_weight and spec.digit_code_size:
            consistency, confident = _consistency_loss(discriminator, real, real_categorical, config, spec, rng)
            d_loss = d_loss + config.consistency_weight * consistency
        discriminator_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        distributed.average_gradients(discriminator)
        discriminator_optimizer.step()

        # ---- G step: updates G only (D and Q are frozen): fool D, and make the codes recoverable by Q ----
        # (L_I again, now reaching G through the frozen Q)
        discriminator.requires_grad_(False)  # no gradients for D's weights: they are not updated here
        fake_logit, categorical, mean, log_std = discriminator(fake)
        g_info = (config.categorical_weight * categorical_cross_entropy(spec, categorical, latent.codes)
                  + config.continuous_weight * gaussian_nll(mean, log_std, latent.continuous))
        g_loss = adversarial_loss(fake_logit, True) + g_info
        generator_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        discriminator.requires_grad_(True)
        distributed.average_gradients(generator)
        generator_optimizer.step()
        distributed.sync_buffers(generator, discriminator)
        if averages is not None:
            # warm-up: early on the average would mostly hold the random initial weights
            decay = min(config.average_decay, (1 + step) / (10 + step))
            update_average(averages["generator"], generator, decay)
            update_average(averages["discriminator"], discriminator, decay)
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
            append_metrics(out / METRICS_NAME, record)
        checkpoint_due = end_of_epoch or (config.checkpoint_every and step % config.checkpoint_every == 0)
        if checkpoint_due and rank == 0:
            save_checkpoint(out / CHECKPOINT_NAME, {
                **meta, "step": step, "epoch": step / steps_per_epoch, "finished": step == total_steps,
                "generator": generator.state_dict(), "discriminator": discriminator.state_dict(),
                "optimizer_g": generator_optimizer.state_dict(), "optimizer_d": discriminator_optimizer.state_dict(),
                "averages": averages,
                "evaluation": record.get("test")})
    progress.close()
    distributed.barrier()  # every rank returns only once rank 0's checkpoint is on disk
    return out / CHECKPOINT_NAME


def _resume(out: Path, model_config: ModelConfig, config: TrainConfig, generator: torch.nn.Module,
            discriminator: torch.nn.Module, generator_optimizer: torch.optim.Optimizer,
            discriminator_optimizer: torch.optim.Optimizer,
            device: torch.device) -> tuple[int, dict[str, dict[str, torch.Tensor]] | None]:
    """Load the run's checkpoint into the networks and optimisers; returns its step and weight averages."""
    state = load_checkpoint(out / CHECKPOINT_NAME)
    # Only the run's length and bookkeeping may change on resume (extend a run with more --epochs);
    # nothing else depends on them, since the learning rates are constant.
    lengths = {name: getattr(config, name) for name in ("epochs", "max_steps", "checkpoint_every", "log_every")}
    if state["model_config"] != model_config or replace(state["train_config"], **lengths) != config:
        raise ValueError(f"cannot resume {out}: its configs differ from the ones given")
    generator.load_state_dict(state["generator"])
    discriminator.load_state_dict(state["discriminator"])
    generator_optimizer.load_state_dict(state["optimizer_g"])
    discriminator_optimizer.load_state_dict(state["optimizer_d"])
    averages = state.get("averages")
    if averages is not None:
        averages = {net: {k: v.to(device) for k, v in weights.items()} for net, weights in averages.items()}
    truncate_metrics(out / METRICS_NAME, state["step"])
    logger.info("resumed %s at step %d", out, state["step"])
    return state["step"], averages


def _supervised_loss(discriminator: torch.nn.Module, data: Dataset, index: torch.Tensor, labelled: torch.Tensor,
                     real_categorical: torch.Tensor, config: TrainConfig, spec: LatentSpec,
                     rng: torch.Generator) -> torch.Tensor:
    """Cross-entropy of Q's digit code against labels: every real image's (supervised), a labelled batch's
    (semi-supervised: drawn from `labelled`, shifted, maybe degraded), or 0 (unsupervised)."""
    device = real_categorical.device
    if config.mode == "supervised":
        return F.cross_entropy(real_categorical[:, : spec.digit_code_size], data.labels[index].to(device))
    if config.mode != "semi-supervised":
        return torch.zeros((), device=device)
    pick = labelled[torch.randint(len(labelled), (config.labelled_batch,), generator=rng)]
    labelled_pixels = to_pixels(shifted(data.images[pick], config.label_shift, rng).to(device), spec)
    if config.robust_views:
        labelled_pixels = degraded(labelled_pixels, spec.pixel_range[0], rng)
    _, labelled_logits, _, _ = discriminator(labelled_pixels)
    return F.cross_entropy(labelled_logits[:, : spec.digit_code_size], data.labels[pick].to(device))


def _consistency_loss(discriminator: torch.nn.Module, real: torch.Tensor, real_categorical: torch.Tensor,
                      config: TrainConfig, spec: LatentSpec,
                      rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Q should read a distorted real digit as it confidently reads the plain one (FixMatch-style);
    returns the loss and the fraction of confident readings."""
    view = distorted(real, spec.pixel_range[0], rng)
    if config.robust_views:
        view = degraded(view, spec.pixel_range[0], rng)
    _, distorted_logits, _, _ = discriminator(view)
    loss, confident = consistency_loss(real_categorical[:, : spec.digit_code_size],
                                       distorted_logits[:, : spec.digit_code_size], config.consistency_threshold)
    return loss, confident


def copy_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def update_average(average: dict[str, torch.Tensor], module: torch.nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * weights; integer buffers (BatchNorm's counter) are copied."""
    with torch.no_grad():
        for name, value in module.state_dict().items():
            if value.is_floating_point():
                average[name].lerp_(value, 1.0 - decay)
            else:
                average[name].copy_(value)


def step_record(step: int, epoch: int, losses: dict[str, torch.Tensor], seconds: float, steps_timed: int,
                batch_size: int) -> dict[str, Any]:
    """A metrics.jsonl line of the stage 2 and 3 loops: the step, its losses and the speed since the start."""
    return {"step": step, "epoch": epoch, **{k: v.item() for k, v in losses.items()},
            "images_per_second": steps_timed * batch_size / max(seconds, 1e-9)}


def averaged_copy(module: Module, average: dict[str, torch.Tensor]) -> Module:
    """A copy of `module` holding the averaged weights (what is scored and exported); `module` is untouched."""
    shown = copy.deepcopy(module)
    shown.load_state_dict(average)
    return shown


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
    codes = predict_codes(discriminator, to_pixels(data.test_images, model_config.latent), size)  # type: ignore[arg-type]
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


def append_metrics(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def truncate_metrics(path: Path, step: int) -> None:
    """Drop records logged after the checkpoint we resume from: the resumed run logs them again."""
    if not path.exists():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["step"] <= step]
    with atomic_output(path, overwrite=True) as temporary:
        temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
