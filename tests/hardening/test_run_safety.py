"""A training run's work survives flipped bytes, a NaN, a full disk and a torn metrics line (issue 37).

Each test trains the dry-run model in-process (a few seconds) and checks the outcome in numbers: which step the
run resumed from, the weights it ends with (equal to an uninterrupted run's), the bytes of the checkpoint kept.
The full-disk test mounts a small tmpfs, and is skipped where mounting is not allowed (a container without
CAP_SYS_ADMIN); tests/train/test_checkpoints.py covers the same path with a simulated ENOSPC everywhere.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest
import torch

from train.__main__ import main as train_main
from train.checkpoint import load_checkpoint

from .report import Tally

pytestmark = pytest.mark.slow
DRY = ["--dry-run", "--device", "cpu", "--threads", "1", "--batch-size", "8", "--checkpoint-every", "1"]


def train(out: Path, steps: int, *options: str) -> int:
    return train_main([*DRY, "--out", str(out), "--max-steps", str(steps), *options])


def same_weights(a: Path, b: Path) -> bool:
    first, second = load_checkpoint(a), load_checkpoint(b)
    return all(torch.equal(first[net][name], second[net][name])
               for net in ("generator", "discriminator") for name in first[net])


def strict_records(path: Path) -> list[dict]:
    def refuse(token: str) -> None:
        raise ValueError(f"bare {token} in {path}")

    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


def flip_a_weight(checkpoint: Path) -> None:
    """Flip the exponent byte of one float in the middle of the generator's largest tensor, in place."""
    state = torch.load(checkpoint, weights_only=True)
    tensor = max(state["generator"].values(), key=torch.Tensor.numel)
    data = bytearray(checkpoint.read_bytes())
    offset = data.find(tensor.numpy().tobytes())
    assert offset > 0
    data[offset + 4 * (tensor.numel() // 2) + 3] ^= 0x40
    checkpoint.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted 8-step run."""
    out = tmp_path_factory.mktemp("safety") / "reference"
    assert train(out, 8) == 0
    return out


def test_a_flipped_byte_is_refused_and_resume_falls_back_to_the_previous_checkpoint(reference, tmp_path, caplog,
                                                                                   tally: Tally):
    out = tmp_path / "run"
    assert train(out, 6) == 0
    flip_a_weight(out / "checkpoint.pt")
    with caplog.at_level(logging.WARNING):
        assert train(out, 8, "--resume") == 0
    assert f"{out / 'checkpoint.pt'} is corrupt" in caplog.text and "(step 5) instead" in caplog.text
    assert load_checkpoint(out)["step"] == 8 and same_weights(out, reference)
    assert [r["step"] for r in strict_records(out / "metrics.jsonl")] == [2, 4, 6, 8]
    tally.count("faults/run_safety", "flipped_byte_refused_resumed_from_previous")


def test_a_nan_loss_stops_training_and_keeps_the_good_checkpoint(tmp_path, capsys, tally: Tally):
    """A checkpoint of the code before checksums, one weight's exponent flipped to infinity: resume must stop at the
    first step, exit non-zero with one line, and leave the checkpoint and a strict-JSON metrics.jsonl behind."""
    out = tmp_path / "run"
    assert train(out, 3) == 0
    state = load_checkpoint(out)
    state["generator"][max(state["generator"], key=lambda k: state["generator"][k].numel())][5] = float("inf")
    state.update(model_config=state["model_config"].to_dict(), train_config=state["train_config"].to_dict())
    torch.save(state, out / "checkpoint.pt")  # no checksum: what the earlier code wrote
    kept = (out / "checkpoint.pt").read_bytes()
    capsys.readouterr()
    assert train(out, 6, "--resume") == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "step 4: non-finite loss" in error and "last good checkpoint" in error
    assert (out / "checkpoint.pt").read_bytes() == kept
    assert [r["step"] for r in strict_records(out / "metrics.jsonl")] == [2, 3]  # 3: the end of the first run
    tally.count("faults/run_safety", "nan_loss_stopped_checkpoint_kept")


def test_resume_drops_a_torn_last_metrics_line(reference, tmp_path, caplog, tally: Tally):
    out = tmp_path / "run"
    assert train(out, 4) == 0
    with open(out / "metrics.jsonl", "a") as handle:
        handle.write('{"step": 6, "d_loss": 5.8, "info_categ')  # a disk that filled up mid-line
    with caplog.at_level(logging.WARNING):
        assert train(out, 8, "--resume") == 0
    assert f"{out / 'metrics.jsonl'}, line 3: dropped a half-written last record" in caplog.text
    assert [r["step"] for r in strict_records(out / "metrics.jsonl")] == [2, 4, 6, 8]
    assert same_weights(out, reference)
    tally.count("faults/run_safety", "torn_metrics_line_dropped")


@pytest.fixture
def small_disk(tmp_path: Path):
    """A tmpfs of 600 kB (a dry-run checkpoint is about 420 kB: the first save fits, the second does not), and a
    function that grows it; skipped where mount is not permitted."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(disk)], capture_output=True,
                             text=True, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield disk, lambda size: subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=False)  # lazy: even if a failed write left a file open


def test_a_full_disk_at_a_checkpoint_save_says_so_and_resume_ends_as_an_uninterrupted_run(reference, small_disk,
                                                                                          capsys, tally: Tally):
    disk, grow = small_disk
    out = disk / "run"
    assert train(out, 8) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no space left on its disk" in error and "unexpected pos" not in error
    assert f"kept: {out / 'checkpoint.pt'}" in error and load_checkpoint(out)["step"] == 1
    assert not list(out.glob(".*")), "the failed save left a temporary"
    grow("4m")  # space freed: the run goes on from its checkpoint
    assert train(out, 8, "--resume") == 0
    assert load_checkpoint(out)["step"] == 8 and same_weights(out, reference)
    tally.count("faults/run_safety", "disk_full_at_save_clear_error_resumed")
