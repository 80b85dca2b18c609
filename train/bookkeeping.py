"""What every training loop shares (stage 1 in `loop`, the reader in `reader`, the noise head in `noise`): the
run folder's checks (`prepare_run`), the steps and what each reads (`Schedule`), resuming (`resume_checkpoint`),
the stop on a non-finite loss (`check_finite`), the per-step random generator, the weights' moving averages,
metrics.jsonl, and Q's predicted digit codes."""

from __future__ import annotations

import copy
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from infogan_sdk.atomic import atomic_output
from train.checkpoint import (
    CHECKPOINT_NAME,
    CORRUPT_NAME,
    PREVIOUS_NAME,
    NonFiniteError,
    TrainingError,
    load_for_resume,
)
from train.data import epoch_order
from train.networks import Discriminator

logger = logging.getLogger(__name__)
Module = TypeVar("Module", bound=torch.nn.Module)
METRICS_NAME = "metrics.jsonl"
# The files a run writes in its folder, the only ones --overwrite removes (the checkpoint last).
RUN_FILE = re.compile(r"samples_epoch\d+\.png|metrics\.jsonl|checkpoint(\.corrupt|\.prev|-step\d+)?\.pt")


class RunFolderError(TrainingError):
    """The run folder does not fit what was asked: a new run over an old one, a resume of nothing, a torn log."""


def prepare_run(out: Path, resume: bool, overwrite: bool, rank: int = 0) -> None:
    """Check the run folder `out` before anything is read or written, the same for every stage.

    A new run (neither flag) needs a folder that holds none of a run's files (other files, a log say, are left
    alone); `resume` needs a checkpoint there; `overwrite` first removes the earlier run's own files (by name:
    checkpoints, metrics.jsonl, sample grids), never anything else. Only rank 0 writes, so only it checks for a new
    run and removes; every rank checks a resume (each reads the checkpoint). Raises RunFolderError.
    """
    if resume and overwrite:
        raise RunFolderError("--resume and --overwrite exclude each other: --resume continues the run in the folder, "
                             "--overwrite starts it again")
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out} is a file: expected a run folder (new, or one written by python -m train)")
    if resume:
        if not out.is_dir():
            raise RunFolderError(f"cannot resume {out}: no such folder (a typo? without --resume a new run starts "
                                 "there)")
        if not has_checkpoint(out):
            raise RunFolderError(f"cannot resume {out}: it holds no {CHECKPOINT_NAME} (expected the folder of a run "
                                 "that saved one; --overwrite starts a new run there)")
        return
    ours = run_files(out) if rank == 0 and out.is_dir() else []
    if ours and not overwrite:
        names = ", ".join(path.name for path in ours[-3:])
        raise RunFolderError(f"{out} already holds a run ({names}): pass --resume to continue it, or --overwrite to "
                             "start it again (its checkpoints and metrics are then deleted); nothing was changed")
    for path in ours:
        path.unlink()
    if ours:
        logger.warning("--overwrite: removed the earlier run's %d files from %s (%s)", len(ours), out,
                       ", ".join(path.name for path in ours))


@dataclass
class Schedule:
    """A run's steps: how many make an epoch and the run, and which training images each reads, from the epoch's
    order (`data.epoch_order`, a pure function of (seed, epoch), built once per epoch), so a resumed run reads
    exactly what an uninterrupted one would have."""

    seed: int
    images: int  # training images
    batch_size: int  # the global batch
    epochs: int
    max_steps: int = 0  # 0: every epoch
    _order: tuple[int, torch.Tensor] = field(default=(-1, torch.zeros(0, dtype=torch.int64)), repr=False)

    @property
    def steps_per_epoch(self) -> int:
        return self.images // self.batch_size

    @property
    def total_steps(self) -> int:
        total = self.epochs * self.steps_per_epoch
        return min(total, self.max_steps) if self.max_steps else total

    def batch(self, step: int, start: int = 0, size: int | None = None) -> tuple[int, torch.Tensor]:
        """(epoch, indices of the images step `step` reads): the global batch, or its [start, start + size) slice
        (a DDP rank's)."""
        epoch, position = divmod(step, self.steps_per_epoch)
        if epoch != self._order[0]:
            self._order = (epoch, epoch_order(self.seed, epoch, self.images))
        first = position * self.batch_size + start
        return epoch, self._order[1][first : first + (self.batch_size if size is None else size)]

    def ends_epoch(self, done: int) -> bool:
        """Whether the step that makes `done` steps ends an epoch (or the run)."""
        return done % self.steps_per_epoch == 0 or done == self.total_steps


def has_checkpoint(out: Path) -> bool:
    """Whether the run folder `out` holds a checkpoint to resume from (the newest, or the one before it)."""
    return any((out / name).is_file() for name in (CHECKPOINT_NAME, PREVIOUS_NAME))


def run_files(out: Path) -> list[Path]:
    """The files of a run in `out` (checkpoints last, the newest at the end)."""
    order = {CHECKPOINT_NAME: 3, PREVIOUS_NAME: 2, CORRUPT_NAME: 1}
    found = [path for path in out.iterdir() if RUN_FILE.fullmatch(path.name) and not path.is_dir()]
    return sorted(found, key=lambda path: (order.get(path.name, 0), path.name))


def resume_checkpoint(out: Path, expected: frozenset[str], stage: str, configs: dict[str, Any],
                      may_change: tuple[str, ...], rank: int = 0) -> dict[str, Any]:
    """The checkpoint to resume the `stage` run in `out` from (`checkpoint.load_for_resume`), once its configs match
    the ones given: `configs` maps a checkpoint key to the config given for it, and only the fields in `may_change`
    (a run's length and bookkeeping) may differ. Then metrics.jsonl loses what was logged after it (rank 0).

    Raises CheckpointError, or RunFolderError naming each field that differs.
    """
    state = load_for_resume(out, expected, set_aside=rank == 0)
    if state.get("stage", "gan") != stage:
        raise RunFolderError(f"cannot resume {out}: it holds a {state.get('stage', 'gan')} run, not a {stage} run")
    differences = []
    for name, given in configs.items():
        saved = state[name] if not isinstance(state[name], dict) else type(given).from_dict(state[name])
        differences += config_differences(saved.to_dict(), given.to_dict(), name, may_change)
    if differences:
        raise RunFolderError(f"cannot resume {out}: its configs differ from the ones given: {'; '.join(differences)} "
                             f"(only {', '.join(may_change)} may change on resume)")
    if rank == 0:
        truncate_metrics(out / METRICS_NAME, state["step"])
    logger.info("resumed %s run %s at step %d", stage, out, state["step"])
    return state


def config_differences(saved: dict[str, Any], given: dict[str, Any], prefix: str,
                       may_change: tuple[str, ...] = ()) -> list[str]:
    """`PREFIX.FIELD (checkpoint X, given Y)` for each field that differs (nested configs by their dotted path)."""
    found = []
    for name in [*saved, *(key for key in given if key not in saved)]:
        if name in may_change:
            continue
        old, new = saved.get(name), given.get(name)
        if isinstance(old, dict) and isinstance(new, dict):
            found += config_differences(old, new, f"{prefix}.{name}")
        elif _plain(old) != _plain(new):
            found.append(f"{prefix}.{name} (checkpoint {old!r}, given {new!r})")
    return found


def _plain(value: Any) -> Any:
    return [_plain(item) for item in value] if isinstance(value, (list, tuple)) else value


def check_finite(losses: dict[str, torch.Tensor], step: int, out: Path) -> None:
    """Stop training (NonFiniteError) when a loss of this step is NaN or infinite: nothing of it is saved, and
    the last checkpoint stays the run's good one."""
    if bool(torch.isfinite(torch.stack([value.detach().float().reshape(()) for value in losses.values()])).all()):
        return
    bad = ", ".join(f"{name}={value.item()}" for name, value in losses.items() if not math.isfinite(value.item()))
    checkpoint = out / CHECKPOINT_NAME
    kept = f"{checkpoint} is still the last good checkpoint" if checkpoint.exists() else "no checkpoint was saved"
    raise NonFiniteError(f"step {step}: non-finite loss ({bad}); training stopped before saving it: {kept}")


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, rank, step]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def copy_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def update_average(average: dict[str, torch.Tensor], module: torch.nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * weights; integer buffers (BatchNorm's counter) are copied, and so
    are spectral norm's power-iteration vectors (`..._u`, `..._v`): an average of unit vectors is not one."""
    with torch.no_grad():
        for name, value in module.state_dict().items():
            if value.is_floating_point() and not name.endswith(("._u", "._v")):
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
    """Q's argmax over the first categorical code for (N, C, H, W) images, in eval mode."""
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
    """Append `record` as one line of strict JSON (NaN and infinities as null). A failed write (a full disk) is
    cut back off, so the file never ends in half a line."""
    line = json.dumps(_json_safe(record), allow_nan=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        start = handle.tell()
        try:
            handle.write(line)
            handle.flush()
        except OSError as error:
            handle.truncate(start)
            raise TrainingError(f"could not append to {path}: {error.strerror or error}") from error


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def truncate_metrics(path: Path, step: int) -> None:
    """Drop records logged after the checkpoint we resume from: the resumed run logs them again.

    A last line that is not a whole record (a write cut short by a kill or a full disk) is dropped with a warning;
    any other line that is not one raises RunFolderError naming the file and the line.
    """
    if not path.exists():
        return
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    numbered = [(number, line) for number, line in enumerate(lines, 1) if line.strip()]
    kept = []
    for number, line in numbered:
        try:
            logged_after = json.loads(line)["step"] > step
        except (ValueError, TypeError, KeyError) as error:
            if number != numbered[-1][0]:
                raise RunFolderError(f"{path}, line {number}: expected a JSON record with a step, found "
                                     f"{line[:60]!r} ({error}); remove or repair that line to resume") from error
            logger.warning("%s, line %d: dropped a half-written last record (%r)", path, number, line[:60])
            continue
        if not logged_after:
            kept.append(line)
    with atomic_output(path, overwrite=True) as temporary:
        temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
