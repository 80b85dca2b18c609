"""Temporaries of killed writers are cleaned up by the next write; a live writer's never are (infogan_sdk.atomic)."""

import os
import subprocess
import sys

import torch

from infogan_sdk import atomic
from train.checkpoint import load_checkpoint, save_checkpoint
from train.config import ModelConfig, TrainConfig


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_next_checkpoint_save_removes_a_dead_writers_temporary_only(tmp_path):
    stem = ".checkpoint.pt."
    dead, alive = tmp_path / f"{stem}{dead_pid()}-abc.tmp", tmp_path / f"{stem}{os.getpid()}-xyz.tmp"
    other = tmp_path / f"{stem}notes"  # not a temporary of ours: no pid
    for path in (dead, alive, other):
        path.write_bytes(b"half a checkpoint")
    payload = {"model_config": ModelConfig().to_dict(), "train_config": TrainConfig().to_dict(),
               "generator": {"w": torch.ones(2)}, "discriminator": {"w": torch.zeros(2)}, "step": 3}
    save_checkpoint(tmp_path / "checkpoint.pt", payload)
    assert not dead.exists() and alive.exists() and other.exists()
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert sorted(p.name for p in tmp_path.glob("*.tmp")) == [alive.name]  # the save left none of its own


def test_remove_dead_handles_folders_and_returns_what_it_removed(tmp_path):
    stem = ".model."
    dead = tmp_path / f"{stem}{dead_pid()}-q1.tmp"
    (dead / "inner").mkdir(parents=True)
    (dead / "inner" / "generator.onnx").write_bytes(b"x")
    mine = tmp_path / f"{atomic.prefix(stem)}q2.tmp"
    mine.mkdir()
    assert atomic.remove_dead(tmp_path, stem) == [dead]
    assert not dead.exists() and mine.exists()
    assert mine.name.startswith(f"{stem}{os.getpid()}-")


def test_a_folder_output_is_fsynced_file_by_file_before_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}"))
                        or real_fsync(fd))
    with atomic.atomic_output(tmp_path / "model", folder=True) as work:
        (work / "inner").mkdir()
        (work / "inner" / "a.onnx").write_bytes(b"a")
        (work / "manifest.json").write_text("{}")
    names = [os.path.basename(path) for path in synced]
    assert {"a.onnx", "manifest.json", "inner"} <= set(names)  # the files' data and the folders' entries
    assert synced[-1] == str(tmp_path)  # last: the parent folder, after the rename
    assert (tmp_path / "model" / "inner" / "a.onnx").read_bytes() == b"a"
