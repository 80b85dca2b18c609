"""Checkpoints: both configs, both networks, both optimisers and the step, written atomically.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then renamed over
the old one (`infogan_sdk.atomic`), so a crash at any moment leaves either the previous checkpoint or the new one.
The data order and the latent draws are functions of (seed, step), so no RNG state needs saving.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import torch

from infogan_sdk.atomic import atomic_output
from train.config import ModelConfig, TrainConfig

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable or not one of ours."""


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write `payload` to `path` atomically (`infogan_sdk.atomic.atomic_output`: temporary file, fsync,
    rename, fsync of the folder); temporaries that killed processes left beside `path` are removed first."""
    with atomic_output(path, overwrite=True) as temporary:
        torch.save({"checkpoint_version": CHECKPOINT_VERSION, **payload}, temporary)


GAN_KEYS = frozenset({"checkpoint_version", "model_config", "train_config", "generator", "discriminator", "step"})
NOISE_KEYS = frozenset({"checkpoint_version", "noise_config", "noise_head", "average", "model", "step"})  # stage 3


def load_checkpoint(path: str | Path, expected: frozenset[str] = GAN_KEYS) -> dict[str, Any]:
    """Read a checkpoint and check it has the `expected` keys; returns the payload with parsed configs.

    Raises CheckpointError naming the file and what is wrong with it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise CheckpointError(f"{path} is not a readable checkpoint: {error}") from error
    if not isinstance(payload, dict) or not expected <= set(payload):
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path} is not an infogan-sdk checkpoint: expected keys {sorted(expected)}, got {keys}")
    if payload["checkpoint_version"] > CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} has checkpoint version {payload['checkpoint_version']}, "
                              f"newer than this code reads ({CHECKPOINT_VERSION})")
    if "model_config" in expected:
        payload["model_config"] = ModelConfig.from_dict(payload["model_config"])
        payload["train_config"] = TrainConfig.from_dict(payload["train_config"])
    return payload


def code_version() -> str:
    """The git commit of this code ("-dirty" if changed), recorded so a result can be traced back."""
    try:
        result = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=10)
        return result.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
