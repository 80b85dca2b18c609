"""infogan_sdk.atomic: temporaries of killed writers are removed by the next write; folders are synced."""

import os

import pytest

from bench.processes import dead_pid
from infogan_sdk import atomic


def test_remove_dead_handles_folders_and_returns_what_it_removed(tmp_path):
    stem = ".model."
    dead = tmp_path / f"{stem}{dead_pid()}-0000abcd.tmp"
    (dead / "inner").mkdir(parents=True)
    (dead / "inner" / "generator.onnx").write_bytes(b"x")
    mine = tmp_path / f"{atomic.prefix(stem)}0000abce.tmp"
    mine.mkdir()
    assert atomic.remove_dead(tmp_path, stem) == [dead]
    assert not dead.exists() and mine.exists()
    assert mine.name.startswith(f"{stem}{os.getpid()}-")


def test_the_next_write_in_a_folder_removes_every_dead_temporary_and_keeps_everything_else(tmp_path):
    """Issue 37: leftovers of a killed writer stayed until a later write to the same name; now any write into the
    folder removes them. A name that is not one of ours, a live process's temporary, and a pid that cannot be one
    are kept."""
    pid = dead_pid()
    dead = [tmp_path / f".run.npz.{pid}-0123abcd.tmp", tmp_path / f".digits.{pid}-89abcdef.parts",
            tmp_path / f".a.b.{pid}-00000000.tmp"]
    kept = [tmp_path / f".d.npz.{os.getpid()}-0123abcd.tmp", tmp_path / f".notes.{pid}-beef.tmp",
            tmp_path / f"run.{pid}-0123abcd.tmp", tmp_path / ".x.99999999999999999999-0123abcd.tmp",
            tmp_path / f".x.{pid}-0123abcd.bak"]
    dead[1].mkdir()
    (dead[1] / "images.npy").write_bytes(b"half")
    for path in [dead[0], dead[2], *kept]:
        path.write_bytes(b"half")
    with atomic.atomic_output(tmp_path / "new.txt") as work:
        work.write_text("done")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in kept] + ["new.txt"])


def test_a_folder_replaced_by_a_killed_writer_goes_back_when_the_new_one_never_arrived(tmp_path):
    """SIGKILL between `_replace`'s two renames leaves the old output as .NAME.<pid>-<hex>.old and no NAME: the next
    write in the folder puts it back; an .old whose target exists again is only a leftover, and goes."""
    pid = dead_pid()
    stranded = tmp_path / f".model.{pid}-0123abcd.old"
    stranded.mkdir()
    (stranded / "manifest.json").write_text("{}")
    (tmp_path / "other").mkdir()
    stale = tmp_path / f".other.{pid}-0123abcd.old"
    stale.mkdir()
    assert atomic.remove_dead(tmp_path) == [stale]
    assert (tmp_path / "model" / "manifest.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "other"]


def test_an_interrupt_between_the_renames_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = tmp_path / "model"
    target.mkdir()
    (target / "a.onnx").write_bytes(b"old")
    real_replace, calls = os.replace, []

    def interrupted(source, destination):
        calls.append(destination)
        if len(calls) == 2:  # the new folder's rename: SIGTERM lands here
            raise KeyboardInterrupt
        real_replace(source, destination)

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt), atomic.atomic_output(target, folder=True, overwrite=True) as work:
        (work / "a.onnx").write_bytes(b"new")
    assert (target / "a.onnx").read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]


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
