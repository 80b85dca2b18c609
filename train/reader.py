"""Stage 2, the reader: stage 1's generator frozen, the exported encoder trained to read what users pass.

A good discriminator sees every defect; a robust reader ignores them. One shared body cannot be both (robust
views taught to D's body made D blind to blurred and faint fakes), so the GAN is trained first as the paper
does (`train/loop.py`), and the encoder is trained here afterwards, from a copy of stage 1's discriminator:
- L_I on G's samples: the codes that made them (the categorical code by cross-entropy, the continuous codes
  by the Gaussian NLL), and the categorical code again on degraded, distorted views of them;
- real images: stage 1 Q (the teacher) reads each plain image; its confident readings are targets for a
  degraded, distorted view (what the samples alone cannot teach: 97.6% against 98.7% in the probes);
- the labels the mode allows (semi-supervised: its 100, on shifted, degraded views; supervised: every image);
- realness: the reader's D head learns stage 1 D's logit on detached features, so D's verdict survives in
  `encoder.onnx` without pulling the reader's body towards seeing defects.
Every random draw is a function of (seed, step), as in stage 1, so a resumed run is exact.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from infogan_sdk.errors import DataSetError
from mnist_data.matching import confusion, hungarian_mapping, score_codes
from train.augment import degraded, distorted, shifted
from train.bookkeeping import (
    METRICS_NAME,
    RunFolderError,
    Schedule,
    append_metrics,
    averaged_copy,
    check_finite,
    copy_state,
    predict_codes,
    prepare_run,
    resume_checkpoint,
    step_generator,
    step_record,
    update_average,
)
from train.checkpoint import CHECKPOINT_NAME, GAN_KEYS, code_version, load_checkpoint, save_checkpoint
from train.config import ReaderConfig, TrainConfig
from train.data import Dataset, check_digits, labelled_subset, load_data
from train.losses import categorical_cross_entropy, gaussian_nll, sample_latent
from train.networks import Discriminator, Generator, build
from train.pixels import to_pixels
from train.printed import printed_bank

logger = logging.getLogger(__name__)


def train_reader(config: ReaderConfig, out_dir: str | Path, device: str = "cpu", resume: bool = False,
                 data_dir: str | Path | None = None, command: str = "", overwrite: bool = False) -> Path:
    """Train (or resume) a stage 2 run in `out_dir` on `config.generator_run`; returns its checkpoint's path.

    The checkpoint holds stage 1's generator unchanged and the reader as the discriminator, so `python -m
    export` exports it as it exports a stage 1 run. The run folder is checked as stage 1's (`prepare_run`).
    """
    out = Path(out_dir)
    stage1_folder = Path(config.generator_run)
    stage1_folder = stage1_folder if stage1_folder.is_dir() else stage1_folder.parent
    if out.resolve() == stage1_folder.resolve():
        raise RunFolderError(f"--out {out} is the stage 1 run the reader trains on: expected another folder")
    prepare_run(out, resume, overwrite)
    torch_device = torch.device(device if device != "auto" else "cuda" if torch.cuda.is_available() else "cpu")
    stage1 = load_checkpoint(config.generator_run)
    model_config, gan_config = stage1["model_config"], stage1["train_config"]
    data = load_data(gan_config, data_dir)  # stage 1's data set; refused before any work if it cannot serve
    _check_data(data, config)
    spec = model_config.latent
    generator, teacher = _stage1_networks(stage1, torch_device)
    critic = copy.deepcopy(teacher)  # stage 1's D, whose realness logit the reader's D head learns
    if config.depth:  # a deeper body cannot start from stage 1's weights: it starts fresh, taught the same way
        model_config = replace(model_config, discriminator_depth=config.depth)
        reader = build(model_config, config.seed)[1].to(torch_device).train()
    else:
        reader = copy.deepcopy(teacher).train().requires_grad_(True)
    optimizer = torch.optim.Adam(reader.parameters(), lr=config.lr, betas=config.betas)
    step, average = 0, copy_state(reader)
    if resume:
        step, average = _resume(out, config, reader, teacher, optimizer, torch_device)
    labelled = (labelled_subset(data.labels, gan_config.labels_per_class, gan_config.seed)
                if gan_config.mode == "semi-supervised" else torch.zeros(0, dtype=torch.int64))
    printed = _printed(config, gan_config.mode)
    votes = _teacher_votes(config, gan_config.mode, data, teacher)
    schedule = Schedule(config.seed, len(data.images), config.batch_size, config.epochs, config.max_steps)
    meta = {"model_config": model_config.to_dict(), "train_config": gan_config.to_dict(),
            "reader_config": config.to_dict(), "stage": "reader", "data_sha256": data.checksums,
            "data": data.description, "command": command, "code_version": code_version(), "world_size": 1,
            "label_budget": gan_config.label_budget, "labelled_indices": labelled.tolist(),
            "stage1": {key: stage1.get(key) for key in ("command", "step", "code_version", "evaluation")}}
    out.mkdir(parents=True, exist_ok=True)
    started, started_step = time.perf_counter(), step
    while step < schedule.total_steps:
        epoch, index = schedule.batch(step)
        rng = step_generator(config.seed, 0, step)  # every draw of the step comes from it, in this order
        losses = _losses(reader, generator, teacher, critic, data, index, labelled, gan_config, config, rng, printed,
                         None if votes is None else votes[index])
        total = sum(weight * losses[name] for name, weight in (
            ("samples", config.sample_weight), ("real", config.real_weight), ("printed", config.printed_weight),
            ("supervised", config.supervised_weight), ("realness", config.realness_weight)))
        check_finite(losses, step + 1, out)
        optimizer.zero_grad(set_to_none=True)
        total.backward()  # type: ignore[union-attr]
        optimizer.step()
        update_average(average, reader, min(config.average_decay, (1 + step) / (10 + step)))
        step += 1

        end_of_epoch = schedule.ends_epoch(step)
        record: dict[str, Any] = {}
        if step % config.log_every == 0 or end_of_epoch:
            record = step_record(step, epoch, losses, time.perf_counter() - started, step - started_step,
                                 config.batch_size)
        if end_of_epoch:
            shown = averaged_copy(reader, average)
            record["test"] = evaluate_reader(shown, data, spec.digit_code_size)
            logger.info("reader epoch %d step %d: %s", epoch + 1, step, record)
            if config.teacher_refresh and (epoch + 1) % config.teacher_refresh == 0:
                teacher.load_state_dict(average)  # self-training: the next targets are the reader's own
        if record:
            append_metrics(out / METRICS_NAME, record)
        if end_of_epoch:
            save_checkpoint(out / CHECKPOINT_NAME, {
                **meta, "step": step, "epoch": step / schedule.steps_per_epoch,
                "finished": step == schedule.total_steps,
                "generator": generator.state_dict(), "discriminator": reader.state_dict(),
                "optimizer_d": optimizer.state_dict(), "teacher": teacher.state_dict(),
                "averages": {"generator": generator.state_dict(), "discriminator": average},
                "evaluation": record.get("test")})
    return out / CHECKPOINT_NAME


def _losses(reader: Discriminator, generator: Generator, teacher: Discriminator, critic: Discriminator,
            data: Dataset, index: torch.Tensor, labelled: torch.Tensor, gan_config: TrainConfig, config: ReaderConfig,
            rng: torch.Generator, printed: tuple[torch.Tensor, torch.Tensor],
            votes: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The step's four losses, from one batch through the reader (so its BatchNorm statistics see the mixture
    it will be used on): plain samples, degraded samples, degraded real views, degraded labelled views.
    `votes` (B, 10): the other teachers' summed digit probabilities for these real images, if any."""
    spec, mode, device = reader.q_head.spec, gan_config.mode, next(reader.parameters()).device
    size, background = spec.digit_code_size, spec.pixel_range[0]
    real = to_pixels(data.images[index], spec).to(device)  # (B, 1, 28, 28)
    latent = sample_latent(spec, len(index), rng, device)
    with torch.no_grad():
        fake = generator(latent.noise, latent.categorical, latent.continuous)  # (B, 1, 28, 28)
        fake_view = degraded(distorted(fake, background, rng), background, rng)
        real_view = degraded(distorted(real, background, rng), background, rng)
        reading = torch.softmax(teacher(real)[1][:, :size], dim=1)
        if votes is not None:  # one vote each: stage 1 Q and every other teacher
            reading = (reading + votes.to(device)) / (1 + len(config.teachers.split(",")))
        confidence, pseudo = reading.max(dim=1)
        if mode == "supervised":  # every label is known: no need for the teacher's
            pseudo, confidence = data.labels[index].to(device), torch.ones_like(confidence)
        parts = [fake, fake_view, real_view]
        if mode == "semi-supervised":
            pick = labelled[torch.randint(len(labelled), (len(index) // 2,), generator=rng)]
            labelled_pixels = to_pixels(shifted(data.images[pick], gan_config.label_shift, rng), spec).to(device)
            parts.append(degraded(labelled_pixels, background, rng))
        elif mode == "supervised":  # half the batch's real images as they are, shifted: every view above is degraded
            pick = index[: len(index) // 2]
            parts.append(to_pixels(shifted(data.images[pick], gan_config.label_shift, rng), spec).to(device))
        printed_rows = torch.zeros(0, dtype=torch.int64)
        if len(printed[0]):  # a few printed digits, distorted and degraded like the rest
            printed_rows = torch.randint(len(printed[0]), (len(index) // 8,), generator=rng)
            printed_pixels = to_pixels(printed[0][printed_rows], spec).to(device)
            parts.append(degraded(distorted(printed_pixels, background, rng), background, rng))
        batch = torch.cat(parts)  # (3B [+ B/2] [+ B/8], 1, 28, 28)
        target_realness = critic(batch)[0]
    features = reader.body(batch)
    logits, mean, log_std = reader.q_head(features)
    realness = reader.d_head(features.detach()).flatten(0)
    n = len(index)
    fake_logits, view_logits, real_logits = logits[:n], logits[n : 2 * n], logits[2 * n : 3 * n]
    samples = (categorical_cross_entropy(spec, fake_logits, latent.codes)
               + gaussian_nll(mean[:n], log_std[:n], latent.continuous)
               + categorical_cross_entropy(spec, view_logits, latent.codes))
    mask = (confidence >= config.pseudo_label_threshold).float()
    real_loss = (F.cross_entropy(real_logits[:, :size], pseudo, reduction="none") * mask).mean()
    supervised, printed_loss = logits.new_zeros(()), logits.new_zeros(())
    labelled_end = 3 * n + (n // 2 if mode in ("semi-supervised", "supervised") else 0)
    if mode in ("semi-supervised", "supervised"):
        supervised = F.cross_entropy(logits[3 * n : labelled_end, :size], data.labels[pick].to(device))
    if len(printed_rows):
        printed_loss = F.cross_entropy(logits[labelled_end:, :size], printed[1][printed_rows].to(device))
    return {"samples": samples, "real": real_loss, "supervised": supervised, "printed": printed_loss,
            "realness": F.mse_loss(realness, target_realness), "confident_fraction": mask.mean()}


def _printed(config: ReaderConfig, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The printed-digit bank (uint8 (N, 28, 28), digits (N,)) when asked for, else empty tensors."""
    if not config.printed_weight:
        return torch.zeros(0, 28, 28, dtype=torch.uint8), torch.zeros(0, dtype=torch.int64)
    if mode == "unsupervised":  # code k is not digit k there, and no label may say which code is which
        raise ValueError("printed digits need labels' meaning (code k = digit k): not in unsupervised mode")
    images, digits = printed_bank()
    logger.info("printed digits: %d images", len(images))
    return torch.from_numpy(images), torch.from_numpy(digits)


def _teacher_votes(config: ReaderConfig, mode: str, data: Dataset, stage1: Discriminator) -> torch.Tensor | None:
    """The other teachers' digit probabilities for every real training image, summed: (N, size), or None.

    Each is a model folder's encoder (onnxruntime, as users run it) reading the plain images once; their votes join
    stage 1 Q's in the pseudo-labels. Pseudo-labels from one stage 1 Q cap the reader near its teacher (98.4-98.7%
    on MNIST test), and an ensemble's readings are right more often. In unsupervised mode this model's code k is no
    digit, so each teacher's columns are matched to stage 1 Q's codes by agreement on the training images alone (the
    Hungarian assignment on their co-occurrence): no label is read, and the teacher's own digit names drop out."""
    if not config.teachers:
        return None
    from infogan_sdk import Encoder  # onnxruntime: only when teachers are asked for

    size = stage1.q_head.spec.digit_code_size
    images = data.images.numpy()
    codes = predict_codes(stage1, to_pixels(data.images, stage1.q_head.spec), size) if mode == "unsupervised" else None
    votes = torch.zeros(len(images), size)
    for folder in config.teachers.split(","):
        encoder = Encoder(folder.strip(), device="cpu")
        probabilities = encoder.infer(images, preprocess="none").probabilities[:, :size]
        if codes is not None:  # column j of the teacher votes for the stage 1 code it agrees with most
            matched = hungarian_mapping(confusion(probabilities.argmax(axis=1), codes, size, size))  # a permutation
            probabilities = probabilities[:, np.argsort(matched)]  # column k <- the teacher column matched to code k
            logger.info("teacher %s: columns -> stage 1 codes %s, %.2f%% agreement on the training images", folder,
                        matched, 100 * float((probabilities.argmax(axis=1) == codes).mean()))
        votes += torch.from_numpy(probabilities.astype("float32"))
        right = encoder.infer(data.test_images.numpy(), preprocess="none").digits == data.test_labels.numpy()
        logger.info("teacher %s: %.2f%% on MNIST test", folder, 100 * float(right.mean()))
    return votes


def _check_data(data: Dataset, config: ReaderConfig) -> None:
    """The reader is scored against test labels, and its printed digits and teachers are digit readers."""
    if data.test_labels is None:
        raise DataSetError(f"{data.description.get('source')}: the reader is scored against the test labels, and "
                           "this data set has none")
    if config.printed_weight:
        check_digits(data, "--reader-printed-weight trains on printed digits 0-9")
    if config.teachers:
        check_digits(data, "--reader-teachers are digit readers (model folders)")


def _stage1_networks(state: dict[str, Any], device: torch.device) -> tuple[Generator, Discriminator]:
    """Stage 1's generator and discriminator (its averaged weights when it kept an average), frozen, eval mode."""
    generator, discriminator = build(state["model_config"], seed=0)
    weights = state.get("averages") or state
    generator.load_state_dict(weights["generator"])
    discriminator.load_state_dict(weights["discriminator"])
    for network in (generator, discriminator):
        network.to(device).eval().requires_grad_(False)
    return generator, discriminator


def evaluate_reader(reader: Discriminator, data: Dataset, size: int) -> dict[str, Any]:
    """Q accuracy of the reader on the test images, plain and degraded (one fixed draw of `degraded`)."""
    spec = reader.q_head.spec
    plain = to_pixels(data.test_images, spec)
    views = degraded(plain, spec.pixel_range[0], torch.Generator().manual_seed(0))
    labels = data.test_labels.cpu().numpy()
    scores = {name: score_codes(predict_codes(reader, pixels, size), labels, size)
              for name, pixels in (("plain", plain), ("degraded", views))}
    return {"q_accuracy": scores["plain"]["accuracy"], "nmi": scores["plain"]["nmi"],
            "code_to_digit": scores["plain"]["code_to_digit"], "degraded_accuracy": scores["degraded"]["accuracy"]}


def _resume(out: Path, config: ReaderConfig, reader: Discriminator, teacher: Discriminator,
            optimizer: torch.optim.Optimizer, device: torch.device) -> tuple[int, dict[str, torch.Tensor]]:
    state = resume_checkpoint(out, GAN_KEYS, "reader", {"reader_config": config}, ("epochs", "max_steps", "log_every"))
    reader.load_state_dict(state["discriminator"])
    teacher.load_state_dict(state["teacher"])
    optimizer.load_state_dict(state["optimizer_d"])
    average = {k: v.to(device) for k, v in state["averages"]["discriminator"].items()}
    return state["step"], average
