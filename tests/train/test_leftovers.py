"""Temporaries of killed writers are cleaned up by the next write; a live writer's never are."""

import os
import subprocess
import sys

import torch

from train import leftovers
from train.checkpoint import load_checkpoint, save_checkpoint
from train.config import ModelConfig, TrainConfig


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_next_checkpoint_save_removes_a_dead_writers_temporary_only(tmp_path):
    dead, alive = tmp_path / f"checkpoint.pt.{dead_pid()}-abc.tmp", tmp_path / f"checkpoint.pt.{os.getpid()}-xyz.tmp"
    other = tmp_path / "checkpoint.pt.notes"  # not a temporary of ours: no pid
    for path in (dead, alive, other):
        path.write_bytes(b"half a checkpoint")
    payload = {"model_config": ModelConfig().to_dict(), "train_config": TrainConfig().to_dict(),
               "generator": {"w": torch.ones(2)}, "discriminator": {"w": torch.zeros(2)}, "step": 3}
    save_checkpoint(tmp_path / "checkpoint.pt", payload)
    assert not dead.exists() and alive.exists() and other.exists()
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert sorted(p.name for p in tmp_path.glob("*.tmp")) == [alive.name]  # the save left none of its own


def test_remove_dead_handles_folders_and_returns_what_it_removed(tmp_path):
    stem = ".model.partial-"
    dead = tmp_path / f"{stem}{dead_pid()}-q1"
    (dead / "inner").mkdir(parents=True)
    (dead / "inner" / "generator.onnx").write_bytes(b"x")
    mine = tmp_path / f"{leftovers.prefix(stem)}q2"
    mine.mkdir()
    assert leftovers.remove_dead(tmp_path, stem) == [dead]
    assert not dead.exists() and mine.exists()
    assert mine.name.startswith(f"{stem}{os.getpid()}-")
