"""Synthetic data sets: shards add up byte for byte, balance, seeds, ranges, overwrite refusal, atomicity."""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bench.processes import dead_pid
from infogan_sdk import Encoder, Generator, InvalidInputError, OutputExistsError, write_dataset
from infogan_sdk.cli import main
from infogan_sdk.datasets import preflight
from infogan_sdk.datasets.plan import BLOCK, iter_dataset, plan

ARRAYS = ("index", "images", "digits", "codes", "continuous", "noise")
PER_DIGIT = 60  # 600 images: 3 blocks of 256, the last one partial


def load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def test_shards_of_an_npz_add_up_to_the_unsharded_run_byte_for_byte(generator: Generator, tmp_path: Path) -> None:
    whole = load(write_dataset(generator, tmp_path / "whole.npz", per_digit=PER_DIGIT, seed=5))
    assert len(whole["images"]) == 600 and whole["images"].dtype == np.uint8 and whole["digits"].dtype == np.int64
    for parts in (2, 3):
        shards = [load(write_dataset(generator, tmp_path / f"{i}of{parts}.npz", per_digit=PER_DIGIT, seed=5,
                                     shard=(i, parts))) for i in range(parts)]
        assert all(len(shard["images"]) for shard in shards[1:])  # whole blocks, none empty here
        for name in ARRAYS:
            assert np.concatenate([s[name] for s in shards]).tobytes() == whole[name].tobytes(), name
        for name in ("model", "seed", "total", "continuous_names", "continuous_ranges"):
            assert all(np.array_equal(s[name], whole[name]) for s in shards), name
    assert str(whole["model"]) == "tiny" and int(whole["seed"]) == 5 and int(whole["total"]) == 600
    assert whole["continuous_names"].tolist() == ["rotation", "width"]


@pytest.mark.slow  # 6 s: keeps the bare suite under a minute
def test_shards_of_a_png_folder_add_up_file_for_file(generator: Generator, tmp_path: Path) -> None:
    write_dataset(generator, tmp_path / "whole", per_digit=PER_DIGIT, seed=1)
    for i in range(2):
        write_dataset(generator, tmp_path / f"part{i}", per_digit=PER_DIGIT, seed=1, shard=(i, 2))
    whole = sorted(p.name for p in (tmp_path / "whole").glob("*.png"))
    parts = [sorted(p.name for p in (tmp_path / f"part{i}").glob("*.png")) for i in range(2)]
    assert whole == parts[0] + parts[1] and len(whole) == 600 and whole[0] == "00000.png"
    for i, names in enumerate(parts):
        for name in names[:: 37]:
            assert (tmp_path / f"part{i}" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    rows = [(tmp_path / d / "labels.csv").read_text().splitlines() for d in ("whole", "part0", "part1")]
    assert rows[0][0] == "file,index,digit,rotation,width" and rows[0] == rows[1] + rows[2][1:]


def test_the_labels_say_what_the_images_show(generator: Generator, encoder: Encoder, tmp_path: Path) -> None:
    data = load(write_dataset(generator, tmp_path / "d.npz", per_digit=PER_DIGIT, seed=2))
    assert np.bincount(data["digits"]).tolist() == [PER_DIGIT] * 10
    assert data["digits"][:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]  # image i is digit i % 10
    read = encoder.infer(data["images"])  # the planted encoder reads the planted digit row
    np.testing.assert_array_equal(read.digits, data["digits"])
    folder = write_dataset(generator, tmp_path / "f", count=20, seed=2)
    with open(folder / "labels.csv", newline="") as handle:
        labels = list(csv.DictReader(handle))
    read = encoder.infer([str(folder / row["file"]) for row in labels])
    assert read.digits.tolist() == [int(row["digit"]) for row in labels]
    assert np.allclose(read.continuous[:, 0], np.tanh([float(row["rotation"]) for row in labels]), atol=0.02)


def test_a_seed_is_a_function_of_index_so_a_smaller_set_is_a_prefix(generator: Generator) -> None:
    def arrays(**kwargs: object) -> dict[str, np.ndarray]:
        chunks = [chunk.columns() for chunk in iter_dataset(generator, plan(generator, **kwargs))]  # type: ignore
        return {name: np.concatenate([c[name] for c in chunks]) for name in ARRAYS}

    big, small, other = arrays(per_digit=60, seed=3), arrays(per_digit=30, seed=3), arrays(per_digit=30, seed=4)
    for name in ARRAYS:
        assert small[name].tobytes() == big[name][:300].tobytes(), name
    assert not np.array_equal(small["noise"], other["noise"]) and np.array_equal(small["digits"], other["digits"])
    drawn = arrays(count=BLOCK + 10, seed=3)["digits"]
    assert 5 < np.bincount(drawn, minlength=10).min() and set(drawn.tolist()) == set(range(10))


def test_continuous_ranges_for_all_codes_or_by_name(generator: Generator) -> None:
    def continuous(ranges: object) -> np.ndarray:
        data = plan(generator, count=300, seed=0, continuous_range=ranges)  # type: ignore[arg-type]
        return np.concatenate([chunk.result.continuous for chunk in iter_dataset(generator, data)])

    wide = continuous((-2.0, 2.0))
    assert wide.min() < -1.5 and wide.max() > 1.5 and wide.min() >= -2 and wide.max() <= 2
    fixed = continuous({"width": (0.5, 0.5)})
    assert np.all(fixed[:, 1] == 0.5) and -1 <= fixed[:, 0].min() and fixed[:, 0].max() <= 1
    assert np.array_equal(fixed[:, 0], continuous(None)[:, 0])  # the same draws, only rescaled
    for bad, match in [({"slant": (0, 1)}, "no continuous code named"), ((1, -1), "low <= high"),
                       ((0, float("nan")), "finite")]:
        with pytest.raises(InvalidInputError, match=match):
            continuous(bad)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"count": 10, "per_digit": 1}, "exactly one of"), ({}, "exactly one of"), ({"count": 0}, "positive"),
    ({"count": 5, "seed": -1}, "seed"), ({"count": 5, "shard": (2, 2)}, "0 <= I < K")])
def test_bad_plans_say_what_was_expected(generator: Generator, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        plan(generator, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["d.npz", "d.parquet", "folder"])
def test_refuses_to_overwrite_unless_asked(generator: Generator, tmp_path: Path, name: str) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    target = write_dataset(generator, tmp_path / name, count=20, seed=0)
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*"))
    with pytest.raises(OutputExistsError, match="already exists"):
        write_dataset(generator, target, count=30, seed=1)
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*")) == before
    write_dataset(generator, target, count=30, seed=1, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # replaced in place, nothing left beside it


@pytest.mark.parametrize("name", ["d.npz", "d.parquet", "folder"])
def test_an_interrupted_write_leaves_nothing(generator: Generator, tmp_path: Path, name: str) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")

    def interrupt(done: int) -> None:
        raise KeyboardInterrupt("Ctrl-C after the first block")

    with pytest.raises(KeyboardInterrupt):
        write_dataset(generator, tmp_path / name, count=600, seed=0, progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_a_killed_writers_temporaries_are_removed_by_the_next_write_in_the_folder(generator: Generator,
                                                                                   tmp_path: Path) -> None:
    pid = dead_pid()
    dead = [tmp_path / f".d.npz.{pid}-0000beef.tmp", tmp_path / f".other.npz.{pid}-0000cafe.tmp",
            tmp_path / f".d.npz.{pid}-12345678.parts"]
    alive = tmp_path / f".d.npz.{os.getpid()}-0000cafe.tmp"
    for path in [*dead, alive]:
        path.write_bytes(b"half")
    write_dataset(generator, tmp_path / "d.npz", count=5, seed=0)
    assert [path for path in dead if path.exists()] == [] and alive.exists()


def test_parquet_holds_the_same_rows_as_the_npz(generator: Generator, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from infogan_sdk.datasets.parquet import to_numpy

    table = pq.read_table(write_dataset(generator, tmp_path / "d.parquet", per_digit=PER_DIGIT, seed=5))
    npz = load(write_dataset(generator, tmp_path / "d.npz", per_digit=PER_DIGIT, seed=5))
    back = to_numpy(table)
    for name in ARRAYS:
        assert back[name].tobytes() == npz[name].tobytes(), name
    assert b"rotation" in table.schema.metadata[b"infogan"]


def test_cli_dataset(model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.npz"
    base = ["--model", str(model_dir), "dataset", "--seed", "7", "-q"]
    assert main([*base, "--per-digit", "3", "--continuous-range", "width=0,0", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = load(out)
    assert len(data["images"]) == 30 and np.all(data["continuous"][:, 1] == 0)
    assert main([*base, "--per-digit", "3", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main([*base, "--count", "600", "--shard", "1/2", "--overwrite", "-o", str(out)]) == 0
    assert load(out)["index"][[0, -1]].tolist() == [BLOCK, 599]  # blocks 1 and 2 of 3
    assert main([*base, "--count", "5", "--continuous-range=-1,1", "--continuous-range", "width=0,1",
                 "-o", str(tmp_path / "x.npz")]) == 1
    assert "not both" in capsys.readouterr().err
    for bad in (["--shard", "2/2"], ["--shard", "a"], ["--continuous-range", "1,2,3"]):
        assert main([*base, "--count", "5", *bad, "-o", str(tmp_path / "y.npz")]) == 2


def test_generate_cycles_digits_to_count_and_separate_refuses_to_overwrite(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    argv = ["--model", str(model_dir), "generate", "--digit", "0,1,2,3,4,5,6,7,8,9", "--count", "20", "--seed", "0",
            "--separate", "-o", str(folder)]
    assert main(argv) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 20 and names[12] == "0012_digit2.png"
    stamp = (folder / names[0]).stat().st_mtime_ns
    assert main(argv) == 1
    assert "20 of the 20 files exist" in capsys.readouterr().err and (folder / names[0]).stat().st_mtime_ns == stamp
    assert main([*argv, "--overwrite"]) == 0


def little_free_disk(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=free))


@pytest.mark.parametrize("name", ["d.npz", "c.npz", "d.parquet", "folder"])
def test_a_data_set_bigger_than_the_free_disk_is_refused_before_any_work(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        name: str) -> None:
    """Issue 37: --per-digit 100000000 (about 1 TB) started writing at 35 MB/s whatever the free disk. Now the need
    is estimated first and the refusal says it and the free space; --ignore-disk-check starts anyway."""
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    little_free_disk(monkeypatch, 100_000)
    base = ["--model", str(model_dir), "dataset", "-q", "-o", str(tmp_path / name),
            *(["--compress"] if name == "c.npz" else [])]
    started = time.monotonic()
    assert main([*base, "--per-digit", "30"]) == 1  # 300 images: more than 100 kB (first: before, it wrote them)
    assert main([*base, "--per-digit", "100000000"]) == 1
    error = capsys.readouterr().err
    assert re.search(rf"{name} needs about [\d.]+ (GB|TB) of disk while it is written \(1,000,000,000 images\), "
                     rf"but {tmp_path} has 100.0 kB free: .*--ignore-disk-check", error), error
    assert time.monotonic() - started < 10 and list(tmp_path.iterdir()) == []
    assert main([*base, "--per-digit", "30", "--ignore-disk-check"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", ["d.npz", "c.npz", "d.parquet", "folder"])
def test_the_estimate_covers_the_peak_disk_of_the_write_closely(generator: Generator, tmp_path: Path,
                                                                name: str) -> None:
    """The need estimated from a block of images (PNG, Parquet and deflate compress) against the disk the write
    takes at its peak (an .npz: its .npy parts, one per array, beside the archive): at least that, at most half
    as much again plus the 1 MB slack."""
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    kind, compress = ("folder" if "." not in name else name.split(".")[1]), name == "c.npz"
    count = 300 if kind == "folder" else 3000  # a folder's files are fsynced one by one: slow
    data = plan(generator, count=count, seed=0)
    estimate = preflight._bytes(generator, data, kind, compress, os.statvfs(tmp_path).f_frsize, sample=True)
    target = write_dataset(generator, tmp_path / name, count=count, seed=0, compress=compress)
    peak = sum(p.stat().st_blocks * 512 for p in [target, *target.rglob("*")])
    if kind == "npz":
        with np.load(target) as archive:
            peak += sum(archive[name].nbytes for name in ARRAYS)
    assert peak < estimate <= 1.5 * peak + preflight.SLACK, (peak, estimate)


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("notes", lambda p: (p.mkdir(), (p / "NOTES.txt").write_text("mine")), "holds 'NOTES.txt', which infogan"),
    ("run", lambda p: (p.mkdir(), (p / "labels.csv").write_text("a,b\n"), (p / "00001.png").write_bytes(b"x")),
     "its labels.csv is missing or has another header"),
    ("data", lambda p: p.write_text("a user's file without a suffix"), "expected a folder of PNG files"),
    ("d.npz", lambda p: p.write_bytes(b"PK not an npz"), "not a readable .npz"),
    ("e.npz", lambda p: np.savez(p, images=np.zeros(3)), "it lacks"),
    ("f.npz", lambda p: p.mkdir(), "expected a .npz file, found a folder"),
    ("d.parquet", lambda p: p.write_bytes(b"PAR1 not parquet"), "not a readable Parquet file"),
])
def test_overwrite_replaces_only_a_data_set_it_wrote(model_dir: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str], name: str,
                                                     make: Callable[[Path], object], reason: str) -> None:
    """Issue 37: `dataset --overwrite` replaced whatever the output path held (a folder of notes, a run, a user's
    file). Now anything but a data set it wrote is refused, even with --overwrite, and left as it was."""
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    target = tmp_path / name
    make(target)
    before = sorted((str(p), p.stat().st_size) for p in tmp_path.rglob("*"))
    assert main(["--model", str(model_dir), "dataset", "-q", "--count", "5", "--overwrite", "-o", str(target)]) == 1
    error = capsys.readouterr().err
    assert "is not a data set written by infogan dataset" in error and reason in error, error
    assert sorted((str(p), p.stat().st_size) for p in tmp_path.rglob("*")) == before


def test_overwrite_replaces_an_older_data_set_folder_and_an_empty_one(generator: Generator, tmp_path: Path) -> None:
    folder = write_dataset(generator, tmp_path / "digits", count=5, seed=0)
    write_dataset(generator, folder, count=7, seed=1, overwrite=True)
    assert len(list(folder.glob("*.png"))) == 7
    (tmp_path / "empty").mkdir()
    write_dataset(generator, tmp_path / "empty", count=3, seed=0, overwrite=True)
    assert len(list((tmp_path / "empty").glob("*.png"))) == 3


@pytest.mark.parametrize(("arguments", "message"), [
    (["--count", str(10**30)], "a data set has at most 1,000,000,000,000 images, got 1,000,000,000,000,000,"),
    (["--per-digit", str(10**11 + 1)], "a data set has at most 1,000,000,000,000 images, got 1,000,000,000,010 "),
    (["--count", "5", "--seed", str(10**30)], "seed must be an integer from 0 to 2**63 - 1"),
    (["--count", "5", "--continuous-range=-1e300,1e300"], "each from -1e+38 to 1e+38, got (-1e+300, 1e+300)")])
def test_counts_and_values_beyond_the_bounds_are_refused_naming_them(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str],
        message: str) -> None:
    """Issue 37: --count 10**30 gave an OverflowError traceback, --seed 10**30 a ValueError after the work, a range
    of +-1e300 a message about NaN."""
    assert main(["--model", str(model_dir), "dataset", "-q", *arguments, "-o", str(tmp_path / "d.npz")]) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
