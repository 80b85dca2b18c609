"""A killed training run's checkpoint temporary is cleaned up by the next save; a live writer's never is."""

import os

import torch

from bench.processes import dead_pid
from train.checkpoint import load_checkpoint, save_checkpoint
from train.config import ModelConfig, TrainConfig


def test_next_checkpoint_save_removes_a_dead_writers_temporary_only(tmp_path):
    stem = ".checkpoint.pt."
    dead, alive = tmp_path / f"{stem}{dead_pid()}-abcdef12.tmp", tmp_path / f"{stem}{os.getpid()}-12345678.tmp"
    other = tmp_path / f"{stem}notes"  # not a temporary of ours: no pid
    for path in (dead, alive, other):
        path.write_bytes(b"half a checkpoint")
    payload = {"model_config": ModelConfig().to_dict(), "train_config": TrainConfig().to_dict(),
               "generator": {"w": torch.ones(2)}, "discriminator": {"w": torch.zeros(2)}, "step": 3}
    save_checkpoint(tmp_path / "checkpoint.pt", payload)
    assert not dead.exists() and alive.exists() and other.exists()
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert sorted(p.name for p in tmp_path.glob("*.tmp")) == [alive.name]  # the save left none of its own
