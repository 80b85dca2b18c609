"""infogan_sdk.atomic: temporaries of killed writers are removed by the next write; folders are synced."""

import os

from bench.processes import dead_pid
from infogan_sdk import atomic


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
