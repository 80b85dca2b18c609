"""Section 6: training throughput of the real loop (`python -m train`, i.e. train.loop.train) on MNIST at
batch 128, as a fraction of the sgemm ceiling.

The loop runs in a subprocess logging every step to metrics.jsonl; once it has logged steps + 1 steps it is
stopped (so the end-of-run evaluation and checkpoint, which are not training, cost no time). A record's
images_per_second is cumulative since the loop started, so record i gives the elapsed time
t_i = step_i * batch / images_per_second_i; images/s = batch / median(t_i - t_(i-1)) over steps 2..N+1,
which leaves out start-up, data loading and the first step (allocations, thread pools).

FLOPs per step (forward FLOPs per image F_G and F_D from FlopCounterMode; a backward pass that computes input
and weight gradients costs about 2x its forward, one that computes input gradients only about 1x):
    3 * F_G * B                 generator: forward + full backward
  + 3 * F_D * (2 * B + L + C)   D step: real, fake, L labelled images (semi-supervised: labelled_batch, else 0)
                                and C distorted real ones (B with a consistency loss, else 0), forward + full backward
  + 2 * F_D * B                 G step: fake through D, forward + input gradients only (D's weights are frozen)
The first layer's input gradient is counted but never computed for real images, so this slightly over-counts:
the reported fraction of the ceiling is an upper bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.flops import torch_forward_flops
from bench.processes import stop
from train.bookkeeping import METRICS_NAME
from train.config import ModelConfig, architecture
from train.networks import build

BATCH = 128
REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 600  # seconds for one architecture's steps, start-up included


def forward_flops(config: ModelConfig) -> dict[str, int]:
    """FLOPs of one image through the generator and through the discriminator (all heads)."""
    generator, discriminator = build(config, 0)
    generator.eval()
    discriminator.eval()
    spec = config.latent
    latent = (torch.zeros(1, spec.noise_size), torch.zeros(1, spec.categorical_size), torch.zeros(1, spec.n_continuous))
    return {"generator": torch_forward_flops(generator, *latent),
            "discriminator": torch_forward_flops(discriminator, torch.zeros(1, *spec.image_shape))}


def step_flops(flops: dict[str, int], labelled: int, distorted: int = 0) -> int:
    d_images = 2 * BATCH + labelled + distorted  # through D with weight gradients in the D step
    return 3 * flops["generator"] * BATCH + flops["discriminator"] * (3 * d_images + 2 * BATCH)


def training(model_config: ModelConfig, train_config: dict[str, Any], architectures: tuple[str, ...], threads: int,
             steps: int, data_dir: Path) -> list[dict[str, Any]]:
    """One row per architecture: images/s over `steps` timed steps, and the GFLOP/s that makes."""
    mode = train_config.get("mode", "unsupervised")
    labelled = train_config.get("labelled_batch", 64) if mode == "semi-supervised" else 0
    consistency = train_config.get("consistency_weight", 0.0)
    distorted = BATCH if consistency else 0
    spec = model_config.latent
    options = ["--mode", mode, "--batch-size", str(BATCH), "--epochs", "1", "--max-steps", str(steps + 2),
               "--log-every", "1", "--threads", str(threads), "--device", "cpu", "--data-dir", str(data_dir),
               "--labels-per-class", str(train_config.get("labels_per_class", 10)),
               "--labelled-batch", str(labelled or 64), "--noise-size", str(spec.noise_size),
               "--categorical", ",".join(map(str, spec.categorical_sizes)), "--continuous", str(spec.n_continuous),
               *(["--learned-std"] if model_config.learn_std else []),  # std fixed at 1 by default
               "--label-shift", str(train_config.get("label_shift", 0)), "--consistency-weight", str(consistency),
               "--average-decay", str(train_config.get("average_decay", 0.0))]
    rows = []
    for name in architectures:
        network = architecture(name, spec, learn_std=model_config.learn_std)
        records = run_steps([*options, "--arch", name], steps + 1)
        elapsed = np.array([r["step"] * BATCH / r["images_per_second"] for r in records])
        images_per_s = BATCH / float(np.median(np.diff(elapsed)))
        flops = forward_flops(network)
        gflops = images_per_s / BATCH * step_flops(flops, labelled, distorted) / 1e9
        rows.append({"architecture": name, "is_the_models": network == model_config, "threads": threads,
                     "mode": mode, "batch": BATCH, "labelled_batch": labelled, "distorted_batch": distorted,
                     "timed_steps": len(elapsed) - 1,
                     "images_per_s": images_per_s, "forward_flops_per_image": flops,
                     "flops_per_step": step_flops(flops, labelled, distorted), "gflops": gflops})
    return rows


def run_steps(options: list[str], records: int) -> list[dict[str, Any]]:
    """Run `python -m train` until its metrics.jsonl holds `records` records, stop it, and return them."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as out:
        log_path, metrics = Path(out) / "train.log", Path(out) / METRICS_NAME
        with open(log_path, "w") as log:
            process = subprocess.Popen([sys.executable, "-m", "train", "--out", out, *options], cwd=REPO,
                                       stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + TIMEOUT
                while len(found := _records(metrics)) < records:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"python -m train {' '.join(options)} stopped early (exit "
                                           f"{process.returncode}, {len(found)} of {records} steps logged): "
                                           f"{log_path.read_text()[-2000:]}")
                    time.sleep(0.05)
            finally:
                stop(process, grace=30)  # mid-step: nothing of the run is kept
    return found[:records]


def _records(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a metrics.jsonl being written (a last partial line is left for the next look)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text[:text.rfind("\n") + 1].splitlines() if line.strip()]
