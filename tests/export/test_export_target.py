"""`python -m export RUN --out DIR` never deletes what is not ours: the run folder, a folder holding it, any other
non-empty folder are refused (exit 2, one line, nothing changed); a model folder is replaced only with --overwrite."""

import json
import shutil

import pytest

from export.__main__ import main as export_main
from export.noise import export_noise
from infogan_sdk.errors import OutputExistsError
from infogan_sdk.loading.manifest import FORMAT, load_manifest

QUICK = ["--quick-describe", "--mapping-images", "200", "--exporter", "legacy"]


@pytest.fixture
def runs(dry_checkpoint, tmp_path):
    """runs/dry (a copy of the dry run), a sibling run and a note: what a user keeps beside a run."""
    shutil.copytree(dry_checkpoint.parent, tmp_path / "runs" / "dry")
    (tmp_path / "runs" / "other").mkdir()
    (tmp_path / "runs" / "other" / "checkpoint.pt").write_bytes(b"another run")
    (tmp_path / "runs" / "NOTES.txt").write_text("mine")
    return tmp_path / "runs"


def snapshot(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def fake_model(folder):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"format": FORMAT, "name": "earlier"}))
    (folder / "generator.onnx").write_bytes(b"onnx")


@pytest.mark.parametrize("flags", [[], ["--overwrite"]])
@pytest.mark.parametrize("checkpoint", ["dry", "dry/checkpoint.pt"])
@pytest.mark.parametrize("out", ["dry", "."])
def test_the_run_folder_and_its_parent_are_refused_even_with_overwrite(runs, capsys, checkpoint, out, flags):
    before = snapshot(runs)
    assert export_main([str(runs / checkpoint), "--out", str(runs / out), *flags, *QUICK]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "which export reads" in error
    assert snapshot(runs) == before


@pytest.mark.parametrize("flags", [[], ["--overwrite"]])
def test_a_folder_that_is_not_a_model_folder_is_refused_even_with_overwrite(runs, tmp_path, capsys, flags):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "photo.png").write_bytes(b"png")
    assert export_main([str(runs / "dry"), "--out", str(mine), *flags, *QUICK]) == 2
    assert "is not empty and is not a model folder (it holds photo.png)" in capsys.readouterr().err
    assert snapshot(mine) == {"photo.png": b"png"}


def test_a_model_folder_is_refused_without_overwrite(runs, tmp_path, capsys):
    fake_model(tmp_path / "model")
    before = snapshot(tmp_path / "model")
    assert export_main([str(runs / "dry"), "--out", str(tmp_path / "model"), *QUICK]) == 2
    assert "already holds a model folder: pass --overwrite to replace it" in capsys.readouterr().err
    assert snapshot(tmp_path / "model") == before


def test_a_noise_export_checks_its_target_first(runs):
    before = snapshot(runs)
    with pytest.raises(OutputExistsError, match="which export reads"):
        export_noise(runs / "dry" / "checkpoint.pt", runs / "dry", overwrite=True)
    assert snapshot(runs) == before


def test_abbreviated_options_are_refused(runs, tmp_path):
    with pytest.raises(SystemExit) as caught:
        export_main([str(runs / "dry"), "--out", str(tmp_path / "model"), "--quick", "--exporter", "legacy"])
    assert caught.value.code == 2 and not (tmp_path / "model").exists()


@pytest.mark.slow  # a real export (about 25 s)
def test_a_model_folder_is_replaced_with_overwrite(runs, tmp_path):
    fake_model(tmp_path / "model")
    assert export_main([str(runs / "dry"), "--out", str(tmp_path / "model"), "--overwrite", *QUICK]) == 0
    manifest = load_manifest(tmp_path / "model")
    assert manifest.data["name"] == "model" and sorted(snapshot(tmp_path / "model")) == [
        "encoder.onnx", "generator.onnx", "manifest.json"]
    assert not list(tmp_path.glob(".*")), "a temporary was left behind"


@pytest.mark.parametrize("flags", [[], ["--overwrite"]])
def test_quantize_refuses_a_user_folder_and_its_own_source_before_any_work(tmp_path, capsys, flags):
    """export.quantize copied into --out with a raw FileExistsError, not atomically; now it checks as export does."""
    from export.quantize import main as quantize_main
    from infogan_sdk.loading.folders import resolve_model

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "NOTES.txt").write_text("mine")
    assert quantize_main(["mnist", "--out", str(tmp_path / "notes"), *flags]) == 2
    assert "not a model folder" in capsys.readouterr().err
    assert snapshot(tmp_path / "notes") == {"NOTES.txt": b"mine"}
    source = resolve_model("mnist")
    before = snapshot(source)
    assert quantize_main(["mnist", "--out", str(source), *flags]) == 2
    assert "which export reads" in capsys.readouterr().err
    assert snapshot(source) == before
