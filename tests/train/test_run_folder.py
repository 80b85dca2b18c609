"""`python -m train` never clobbers a run: a folder holding one needs --resume or --overwrite, --resume needs a
checkpoint, --overwrite removes only the run's own files, abbreviated options are refused; the same for all stages."""

import json

import pytest

from train.__main__ import main as train_main
from train.bookkeeping import RunFolderError
from train.checkpoint import load_checkpoint
from train.config import NoiseConfig, ReaderConfig
from train.noise import train_noise
from train.reader import train_reader

DRY = ["--dry-run", "--device", "cpu", "--threads", "1"]


def fake_run(folder):
    """A run folder as training leaves it (the files' contents do not matter to the checks), and a user's note."""
    folder.mkdir()
    for name, text in {"checkpoint.pt": "step 400", "metrics.jsonl": '{"step": 400}\n',
                       "samples_epoch001.png": "png", "NOTES.txt": "mine"}.items():
        (folder / name).write_text(text)
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def contents(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_a_new_run_over_an_existing_run_is_refused_and_changes_nothing(tmp_path, capsys):
    before = fake_run(tmp_path / "run")
    assert train_main([*DRY, "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "already holds a run" in error
    assert "--resume" in error and "--overwrite" in error
    assert contents(tmp_path / "run") == before


@pytest.mark.parametrize("state", ["missing", "no checkpoint"])
def test_resume_needs_a_folder_with_a_checkpoint(tmp_path, capsys, state):
    out = tmp_path / "run"
    if state == "no checkpoint":
        out.mkdir()
        (out / "metrics.jsonl").write_text('{"step": 2}\n')
    assert train_main([*DRY, "--out", str(out), "--resume"]) == 2
    error = capsys.readouterr().err
    assert f"cannot resume {out}: " in error and error.count("\n") == 1
    assert ("no such folder" if state == "missing" else "holds no checkpoint.pt") in error
    assert out.exists() == (state != "missing")  # nothing was created for a misspelt folder


def test_resume_and_overwrite_together_are_refused(tmp_path):
    with pytest.raises(SystemExit) as caught:
        train_main([*DRY, "--out", str(tmp_path / "run"), "--resume", "--overwrite"])
    assert caught.value.code == 2


@pytest.mark.parametrize("option", ["--epoch", "--max-step", "--overwr"])
def test_abbreviated_options_are_refused(tmp_path, option):
    """`--epoch 3` was taken for --epochs, but stages 2 and 3 look for the literal --epochs and kept their default."""
    with pytest.raises(SystemExit) as caught:
        train_main([*DRY, "--out", str(tmp_path / "run"), option, "3"])
    assert caught.value.code == 2 and not (tmp_path / "run").exists()


def test_stages_two_and_three_refuse_an_existing_run_too(tmp_path):
    before = fake_run(tmp_path / "run")
    with pytest.raises(RunFolderError, match="already holds a run"):
        train_reader(ReaderConfig(generator_run=str(tmp_path / "stage1")), tmp_path / "run")
    with pytest.raises(RunFolderError, match="already holds a run"):
        train_noise(NoiseConfig(model="mnist-v1"), tmp_path / "run")
    with pytest.raises(RunFolderError, match=r"cannot resume .*: no such folder"):
        train_noise(NoiseConfig(model="mnist-v1"), tmp_path / "typo", resume=True)
    with pytest.raises(RunFolderError, match="is the stage 1 run the reader trains on"):
        train_reader(ReaderConfig(generator_run=str(tmp_path / "run" / "checkpoint.pt")), tmp_path / "run",
                     overwrite=True)
    assert contents(tmp_path / "run") == before


@pytest.mark.slow
def test_overwrite_starts_the_run_again_and_keeps_what_is_not_the_runs(tmp_path):
    out = tmp_path / "run"
    assert train_main([*DRY, "--out", str(out), "--max-steps", "8", "--checkpoint-every", "2"]) == 0
    (out / "NOTES.txt").write_text("mine")
    (out / "train.log").write_text("the shell's redirection")
    assert train_main([*DRY, "--out", str(out), "--max-steps", "4", "--overwrite"]) == 0
    assert load_checkpoint(out)["step"] == 4 and not (out / "checkpoint.prev.pt").exists()  # nothing of step 8
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [2, 4]
    assert (out / "NOTES.txt").read_text() == "mine" and (out / "train.log").exists()


@pytest.mark.slow
def test_a_folder_with_other_files_only_takes_a_new_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "train.log").write_text("python -m train ... > run/train.log creates it first")
    assert train_main([*DRY, "--out", str(out), "--max-steps", "2"]) == 0
    assert load_checkpoint(out)["step"] == 2 and (out / "train.log").exists()


@pytest.mark.slow
def test_resume_names_the_config_fields_that_differ(tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main([*DRY, "--out", str(out), "--max-steps", "2"]) == 0
    assert train_main([*DRY, "--out", str(out), "--max-steps", "4", "--resume", "--seed", "3",
                       "--generator-lr", "0.01"]) == 2
    error = capsys.readouterr().err
    assert "train_config.seed (checkpoint 0, given 3)" in error
    assert "train_config.generator_lr (checkpoint 0.001, given 0.01)" in error
    assert "max_steps" not in error.split("given:")[1].split("(only")[0]  # a run's length may change
    assert load_checkpoint(out)["step"] == 2


@pytest.mark.slow
def test_auto_resume_starts_a_run_then_resumes_it(tmp_path):
    """What torchrun --max-restarts runs again and again (docs/SCALE.md): a new run at first, then a resumed one."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"step": 2}\n')  # an attempt killed before its first checkpoint
    assert train_main([*DRY, "--out", str(out), "--max-steps", "2", "--auto-resume"]) == 0
    assert load_checkpoint(out)["step"] == 2
    assert train_main([*DRY, "--out", str(out), "--max-steps", "4", "--auto-resume"]) == 0
    assert load_checkpoint(out)["step"] == 4
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [2, 4]


def test_keep_every_keeps_each_nth_steps_checkpoint_and_overwrite_removes_them(tmp_path, capsys):
    run = tmp_path / "run"
    assert train_main([*DRY, "--max-steps", "6", "--keep-every", "3", "--out", str(run)]) == 0
    kept = sorted(path.name for path in run.glob("checkpoint-step*.pt"))
    assert kept == ["checkpoint-step000003.pt", "checkpoint-step000006.pt"]
    assert load_checkpoint(run / kept[0])["step"] == 3
    last, newest = load_checkpoint(run / kept[1]), load_checkpoint(run / "checkpoint.pt")
    assert last["step"] == newest["step"] == 6
    assert all(last["generator"][k].equal(newest["generator"][k]) for k in newest["generator"])
    (run / "NOTES.txt").write_text("mine")
    assert train_main([*DRY, "--max-steps", "1", "--overwrite", "--out", str(run)]) == 0
    assert not list(run.glob("checkpoint-step*.pt")) and (run / "NOTES.txt").read_text() == "mine"
    capsys.readouterr()
    assert train_main([*DRY, "--keep-every", "-1", "--out", str(tmp_path / "bad")]) == 1
    assert "keep_every must be >= 0" in capsys.readouterr().err and not (tmp_path / "bad").exists()
