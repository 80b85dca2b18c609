"""The InfoGAN training loop: a D + Q step, then a G step, with checkpoints, samples and a metrics log.

Everything random in a step is a function of (seed, rank, step): the data order comes from a
per-epoch permutation and the latents from a per-step generator. A resumed run therefore replays
exactly what an uninterrupted run would have done, with no RNG state to save.
With cr_weight > 0 a step also trains InfoGAN-CR's pair discriminator from cr_start on (`train.contrastive`).
Data parallelism: under torchrun every rank takes its slice of the global batch and gradients are
averaged with an all-reduce before each optimiser step.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from infogan_sdk.spec import LatentSpec
from mnist_data.matching import score_codes
from train import distributed
from train.augment import consistency_loss, degraded, distorted, morphed, shifted
from train.bookkeeping import (
    METRICS_NAME,
    RunFolderError,
    Schedule,
    append_metrics,
    averaged,
    check_finite,
    copy_state,
    predict_codes,
    prepare_run,
    resume_checkpoint,
    step_generator,
    update_average,
)
from train.checkpoint import CHECKPOINT_NAME, GAN_KEYS, code_version, kept_name, save_checkpoint
from train.config import ModelConfig, TrainConfig
from train.contrastive import Pairs, build_cr, contrastive_loss, draw_pairs, sample_pairs
from train.data import Dataset, check_data, labelled_subset, load_data
from train.losses import (
    Latent,
    adversarial_loss,
    categorical_cross_entropy,
    categorical_entropy,
    gaussian_nll,
    sample_latent,
)
from train.networks import build
from train.pixels import to_pixels
from train.samples import fixed_noise, sample_grid, save_png

logger = logging.getLogger(__name__)


@dataclass
class Run:
    """What the steps of a run share: its configs, networks, optimisers, weight averages, data and position."""

    model_config: ModelConfig
    config: TrainConfig
    out: Path
    device: torch.device
    rank: int
    local_batch: int  # this rank's slice of the global batch
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    generator_optimizer: torch.optim.Optimizer
    discriminator_optimizer: torch.optim.Optimizer
    cr_discriminator: torch.nn.Module | None  # InfoGAN-CR's pair discriminator (cr_weight > 0), training only
    cr_optimizer: torch.optim.Optimizer | None
    averages: dict[str, dict[str, torch.Tensor]] | None
    data: Dataset
    labelled: torch.Tensor  # indices of the labelled images (semi-supervised); empty otherwise
    meta: dict[str, Any]  # what every checkpoint records besides the weights
    step: int
    schedule: Schedule  # how many steps, and the training images each reads


def train(model_config: ModelConfig, config: TrainConfig, out_dir: str | Path, device: str = "auto",
          resume: bool = False, data_dir: str | Path | None = None, command: str = "", overwrite: bool = False) -> Path:
    """Train (or resume) a run in `out_dir`; returns the path of the final checkpoint.

    `out_dir` must hold no run unless `resume` (continue it) or `overwrite` (start it again): `bookkeeping.prepare_run`.
    Raises train.checkpoint.TrainingError subclasses for a refused folder, a bad checkpoint or a non-finite loss.
    """
    run = _start(model_config, config, Path(out_dir), device, resume, data_dir, command, overwrite)
    spec = model_config.latent
    progress = tqdm(total=run.schedule.total_steps, initial=run.step, disable=None if run.rank == 0 else True,
                    unit="step")
    clock = (time.perf_counter(), run.step)  # for images per second
    while run.step < run.schedule.total_steps:
        epoch, index = run.schedule.batch(run.step, run.rank * run.local_batch, run.local_batch)  # this rank's slice
        rng = step_generator(config.seed, run.rank, run.step)  # every draw below comes from it, in this order
        real = to_pixels(run.data.images[index], spec).to(run.device)  # (B, C, H, W)
        if config.morph_probability:  # real strokes of varied thickness, for a code to learn it from
            real = morphed(real, spec.pixel_range[0], rng, config.morph_probability, keep_peak=True)
        latent = sample_latent(spec, run.local_batch, rng, run.device)
        pairs = (sample_pairs(spec, run.local_batch, rng, run.device)  # InfoGAN-CR's pairs, switched on late
                 if run.cr_discriminator is not None and run.step >= config.cr_start else None)
        fake, pair_images = _draw(run, latent, pairs)  # (B, C, H, W), and (B, 2 C, H, W) or None
        losses = _discriminator_step(run, real, fake.detach(), latent, index, rng)
        if pairs is not None:
            losses |= _contrastive_step(run, pair_images.detach(), pairs.chosen)
        for repeat in range(config.generator_steps):  # InfoGAN-CR steps G twice on the step's latents
            if repeat:
                fake, pair_images = _draw(run, latent, pairs)  # G has changed since it drew them
            losses["g_loss"] = _generator_step(run, fake, latent, pair_images, pairs)
        check_finite(losses, run.step + 1, run.out)
        distributed.sync_buffers(*_networks(run))
        _update_averages(run)
        run.step += 1
        _bookkeeping(run, epoch, losses, progress, clock)
    progress.close()
    distributed.barrier()  # every rank returns only once rank 0's checkpoint is on disk
    return run.out / CHECKPOINT_NAME


def _start(model_config: ModelConfig, config: TrainConfig, out: Path, device: str, resume: bool,
           data_dir: str | Path | None, command: str, overwrite: bool) -> Run:
    """The run at its first step, or where its checkpoint left it with `resume`."""
    rank, world = distributed.setup(device)
    cr_discriminator = build_cr(model_config, config.seed) if config.cr_weight else None  # refuses a single code
    data = load_data(config, data_dir)  # bad data, or data that does not fit the model, is refused before any work
    check_data(data, model_config, config)
    prepare_run(out, resume, overwrite, rank)
    torch_device = distributed.pick_device(device, rank)
    if config.batch_size % world:
        raise ValueError(f"batch_size {config.batch_size} must divide evenly over {world} processes")
    generator, discriminator = build(model_config, config.seed)
    generator.to(torch_device)
    discriminator.to(torch_device)
    # fused: one kernel per step instead of a dozen per tensor (several times faster on CPU too)
    generator_optimizer = torch.optim.Adam(generator.parameters(), lr=config.generator_lr, betas=config.betas,
                                           fused=True)
    discriminator_optimizer = torch.optim.Adam(discriminator.parameters(), lr=config.discriminator_lr,
                                               betas=config.betas, fused=True)
    cr_optimizer = None
    if cr_discriminator is not None:
        cr_discriminator.to(torch_device)
        cr_optimizer = torch.optim.Adam(cr_discriminator.parameters(), lr=config.cr_lr, betas=config.betas, fused=True)
    if torch_device.type == "cuda" and not data.mapped:  # MNIST is 47 MB: keep it on the GPU, no per-step copies
        data = data.to(torch_device)
    # Unsupervised training never reads a training label; semi-supervised reads only this subset.
    labelled = (labelled_subset(data.labels, config.labels_per_class, config.seed)
                if config.mode == "semi-supervised" else torch.zeros(0, dtype=torch.int64))
    schedule = Schedule(config.seed, len(data.images), config.batch_size, config.epochs, config.max_steps)
    meta = {"model_config": model_config.to_dict(), "train_config": config.to_dict(), "data_sha256": data.checksums,
            "data": data.description, "command": command, "code_version": code_version(), "world_size": world,
            "label_budget": config.label_budget, "labelled_indices": labelled.tolist()}
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    run = Run(model_config, config, out, torch_device, rank, config.batch_size // world, generator, discriminator,
              generator_optimizer, discriminator_optimizer, cr_discriminator, cr_optimizer, None, data, labelled, meta,
              0, schedule)
    if resume:
        _resume(run)
    if config.average_decay and run.averages is None:
        run.averages = {"generator": copy_state(generator), "discriminator": copy_state(discriminator)}
    return run


def _draw(run: Run, latent: Latent, pairs: Pairs | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """G's images of the step's latents (B, C, H, W), and of its pairs stacked (B, 2 C, H, W), or None without."""
    fake = run.generator(latent.noise, latent.categorical, latent.continuous)
    return fake, None if pairs is None else draw_pairs(run.generator, pairs)


def _networks(run: Run) -> list[torch.nn.Module]:
    return [run.generator, run.discriminator, *([run.cr_discriminator] if run.cr_discriminator is not None else [])]


def _discriminator_step(run: Run, real: torch.Tensor, fake: torch.Tensor, latent: Latent, index: torch.Tensor,
                        rng: torch.Generator) -> dict[str, torch.Tensor]:
    """---- D + Q step: updates the discriminator (body, D head, Q head); `fake` is detached from G ----
    Real vs fake, L_I on the fakes (it trains Q), then the optional losses on real images. Returns the losses."""
    config, spec, discriminator = run.config, run.model_config.latent, run.discriminator
    real_logit, real_categorical, _, _ = discriminator(real)
    fake_logit, categorical, mean, log_std = discriminator(fake)
    info_categorical = categorical_cross_entropy(spec, categorical, latent.codes)
    info_continuous = gaussian_nll(mean, log_std, latent.continuous)
    info_loss = config.categorical_weight * info_categorical + config.continuous_weight * info_continuous
    d_loss = adversarial_loss(real_logit, True) + adversarial_loss(fake_logit, False) + info_loss
    supervised = _supervised_loss(discriminator, run.data, index, run.labelled, real_categorical, config, spec, rng)
    d_loss = d_loss + config.supervised_weight * supervised
    consistency, confident = torch.zeros((), device=run.device), torch.zeros((), device=run.device)
    if config.consistency_weight and spec.digit_code_size:
        consistency, confident = _consistency_loss(discriminator, real, real_categorical, config, spec, rng)
        d_loss = d_loss + config.consistency_weight * consistency
    run.discriminator_optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    distributed.average_gradients(discriminator)
    run.discriminator_optimizer.step()
    return {"d_loss": d_loss, "info_categorical_ce": info_categorical, "info_continuous_nll": info_continuous,
            "supervised_ce": supervised, "consistency_ce": consistency, "confident_fraction": confident}


def _contrastive_step(run: Run, pair_images: torch.Tensor, chosen: torch.Tensor) -> dict[str, torch.Tensor]:
    """---- CR step: updates the CR discriminator only: name the code each pair of G's images shares ----
    `pair_images` are detached from G. Returns its cross-entropy and accuracy."""
    assert run.cr_discriminator is not None and run.cr_optimizer is not None  # built with cr_weight > 0
    cr_loss, accuracy = contrastive_loss(run.cr_discriminator, pair_images, chosen)
    run.cr_optimizer.zero_grad(set_to_none=True)
    cr_loss.backward()
    distributed.average_gradients(run.cr_discriminator)
    run.cr_optimizer.step()
    return {"cr_ce": cr_loss, "cr_accuracy": accuracy}


def _generator_step(run: Run, fake: torch.Tensor, latent: Latent, pair_images: torch.Tensor | None,
                    pairs: Pairs | None) -> torch.Tensor:
    """---- G step: updates G only (D, Q and the CR discriminator are frozen): fool D, and make the codes
    recoverable by Q (L_I again, now reaching G through the frozen Q); with InfoGAN-CR's pairs, also make the
    code each pair shares nameable by the CR discriminator (G cooperates with it). Returns G's loss."""
    config, spec, discriminator = run.config, run.model_config.latent, run.discriminator
    frozen = [discriminator, *([run.cr_discriminator] if pairs is not None else [])]
    for network in frozen:
        network.requires_grad_(False)  # no gradients for their weights: they are not updated here
    fake_logit, categorical, mean, log_std = discriminator(fake)
    g_info = (config.categorical_weight * categorical_cross_entropy(spec, categorical, latent.codes)
              + config.continuous_weight * gaussian_nll(mean, log_std, latent.continuous))
    g_loss = adversarial_loss(fake_logit, True) + g_info
    if pairs is not None:
        cr_loss, _ = contrastive_loss(run.cr_discriminator, pair_images, pairs.chosen)
        g_loss = g_loss + config.cr_weight * cr_loss
    run.generator_optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    for network in frozen:
        network.requires_grad_(True)
    distributed.average_gradients(run.generator)
    run.generator_optimizer.step()
    return g_loss


def _update_averages(run: Run) -> None:
    if run.averages is not None:
        # warm-up: early on the average would mostly hold the random initial weights
        decay = min(run.config.average_decay, (1 + run.step) / (10 + run.step))
        update_average(run.averages["generator"], run.generator, decay)
        update_average(run.averages["discriminator"], run.discriminator, decay)


def _bookkeeping(run: Run, epoch: int, losses: dict[str, torch.Tensor], progress: Any,
                 clock: tuple[float, int]) -> None:
    """---- after a step: the progress bar, metrics.jsonl, end-of-epoch samples and score, the checkpoint ----"""
    config, step = run.config, run.step
    info_bound = categorical_entropy(run.model_config.latent) - losses["info_categorical_ce"].item()
    progress.update(1)
    progress.set_postfix(d=f"{losses['d_loss'].item():.3f}", g=f"{losses['g_loss'].item():.3f}",
                         L_I=f"{info_bound:.3f}")
    end_of_epoch = run.schedule.ends_epoch(step)
    record: dict[str, Any] = {}
    if step % config.log_every == 0 or end_of_epoch:
        seconds = time.perf_counter() - clock[0]
        record = {"step": step, "epoch": epoch, **{name: value.item() for name, value in losses.items()},
                  "info_bound": info_bound,
                  "images_per_second": (step - clock[1]) * config.batch_size / max(seconds, 1e-9)}
    if end_of_epoch and run.rank == 0:
        shown_generator, shown_discriminator = averaged(run.generator, run.discriminator, run.averages)
        grid = sample_grid(shown_generator, run.model_config.latent, fixed_noise(run.model_config.latent))
        save_png(grid, run.out / f"samples_epoch{epoch + 1:03d}.png")
        record["test"] = _evaluate(shown_discriminator, run.data, run.model_config)
        logger.info("epoch %d step %d: %s", epoch + 1, step, {k: v for k, v in record.items() if k != "test"})
    if record and run.rank == 0:
        append_metrics(run.out / METRICS_NAME, record)
    kept = bool(config.keep_every) and step % config.keep_every == 0
    if (end_of_epoch or kept or (config.checkpoint_every and step % config.checkpoint_every == 0)) and run.rank == 0:
        payload = {
            **run.meta, "step": step, "epoch": step / run.schedule.steps_per_epoch,
            "finished": step == run.schedule.total_steps,
            "generator": run.generator.state_dict(), "discriminator": run.discriminator.state_dict(),
            "optimizer_g": run.generator_optimizer.state_dict(),
            "optimizer_d": run.discriminator_optimizer.state_dict(), "averages": run.averages,
            **_cr_state(run),
            "evaluation": record.get("test")}
        save_checkpoint(run.out / CHECKPOINT_NAME, payload)
        if kept:
            save_checkpoint(run.out / kept_name(step), payload)


def _cr_state(run: Run) -> dict[str, Any]:
    """The CR discriminator and its optimiser, for resume (training only: export never reads them)."""
    if run.cr_discriminator is None or run.cr_optimizer is None:
        return {}
    return {"cr_discriminator": run.cr_discriminator.state_dict(), "optimizer_cr": run.cr_optimizer.state_dict()}


def _resume(run: Run) -> None:
    """Load the run's checkpoint into its networks and optimisers; set its step and weight averages."""
    # Only the run's length and bookkeeping may change on resume (extend a run with more --epochs);
    # nothing else depends on them, since the learning rates are constant. The CR switch may move while
    # the run has reached neither the old nor the new one: no step has used it yet.
    state = resume_checkpoint(run.out, GAN_KEYS, "gan", {"model_config": run.model_config, "train_config": run.config},
                              ("epochs", "max_steps", "checkpoint_every", "log_every", "keep_every", "cr_start"),
                              run.rank)
    saved = state["train_config"]
    saved_start = saved["cr_start"] if isinstance(saved, dict) else saved.cr_start
    if saved_start != run.config.cr_start and state["step"] >= min(saved_start, run.config.cr_start):
        raise RunFolderError(f"cannot resume {run.out}: cr_start may move only before the run reaches it; the "
                             f"checkpoint is at step {state['step']}, its cr_start is {saved_start}, the one given "
                             f"is {run.config.cr_start}")
    run.generator.load_state_dict(state["generator"])
    run.discriminator.load_state_dict(state["discriminator"])
    run.generator_optimizer.load_state_dict(state["optimizer_g"])
    run.discriminator_optimizer.load_state_dict(state["optimizer_d"])
    if run.cr_discriminator is not None and run.cr_optimizer is not None:  # the configs match: the run saved them
        run.cr_discriminator.load_state_dict(state["cr_discriminator"])
        run.cr_optimizer.load_state_dict(state["optimizer_cr"])
    averages = state.get("averages")
    if averages is not None:
        run.averages = {net: {k: v.to(run.device) for k, v in weights.items()} for net, weights in averages.items()}
    run.step = state["step"]


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


def _evaluate(discriminator: torch.nn.Module, data: Dataset, model_config: ModelConfig) -> dict[str, Any] | None:
    size = model_config.latent.digit_code_size
    if size == 0 or data.test_labels is None:
        return None  # no categorical code, or no labels to score it against
    codes = predict_codes(discriminator, to_pixels(data.test_images, model_config.latent), size)  # type: ignore[arg-type]
    scores = score_codes(codes, data.test_labels.cpu().numpy(), size)
    return {"q_accuracy": scores["accuracy"], "nmi": scores["nmi"], "code_to_digit": scores["code_to_digit"]}
