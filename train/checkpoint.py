"""Checkpoints: both configs, both networks, both optimisers and the step, written atomically and checksummed.

A checkpoint is serialised in memory, then written to a temporary file in the same folder, flushed to disk and
renamed over the old one (`infogan_sdk.atomic`), so a crash or a full disk at any moment leaves either the previous
checkpoint or the new one. Before each save the current checkpoint is kept as `checkpoint.prev.pt` (a hard link:
no copy), the last good one beside the newest. Each checkpoint holds the sha256 of its own contents (every tensor's
bytes, every value), checked on load: a flipped bit is refused, not trained on. Checkpoints written before the
checksum existed load unchecked. The data order and the latent draws are functions of (seed, step), so no RNG
state needs saving.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import torch

from infogan_sdk.atomic import atomic_output
from infogan_sdk.errors import InfoGANError
from train.config import ModelConfig, TrainConfig

logger = logging.getLogger(__name__)
CHECKPOINT_NAME = "checkpoint.pt"
PREVIOUS_NAME = "checkpoint.prev.pt"  # the checkpoint before the newest
CORRUPT_NAME = "checkpoint.corrupt.pt"  # a newest checkpoint that failed its check, set aside by a resume
CHECKPOINT_VERSION = 1
DIGEST_KEY = "content_sha256"  # absent from checkpoints written before it existed: those load unchecked


class TrainingError(InfoGANError, ValueError):
    """A training run cannot go on: its message says what was expected, what was found, and where."""


class CheckpointError(TrainingError):
    """A checkpoint is missing, corrupt, not one of ours, or could not be written."""


class NonFiniteError(TrainingError):
    """A loss or a weight became NaN or infinite."""


def kept_name(step: int) -> str:
    """The file a step's kept checkpoint goes to (TrainConfig.keep_every): checkpoint-step004000.pt."""
    return f"checkpoint-step{step:06d}.pt"


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write `payload` and its sha256 to `path` atomically, keeping the checkpoint there as checkpoint.prev.pt.

    Raises NonFiniteError (nothing written) if a tensor holds NaN or inf, and CheckpointError if the disk is full
    or the write fails otherwise; the checkpoints already there are kept in both cases.
    """
    payload = {"checkpoint_version": CHECKPOINT_VERSION, **payload}
    payload.pop(DIGEST_KEY, None)  # a payload read with torch.load carries the checksum of what it was
    bad = [name for name, tensor in _tensors(payload, "") if tensor.is_floating_point()
           and not bool(torch.isfinite(tensor).all())]
    if bad:
        raise NonFiniteError(f"refusing to write {path}: {', '.join(bad[:5])} hold NaN or inf values; the last "
                             "good checkpoint is kept")
    payload[DIGEST_KEY] = content_digest(payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)  # in memory first: a failed write is then a plain OSError, not a torch one
    try:
        if path.is_file():
            _keep_previous(path, path.parent / PREVIOUS_NAME)
        with atomic_output(path, overwrite=True) as temporary:
            temporary.write_bytes(buffer.getbuffer())
    except OSError as error:
        raise CheckpointError(_write_failure(path, error, buffer.getbuffer().nbytes)) from error


def _keep_previous(current: Path, previous: Path) -> None:
    """`previous` becomes the checkpoint now at `current`: a hard link, or a copy where links are not allowed."""
    if previous.exists() and os.path.samefile(current, previous):
        return  # already (a save killed after this step): rename(2) between two links of one file does nothing
    with atomic_output(previous, overwrite=True) as temporary:
        try:
            os.link(current, temporary)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise
            shutil.copyfile(current, temporary)


def _write_failure(path: Path, error: OSError, size: int) -> str:
    previous = [str(p) for p in (path, path.parent / PREVIOUS_NAME) if p.is_file()]
    kept = f"kept: {', '.join(previous)}" if previous else "no earlier checkpoint"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        free = shutil.disk_usage(path.parent).free
        return (f"could not write {path}: no space left on its disk ({size / 1e6:.1f} MB to write, "
                f"{free / 1e6:.1f} MB free); {kept}. Free some space and continue with --resume")
    return f"could not write {path}: {error.strerror or error}; {kept}"


def content_digest(payload: dict[str, Any]) -> str:
    """sha256 of a checkpoint's contents: every tensor's dtype, shape and bytes, every other value's repr, in order."""
    digest = hashlib.sha256()
    _feed(digest, payload)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"T{tensor.dtype}{tuple(tensor.shape)};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, dict):
        digest.update(f"{{{len(value)};".encode())
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
    elif isinstance(value, (list, tuple)):  # a tuple may come back as a list: both hash alike
        digest.update(f"[{len(value)};".encode())
        for item in value:
            _feed(digest, item)
    else:
        digest.update(f"{type(value).__name__}:{value!r};".encode())


def _tensors(value: Any, name: str) -> list[tuple[str, torch.Tensor]]:
    """Every tensor in a nested payload, with its path (`generator.fc.weight`)."""
    if isinstance(value, torch.Tensor):
        return [(name, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _tensors(item, f"{name}.{key}".lstrip("."))]
    if isinstance(value, (list, tuple)):
        return [found for index, item in enumerate(value) for found in _tensors(item, f"{name}[{index}]")]
    return []


GAN_KEYS = frozenset({"checkpoint_version", "model_config", "train_config", "generator", "discriminator", "step"})
NOISE_KEYS = frozenset({"checkpoint_version", "noise_config", "noise_head", "average", "model", "step"})  # stage 3


def load_checkpoint(path: str | Path, expected: frozenset[str] = GAN_KEYS) -> dict[str, Any]:
    """Read a checkpoint, check its sha256 (if it has one) and that it has the `expected` keys; returns the payload
    with parsed configs.

    Raises CheckpointError naming the file and what is wrong with it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated, corrupt or foreign files
        raise CheckpointError(f"{path} is corrupt or not a checkpoint: it cannot be read ({_reason(error)})"
                              f"{_hint(path)}") from error
    if not isinstance(payload, dict) or not expected <= set(payload):
        keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path} is not an infogan-sdk checkpoint: expected keys {sorted(expected)}, got {keys}")
    saved = payload.pop(DIGEST_KEY, None)
    if saved is not None and saved != content_digest(payload):
        raise CheckpointError(f"{path} is corrupt: its contents do not match the sha256 saved with them (expected "
                              f"{str(saved)[:16]}..., found {content_digest(payload)[:16]}...; a checkpoint edited on "
                              f"purpose must drop its {DIGEST_KEY!r} key){_hint(path)}")
    if payload["checkpoint_version"] > CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} has checkpoint version {payload['checkpoint_version']}, "
                              f"newer than this code reads ({CHECKPOINT_VERSION})")
    if "model_config" in expected:
        payload["model_config"] = ModelConfig.from_dict(payload["model_config"])
        payload["train_config"] = TrainConfig.from_dict(payload["train_config"])
    return payload


def _reason(error: Exception) -> str:
    """torch.load's error in a few words, without its advice to load with weights_only=False (unsafe, and not the
    cure for a damaged file)."""
    text = str(error)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].split("Check the documentation", 1)[0]
    text = " ".join(text.split())
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def _hint(path: Path) -> str:
    previous = path.parent / PREVIOUS_NAME
    if path.name == CHECKPOINT_NAME and previous.is_file():
        return f"; the checkpoint before it, {previous}, may be intact (--resume falls back to it)"
    return ""


def load_for_resume(out: Path, expected: frozenset[str], set_aside: bool = True) -> dict[str, Any]:
    """The newest checkpoint of the run in `out` that passes its checks: checkpoint.pt, or checkpoint.prev.pt (with a
    warning) when the newest is missing or corrupt. With `set_aside` a corrupt newest is renamed
    checkpoint.corrupt.pt, so the next save does not keep it as the previous one. Raises CheckpointError."""
    newest, previous = out / CHECKPOINT_NAME, out / PREVIOUS_NAME
    try:
        return load_checkpoint(newest, expected)
    except CheckpointError as error:
        if not previous.is_file():
            raise
        try:
            state = load_checkpoint(previous, expected)
        except CheckpointError as second:
            raise CheckpointError(f"cannot resume {out}: {error}; and {second}") from error
        logger.warning("%s; resuming from %s (step %d) instead", error, previous, state["step"])
        if set_aside and newest.exists():
            os.replace(newest, out / CORRUPT_NAME)
            logger.warning("set %s aside as %s", newest, out / CORRUPT_NAME)
        return state


def code_version() -> str:
    """The git commit of this code ("-dirty" if changed), recorded so a result can be traced back."""
    try:
        result = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=10)
        return result.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
