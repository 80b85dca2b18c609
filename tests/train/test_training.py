"""Tiny training runs on fake data: each mode, label use, resume equivalence, the CLI and DDP."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import train.augment
import train.loop
from infogan_sdk.spec import LatentSpec
from train.__main__ import main as train_main
from train.checkpoint import CheckpointError, load_checkpoint
from train.config import TrainConfig, architecture

pytestmark = pytest.mark.slow  # each test trains (seconds to a minute)
ROOT = Path(__file__).resolve().parents[2]
TINY = architecture("tiny", LatentSpec())
QUICK = TrainConfig(data="fake", fake_size=128, batch_size=16, epochs=2, max_steps=10, log_every=2,
                    labels_per_class=2, labelled_batch=8)


def run(tmp_path, name, **changes):
    return load_checkpoint(train.loop.train(TINY, replace(QUICK, **changes), tmp_path / name, device="cpu"))


def states_equal(a, b):
    return all(torch.equal(a[k], b[k]) for k in a) and a.keys() == b.keys()


@pytest.mark.parametrize("mode", ["unsupervised", "semi-supervised", "supervised"])
def test_each_mode_trains_and_records_its_label_budget(tmp_path, mode):
    state = run(tmp_path, mode, mode=mode)
    assert state["step"] == 10 and state["finished"]
    assert state["label_budget"] == {"unsupervised": 0, "semi-supervised": 20, "supervised": None}[mode]
    records = [json.loads(line) for line in (tmp_path / mode / "metrics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in records)
    assert (records[-1]["supervised_ce"] > 0) == (mode != "unsupervised")
    assert len(state["labelled_indices"]) == (20 if mode == "semi-supervised" else 0)
    assert (tmp_path / mode / "samples_epoch001.png").stat().st_size > 0


def test_unsupervised_training_never_reads_a_training_label(tmp_path, monkeypatch):
    real_load = train.loop.load_data

    def poisoned(config, data_dir):  # every training label invalid: reading one would fail
        data = real_load(config, data_dir)
        return replace(data, labels=torch.full_like(data.labels, -7))

    monkeypatch.setattr(train.loop, "load_data", poisoned)
    assert run(tmp_path, "unsup", mode="unsupervised")["finished"]
    with pytest.raises((IndexError, RuntimeError, ValueError)):
        run(tmp_path, "sup", mode="supervised")


def test_same_seed_same_weights_other_seed_differs(tmp_path):
    a, b, c = run(tmp_path, "a"), run(tmp_path, "b"), run(tmp_path, "c", seed=1)
    assert states_equal(a["generator"], b["generator"]) and states_equal(a["discriminator"], b["discriminator"])
    assert not states_equal(a["generator"], c["generator"])


def test_resume_after_a_kill_ends_where_an_uninterrupted_run_ends(tmp_path, monkeypatch):
    config = replace(QUICK, mode="semi-supervised", checkpoint_every=3)
    whole = load_checkpoint(train.loop.train(TINY, config, tmp_path / "whole", device="cpu"))
    real_save = train.loop.save_checkpoint

    def save_then_die(path, payload):
        real_save(path, payload)
        if payload["step"] == 6:
            raise KeyboardInterrupt("killed after the step-6 checkpoint")

    monkeypatch.setattr(train.loop, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train.loop.train(TINY, config, tmp_path / "killed", device="cpu")
    assert load_checkpoint(tmp_path / "killed")["step"] == 6
    monkeypatch.setattr(train.loop, "save_checkpoint", real_save)
    resumed = load_checkpoint(train.loop.train(TINY, config, tmp_path / "killed", device="cpu", resume=True))
    assert resumed["step"] == whole["step"] == 10
    for key in ("generator", "discriminator"):
        assert states_equal(whole[key], resumed[key]), f"{key} differs after resume"
    steps = [json.loads(line)["step"] for line in (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)), "the metrics log repeats steps after resume"


def test_resume_refuses_a_different_config(tmp_path):
    train.loop.train(TINY, QUICK, tmp_path / "run", device="cpu")
    with pytest.raises(ValueError, match="configs differ"):
        train.loop.train(TINY, replace(QUICK, seed=5), tmp_path / "run", device="cpu", resume=True)


def test_checkpoint_errors_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"bad\.pt"):
        load_checkpoint(bad)
    torch.save({"hello": 1}, bad)
    with pytest.raises(CheckpointError, match="not an infogan-sdk checkpoint"):
        load_checkpoint(bad)


def test_dry_run_cli_writes_a_checkpoint_with_both_configs(tmp_path):
    assert train_main(["--dry-run", "--out", str(tmp_path / "dry"), "--device", "cpu"]) == 0
    state = load_checkpoint(tmp_path / "dry")
    assert state["model_config"].latent == LatentSpec() and state["train_config"].data == "fake"
    assert state["command"].startswith("python -m train --dry-run")
    assert {"optimizer_g", "optimizer_d"} <= set(state)


DDP_SCRIPT = """
import sys, torch, torch.distributed as dist
import train.augment
import train.loop
from infogan_sdk.spec import LatentSpec
from train.config import TrainConfig, architecture
built = []
real_build = train.loop.build
train.loop.build = lambda *args: built.append(real_build(*args)) or built[-1]  # keep this rank's networks
dist.init_process_group("gloo")
config = TrainConfig(data="fake", fake_size=128, batch_size=16, epochs=1, max_steps=4, log_every=2)
train.loop.train(architecture("tiny", LatentSpec()), config, sys.argv[1], device="cpu")
generator, discriminator = built[0]
mine = torch.cat([t.float().flatten() for m in (generator, discriminator) for t in m.state_dict().values()])
gathered = [torch.zeros_like(mine) for _ in range(dist.get_world_size())]
dist.all_gather(gathered, mine)
assert all(torch.equal(g, gathered[0]) for g in gathered), "ranks disagree after gradient averaging"
ckpt = torch.load(sys.argv[1] + "/checkpoint.pt", weights_only=True)
assert torch.equal(torch.cat([t.float().flatten() for t in ckpt["generator"].values()]),
                   torch.cat([t.float().flatten() for t in generator.state_dict().values()]))
dist.destroy_process_group()
"""


def test_ddp_with_two_cpu_processes(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             str(script), str(tmp_path / "ddp")], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    state = load_checkpoint(tmp_path / "ddp")
    assert state["world_size"] == 2 and state["step"] == 4


@pytest.mark.parametrize("spec", [LatentSpec(noise_size=8, categorical_sizes=(), n_continuous=2),
                                  LatentSpec(noise_size=8, categorical_sizes=(5, 4), n_continuous=0),
                                  LatentSpec(noise_size=8, categorical_sizes=(12,), n_continuous=3)])
def test_other_latent_layouts_train_end_to_end(tmp_path, spec):
    config = replace(QUICK, max_steps=2, epochs=1)
    state = load_checkpoint(train.loop.train(architecture("tiny", spec), config, tmp_path / "run", device="cpu"))
    assert state["model_config"].latent == spec and state["finished"]
    assert (tmp_path / "run" / "samples_epoch001.png").exists()


def test_label_shift_moves_each_image_within_the_limit():
    images = torch.zeros(200, 28, 28, dtype=torch.uint8)
    images[:, 14, 14] = 255
    moved = train.augment.shifted(images, 2, torch.Generator().manual_seed(0))
    positions = torch.nonzero(moved)[:, 1:] - 14  # every image still holds its one pixel
    assert len(positions) == 200 and positions.abs().max() == 2
    assert len({tuple(p) for p in positions.tolist()}) == 25  # all 5 x 5 offsets occur
    assert torch.equal(train.augment.shifted(images, 0, torch.Generator()), images)


def test_resume_can_extend_a_finished_run_to_more_epochs(tmp_path):
    short = replace(QUICK, epochs=1, max_steps=0)  # 128 fake images / 16 = 8 steps per epoch
    long = replace(QUICK, epochs=2, max_steps=0)
    train.loop.train(TINY, short, tmp_path / "extended", device="cpu")
    extended = load_checkpoint(train.loop.train(TINY, long, tmp_path / "extended", device="cpu", resume=True))
    straight = load_checkpoint(train.loop.train(TINY, long, tmp_path / "straight", device="cpu"))
    assert extended["step"] == straight["step"] == 16
    assert states_equal(extended["generator"], straight["generator"])
