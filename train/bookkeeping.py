"""What every training loop shares (stage 1 in `loop`, the reader in `reader`, the noise head in `noise`): the
per-step random generator, the weights' moving averages, metrics.jsonl, and Q's predicted digit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from infogan_sdk.atomic import atomic_output
from train.networks import Discriminator

Module = TypeVar("Module", bound=torch.nn.Module)
METRICS_NAME = "metrics.jsonl"


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, rank, step]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


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


def averaged_copy(module: Module, average: dict[str, torch.Tensor]) -> Module:
    """A copy of `module` holding the averaged weights (what is scored and exported); `module` is untouched."""
    shown = copy.deepcopy(module)
    shown.load_state_dict(average)
    return shown


def averaged(generator: torch.nn.Module, discriminator: torch.nn.Module,
              averages: dict[str, dict[str, torch.Tensor]] | None) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The networks to show and score: copies holding the averaged weights, or the networks themselves."""
    if averages is None:
        return generator, discriminator
    copies = copy.deepcopy(generator), copy.deepcopy(discriminator)
    copies[0].load_state_dict(averages["generator"])
    copies[1].load_state_dict(averages["discriminator"])
    return copies


def step_record(step: int, epoch: int, losses: dict[str, torch.Tensor], seconds: float, steps_timed: int,
                batch_size: int) -> dict[str, Any]:
    """A metrics.jsonl line of the stage 2 and 3 loops: the step, its losses and the speed since the start."""
    return {"step": step, "epoch": epoch, **{k: v.item() for k, v in losses.items()},
            "images_per_second": steps_timed * batch_size / max(seconds, 1e-9)}


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
