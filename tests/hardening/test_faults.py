"""Training and export killed with SIGKILL at random points (CI: a few kills; INFOGAN_FAULTS=long: many).

Training writes a checkpoint every step; after every kill the last checkpoint loads, `--resume` works, and the
resumed run ends with exactly the weights of an uninterrupted run. Export builds in a hidden `.NAME.<pid>-*.tmp`
folder and renames it into place last: after every kill the target either does not exist or is a complete,
verified model folder. Leftover temporary files and folders are counted, and a later export must still succeed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from infogan_sdk import Encoder, Generator
from infogan_sdk.loading.manifest import load_manifest
from train.checkpoint import load_checkpoint

from .report import Tally, long_mode

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
LONG = long_mode("FAULTS")
TRAIN_KILLS = 30 if LONG else 4
EXPORT_KILLS = 12 if LONG else 2
# The kill-safety under test is export/folder.py's (hidden folder, rename last), the same for both exporters;
# CI uses the faster TorchScript exporter, the long run the default dynamo one.
EXPORTER = "dynamo" if LONG else "legacy"
# --dry-run forces fake data (512 images), 1 epoch and a batch of at most 32; with a batch of 8 that epoch has 64
# steps, of which --max-steps keeps 40, each ending with a checkpoint.
STEPS = 40
TRAIN_ARGS = ["--dry-run", "--batch-size", "8", "--max-steps", str(STEPS), "--checkpoint-every", "1", "--device", "cpu",
              "--threads", "1"]


def start(module: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 120.0) -> bool:
    """SIGKILL `process` as soon as `ready()` is true; False if it exited first. Polls every 2 ms."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    if process.poll() is None:
        process.kill()
        raise AssertionError(f"{process.args} did not finish in {timeout} s")
    return False


def finish(process: subprocess.Popen[bytes], timeout: float = 300.0) -> None:
    _, errors = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{process.args} failed ({process.returncode}):\n{errors.decode()[-3000:]}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run: the weights every interrupted-and-resumed run must end with."""
    out = tmp_path_factory.mktemp("faults") / "reference"
    finish(start("train", *TRAIN_ARGS, "--out", str(out)))
    return out / "checkpoint.pt"


class CheckpointWrites:
    """Counts checkpoint saves since creation (each save renames a new file over checkpoint.pt: a new inode)."""

    def __init__(self, path: Path) -> None:
        self.path, self.count = path, 0
        self.inode = self._inode()

    def _inode(self) -> int | None:
        try:
            return self.path.stat().st_ino
        except FileNotFoundError:
            return None

    def __call__(self) -> int:
        inode = self._inode()
        if inode is not None and inode != self.inode:
            self.inode, self.count = inode, self.count + 1
        return self.count


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.tmp")) if folder.exists() else []


def train_trigger(mode: str, out: Path, rng: np.random.Generator) -> Callable[[], bool]:
    """When to kill a training run started now: while a new temporary checkpoint exists (torch.save or fsync in
    progress), or after 1-4 checkpoint saves by this run plus a random part of a step."""
    if mode == "mid_write":
        stale = set(temporaries(out))  # left by earlier kills
        return lambda: bool(set(temporaries(out)) - stale)
    writes, wanted, delay = CheckpointWrites(out / "checkpoint.pt"), int(rng.integers(1, 5)), rng.uniform(0, 0.2)
    return lambda: writes() >= wanted and (time.sleep(delay) or True)


def assert_same_weights(checkpoint: Path, reference: Path) -> None:
    final, whole = load_checkpoint(checkpoint), load_checkpoint(reference)
    assert final["step"] == whole["step"] == STEPS
    for key in ("generator", "discriminator"):
        for name, tensor in whole[key].items():
            assert torch.equal(final[key][name], tensor), f"{key}.{name} differs from the uninterrupted run"


def test_training_killed_at_random_points_resumes_to_the_uninterrupted_weights(reference: Path, tmp_path: Path,
                                                                               tally: Tally) -> None:
    """Kill, check, resume, kill again...; a run that reaches the last step is compared with the reference and the
    next kills go to a fresh run (--auto-resume: a folder without a checkpoint starts from scratch)."""
    runs, rng, kills = [tmp_path / "run0"], np.random.default_rng(int(time.time())), []
    for index in range(TRAIN_KILLS):
        out, mode = runs[-1], ["after_writes", "mid_write"][index % 2]
        process = start("train", *TRAIN_ARGS, "--out", str(out), "--auto-resume")
        killed = kill_when(process, train_trigger(mode, out, rng))
        if not killed:
            assert process.returncode == 0, process.stderr.read().decode()[-3000:] if process.stderr else ""
        step = load_checkpoint(out)["step"] if (out / "checkpoint.pt").exists() else None  # must always load
        kills.append({"mode": mode, "killed": killed, "checkpoint_step": step, "tmp_left": len(temporaries(out))})
        tally.count("faults/train_kill", "killed_then_loadable" if killed else "finished_before_kill")
        if step == STEPS:  # this run is done: check it, and kill a fresh one next
            assert_same_weights(out / "checkpoint.pt", reference)
            runs.append(tmp_path / f"run{len(runs)}")
    finish(start("train", *TRAIN_ARGS, "--out", str(runs[-1]), "--auto-resume"))
    assert_same_weights(runs[-1] / "checkpoint.pt", reference)
    assert temporaries(runs[-1]) == [], "the resumed run's saves did not clear what the killed ones left"
    tally.measure("train_kills", {"kills": kills, "runs_resumed_to_the_end": len(runs),
                                  "tmp_files_left": sum(len(temporaries(run)) for run in runs),
                                  "weights_equal_uninterrupted": True})


def partial_folders(parent: Path, name: str) -> list[Path]:
    return sorted(parent.glob(f".{name}.*.tmp"))  # infogan_sdk.atomic's temporaries


def check_target(target: Path) -> str:
    """The export target is either absent or a complete model folder (verified files, both graphs run)."""
    if not target.exists():
        return "absent"
    load_manifest(target, verify=True)
    Generator(target, device="cpu").generate(count=2, seed=0)
    Encoder(target, device="cpu").infer(np.zeros((28, 28), np.uint8))
    return "complete"


TRIGGERS = ["random_after_partial_folder", "generator_written", "manifest_written"]
WRITTEN = {"generator_written": "generator.onnx", "manifest_written": "manifest.json"}


def export_trigger(kind: str, parent: Path, name: str, rng: np.random.Generator) -> Callable[[], bool]:
    """When to kill an export started now: a random time after its partial folder appears, once its generator.onnx
    exists, or once its manifest.json exists (the last file written before the rename into place)."""
    stale = set(partial_folders(parent, name))  # left by earlier kills: not this export's
    delay, seen = float(rng.uniform(0, 8 if LONG else 3)), []

    def ready() -> bool:
        fresh = [folder for folder in partial_folders(parent, name) if folder not in stale]
        if kind in WRITTEN:
            return any((folder / WRITTEN[kind]).exists() for folder in fresh)
        if fresh and not seen:
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] >= delay

    return ready


def test_export_killed_at_random_points_never_leaves_a_valid_looking_folder(reference: Path, tmp_path: Path,
                                                                             tally: Tally) -> None:
    parent, name = tmp_path / "models", "dry"
    target, rng = parent / name, np.random.default_rng(int(time.time()))
    arguments = [str(reference), "--out", str(target), "--mapping-images", "200", "--quick-describe",
                 "--exporter", EXPORTER]  # quick: the test kills exports, the figures do not matter
    parent.mkdir()
    kills = []
    for index in range(EXPORT_KILLS):
        trigger = TRIGGERS[index % len(TRIGGERS)]
        ready = export_trigger(trigger, parent, name, rng)
        process = start("export", *arguments)
        killed = kill_when(process, ready)
        if not killed:
            assert process.returncode == 0
        state = check_target(target)  # raises if a folder is there but incomplete
        kills.append({"trigger": trigger, "killed": killed, "target": state})
        tally.count("faults/export_kill", f"target_{state}" if killed else "finished_before_kill")
        if state == "complete":  # finished before the kill landed: start the next one without a target again
            shutil.rmtree(target)
    leftovers = len(partial_folders(parent, name))
    finish(start("export", *arguments))
    assert check_target(target) == "complete", "an export after the kills did not succeed"
    assert partial_folders(parent, name) == [], "the later export did not clear what the killed ones left"
    if LONG:  # re-exporting over an existing folder: killed at any point, the target stays a complete model
        for index in range(6):
            ready = export_trigger(TRIGGERS[index % len(TRIGGERS)], parent, name, rng)
            killed = kill_when(start("export", *arguments, "--overwrite"), ready)
            assert check_target(target) == "complete"
            tally.count("faults/export_kill_over_existing", "target_complete" if killed else "finished_before_kill")
    tally.measure("export_kills", {"exporter": EXPORTER, "kills": kills, "partial_folders_left": leftovers,
                                   "later_export_succeeded": True})
