"""Checkpoints and metrics you can trust, without training: the checksum, the previous checkpoint, the resume
fallback, the refusals (NaN weights, a full disk) and metrics.jsonl (strict JSON; a torn last line)."""

import errno
import json
import logging
import pathlib
import re

import pytest
import torch

from train import bookkeeping
from train.bookkeeping import RunFolderError, append_metrics, check_finite, config_differences, truncate_metrics
from train.checkpoint import (
    CheckpointError,
    NonFiniteError,
    TrainingError,
    load_checkpoint,
    load_for_resume,
    save_checkpoint,
)
from train.config import ModelConfig, TrainConfig

WEIGHTS = torch.arange(4096, dtype=torch.float32) / 7  # distinctive bytes, easy to find in the file


def payload(step: int) -> dict:
    return {"model_config": ModelConfig().to_dict(), "train_config": TrainConfig().to_dict(), "step": step,
            "generator": {"w": WEIGHTS + step}, "discriminator": {"w": torch.zeros(3)}, "averages": None}


def flip(path: pathlib.Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def tensor_offset(path: pathlib.Path, step: int) -> int:
    """Where the middle of the generator's weights lies in the file."""
    offset = path.read_bytes().find((WEIGHTS + step).numpy().tobytes())
    assert offset > 0
    return offset + (WEIGHTS.numel() * 4) // 2 + 3  # a float's exponent byte (little-endian)


def test_a_flipped_byte_in_tensor_data_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, payload(3))
    flip(path, tensor_offset(path, 3))
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt is corrupt: its contents do not match") as caught:
        load_checkpoint(path)
    assert str(path) in str(caught.value)


def test_an_unreadable_checkpoint_is_refused_without_torchs_weights_only_advice(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, payload(3))
    flip(path, path.read_bytes().find(b"\x80\x02") + 2)  # the pickle's first opcode
    with pytest.raises(CheckpointError, match="corrupt or not a checkpoint") as caught:
        load_checkpoint(path)
    assert str(path) in str(caught.value) and "weights_only" not in str(caught.value)


def test_a_checkpoint_written_without_a_checksum_still_loads(tmp_path):
    path = tmp_path / "old.pt"
    torch.save({"checkpoint_version": 1, **payload(5)}, path)  # what the code before checksums wrote
    state = load_checkpoint(path)
    assert state["step"] == 5 and torch.equal(state["generator"]["w"], WEIGHTS + 5)
    assert "content_sha256" not in state


def test_the_previous_checkpoint_is_kept_beside_the_newest(tmp_path):
    for step in (1, 2, 3):
        save_checkpoint(tmp_path / "checkpoint.pt", payload(step))
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert load_checkpoint(tmp_path / "checkpoint.prev.pt")["step"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.prev.pt", "checkpoint.pt"]


def test_resume_falls_back_to_the_previous_checkpoint_when_the_newest_is_corrupt(tmp_path, caplog):
    for step in (1, 2):
        save_checkpoint(tmp_path / "checkpoint.pt", payload(step))
    flip(tmp_path / "checkpoint.pt", tensor_offset(tmp_path / "checkpoint.pt", 2))
    with caplog.at_level(logging.WARNING):
        state = load_for_resume(tmp_path, frozenset({"step"}))
    assert state["step"] == 1
    assert "checkpoint.pt is corrupt" in caplog.text and "checkpoint.prev.pt (step 1)" in caplog.text
    # set aside, so that the next save keeps the good step 1 as the previous checkpoint, not the corrupt one
    assert (tmp_path / "checkpoint.corrupt.pt").exists() and not (tmp_path / "checkpoint.pt").exists()
    save_checkpoint(tmp_path / "checkpoint.pt", payload(2))
    assert load_checkpoint(tmp_path / "checkpoint.prev.pt")["step"] == 1


def test_resume_with_both_checkpoints_corrupt_is_an_error_naming_both(tmp_path):
    for step in (1, 2):
        save_checkpoint(tmp_path / "checkpoint.pt", payload(step))
    flip(tmp_path / "checkpoint.pt", tensor_offset(tmp_path / "checkpoint.pt", 2))
    flip(tmp_path / "checkpoint.prev.pt", tensor_offset(tmp_path / "checkpoint.prev.pt", 1))
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt is corrupt.*checkpoint\.prev\.pt is corrupt"):
        load_for_resume(tmp_path, frozenset({"step"}))


def test_non_finite_weights_are_never_written_over_a_good_checkpoint(tmp_path):
    save_checkpoint(tmp_path / "checkpoint.pt", payload(1))
    good = (tmp_path / "checkpoint.pt").read_bytes()
    bad = payload(2)
    bad["generator"]["w"][7] = float("nan")
    with pytest.raises(NonFiniteError, match=r"generator\.w hold NaN or inf"):
        save_checkpoint(tmp_path / "checkpoint.pt", bad)
    assert (tmp_path / "checkpoint.pt").read_bytes() == good


def test_a_full_disk_at_save_says_so_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "checkpoint.pt", payload(1))
    good = (tmp_path / "checkpoint.pt").read_bytes()

    def full(self, data):  # the disk fills up half way through the write
        with open(self, "wb") as handle:
            handle.write(bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_bytes", full)
    with pytest.raises(CheckpointError, match=r"no space left on its disk \(0\.\d MB to write, [\d.]+ MB free\); "
                                              r"kept: .*checkpoint\.pt"):
        save_checkpoint(tmp_path / "checkpoint.pt", payload(2))
    monkeypatch.undo()
    assert (tmp_path / "checkpoint.pt").read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.prev.pt", "checkpoint.pt"]  # no temporary


def test_metrics_lines_are_strict_json_with_null_for_nan(tmp_path):
    path = tmp_path / "metrics.jsonl"
    append_metrics(path, {"step": 1, "d_loss": float("nan"), "test": {"nmi": float("inf"), "q": 0.5}})

    def refuse(token):
        raise ValueError(f"bare {token} is not JSON")

    record = json.loads(path.read_text(), parse_constant=refuse)
    assert record == {"step": 1, "d_loss": None, "test": {"nmi": None, "q": 0.5}}


def test_a_torn_last_metrics_line_is_dropped_with_a_warning_naming_the_file(tmp_path, caplog):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "d_loss": 1.0}) + "\n" for s in (2, 4, 6)) + '{"step": 8, "d_lo')
    with caplog.at_level(logging.WARNING):
        truncate_metrics(path, 4)
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [2, 4]
    assert f"{path}, line 4: dropped a half-written last record" in caplog.text


def test_a_broken_metrics_line_in_the_middle_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 2}\n{"step": 4, "d_l\n{"step": 6}\n')
    with pytest.raises(RunFolderError, match=re.escape(f"{path}, line 2: expected a JSON record")):
        truncate_metrics(path, 6)
    assert path.read_text() == '{"step": 2}\n{"step": 4, "d_l\n{"step": 6}\n'  # left for the user to repair


def test_a_non_finite_loss_stops_with_the_step_and_the_loss_named(tmp_path):
    check_finite({"d_loss": torch.tensor(1.0), "g_loss": torch.tensor(2.0)}, 7, tmp_path)
    with pytest.raises(NonFiniteError, match=r"step 8: non-finite loss \(g_loss=nan\).*no checkpoint was saved"):
        check_finite({"d_loss": torch.tensor(1.0), "g_loss": torch.tensor(float("nan"))}, 8, tmp_path)


def test_config_differences_name_each_field():
    saved = {"seed": 0, "epochs": 5, "betas": (0.5, 0.999), "latent": {"noise_size": 62}}
    given = {"seed": 3, "epochs": 9, "betas": [0.5, 0.999], "latent": {"noise_size": 8}}
    assert config_differences(saved, given, "train_config", ("epochs",)) == [
        "train_config.seed (checkpoint 0, given 3)", "train_config.latent.noise_size (checkpoint 62, given 8)"]


def test_a_save_killed_after_keeping_the_previous_leaves_no_temporary_at_the_next_save(tmp_path):
    """Killed between keeping checkpoint.prev.pt (a link to checkpoint.pt) and writing the new checkpoint: both names
    are one file, and the next save must not leave its link's temporary behind (rename(2) does nothing there)."""
    save_checkpoint(tmp_path / "checkpoint.pt", payload(1))
    (tmp_path / "checkpoint.prev.pt").hardlink_to(tmp_path / "checkpoint.pt")
    save_checkpoint(tmp_path / "checkpoint.pt", payload(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.prev.pt", "checkpoint.pt"]
    assert load_checkpoint(tmp_path / "checkpoint.prev.pt")["step"] == 1


def test_a_metrics_line_cut_short_by_a_full_disk_is_taken_back(tmp_path, monkeypatch):
    path = tmp_path / "metrics.jsonl"
    append_metrics(path, {"step": 2})
    real_open = open

    class FullDisk:  # the file object of a disk that fills up half way through the line
        def __init__(self, *args, **options):
            self.handle = real_open(*args, **options)

        def __enter__(self):
            return self

        def __exit__(self, *error):
            self.handle.close()

        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr(bookkeeping, "open", FullDisk, raising=False)
    with pytest.raises(TrainingError, match=r"could not append to .*metrics\.jsonl: No space left on device"):
        append_metrics(path, {"step": 4, "d_loss": 1.0})
    assert path.read_text() == '{"step": 2}\n'


def test_a_payload_read_with_torch_load_saves_with_a_fresh_checksum(tmp_path):
    save_checkpoint(tmp_path / "checkpoint.pt", payload(1))
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)  # carries the checksum of step 1's contents
    state["step"] = 2
    save_checkpoint(tmp_path / "again.pt", state)
    assert load_checkpoint(tmp_path / "again.pt")["step"] == 2
