"""Named sources, source strings and the arrays sources give: MNIST exactly as mnist_data reads it, Fashion-MNIST
with its class names, fake digits, IDX folders and .npz archives, and what each refuses."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from imagedata import DataSet, Options, Split, open_source, parse_source
from imagedata.dataset import HOLDOUT_FRACTION, holdout_rows
from imagedata.sources import FASHION_CLASSES, FASHION_DIR, infer_kind
from infogan_sdk.errors import DataSetError
from mnist_data.files import load_mnist
from tests.imagedata.make import images, write_folder, write_idx


@pytest.mark.slow  # reads all of MNIST twice
def test_mnist_is_exactly_what_mnist_data_reads() -> None:
    data = open_source("mnist")
    for split, part in (("train", data.train), ("test", data.test)):
        pictures, labels = load_mnist(split, download=False)
        np.testing.assert_array_equal(part.images, pictures)
        np.testing.assert_array_equal(part.labels, labels)
    described = data.describe()
    assert described["image_shape"] == [1, 28, 28] and described["counts"] == {"train": 60000, "test": 10000}
    assert described["sha256"]["train-images-idx3-ubyte.gz"].startswith("440fcabf73cc")


@pytest.mark.slow
@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_fashion_has_its_class_names_and_labels() -> None:
    described = open_source("fashion").describe()
    assert described["class_names"] == list(FASHION_CLASSES) and described["class_names"][9] == "ankle boot"
    assert described["counts"] == {"train": 60000, "test": 10000} and described["classes"] == 10
    assert len(described["sha256"]) == 4


def test_fake_matches_its_recipe_and_colours_and_resizes() -> None:
    grey = open_source("fake", Options(fake_size=40, seed=3))
    assert grey.image_shape == (1, 28, 28) and len(grey.train) == 40 and len(grey.test) == 10
    colour = open_source("fake", Options(fake_size=40, seed=3, size=32, channels=3))
    assert colour.image_shape == (3, 32, 32)
    np.testing.assert_array_equal(colour.train.labels, grey.train.labels)
    assert colour.train.images.reshape(40, -1, 3).std(axis=1).mean() > 5  # strokes in colour


@pytest.mark.parametrize(("source", "expected"), [
    ("mnist", ("mnist", "")), ("npz:a/b.npz", ("npz", "a/b.npz")), ("folder:C:/x", ("folder", "C:/x")),
    ("idx:d", ("idx", "d")), ("photos", ("", "photos")), ("other:thing", ("", "other:thing"))])
def test_parse_source(source: str, expected: tuple[str, str]) -> None:
    assert parse_source(source) == expected


@pytest.mark.parametrize("source", ["", "npz:", "folder:"])
def test_parse_source_refuses_what_names_no_source(source: str) -> None:
    with pytest.raises(DataSetError, match="expected"):
        parse_source(source)


def test_a_path_is_told_apart_by_what_is_there(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", images=images(4))
    write_idx(tmp_path / "idx", {"train": (images(4), None)})
    write_folder(tmp_path / "pictures", 3)
    assert [infer_kind(tmp_path / name) for name in ("a.npz", "idx", "pictures")] == ["npz", "idx", "folder"]
    (tmp_path / "notes.txt").write_text("x")
    for name, message in (("missing", "no such file or folder"), ("notes.txt", "is not an .npz file")):
        with pytest.raises(DataSetError, match=message):
            open_source(str(tmp_path / name))


def test_idx_folder_gzipped_or_not(tmp_path: Path) -> None:
    train, test = images(12), images(5, seed=1)
    labels, test_labels = np.arange(12) % 3, np.arange(5) % 3
    for gz in (True, False):
        folder = write_idx(tmp_path / str(gz), {"train": (train, labels), "test": (test, test_labels)}, gz=gz)
        data = open_source(f"idx:{folder}")
        np.testing.assert_array_equal(data.train.images, train)
        np.testing.assert_array_equal(data.test.labels, test_labels)
        assert data.classes == 3 and len(data.sha256) == 4 and data.test_split == "its own files"


def test_idx_without_test_files_holds_out_a_seeded_part(tmp_path: Path) -> None:
    pictures = images(20)
    data = open_source(f"idx:{write_idx(tmp_path, {'train': (pictures, np.arange(20) % 2)})}")
    test_rows, train_rows = holdout_rows(20)
    assert len(data.test) == round(HOLDOUT_FRACTION * 20) == len(test_rows)
    np.testing.assert_array_equal(data.test.images, pictures[test_rows])
    np.testing.assert_array_equal(data.train.images, pictures[train_rows])
    assert "held out 2 of 20" in data.describe()["test_split"]


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda raw: bytes([0, 0, 8, 9]) + raw[4:], "expected IDX magic number 2051, got 2057"),
    (lambda raw: raw[:-5], "truncated or corrupt"),
    (lambda raw: raw[:6], "expected an IDX header of 16 bytes"),
])
def test_idx_wrong_magic_or_size(tmp_path: Path, mangle, message: str) -> None:
    folder = write_idx(tmp_path, {"train": (images(6), None)}, gz=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(DataSetError, match=message) as info:
        open_source(f"idx:{folder}")
    assert str(path) in str(info.value)


def test_idx_labels_that_do_not_match(tmp_path: Path) -> None:
    folder = write_idx(tmp_path, {"train": (images(6), np.arange(5))})
    with pytest.raises(DataSetError, match=r"train-labels-idx1-ubyte.gz: 5 labels, expected one per image .*\(6\)"):
        open_source(f"idx:{folder}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataSetError, match="empty: no IDX train images found"):
        open_source(f"idx:{tmp_path / 'empty'}")


def test_npz_keys_and_memory_map(tmp_path: Path) -> None:
    train, test = images(10, channels=3), images(4, channels=3, seed=1)
    np.savez(tmp_path / "set.npz", images=train, labels=np.arange(10) % 2, class_names=np.asarray(["a", "b"]),
             test_images=test, test_labels=np.asarray([0, 1, 1, 0]), factor_size=np.arange(10.0),
             test_factor_size=np.arange(4.0))
    data = open_source(str(tmp_path / "set.npz"))
    assert isinstance(data.train.images, np.memmap) and data.image_shape == (3, 8, 8)
    np.testing.assert_array_equal(data.train.images, train)
    np.testing.assert_array_equal(data.test.factors["size"], np.arange(4.0))
    described = data.describe()
    assert described["class_names"] == ["a", "b"] and described["factors"] == ["size"]
    np.savez_compressed(tmp_path / "small.npz", images=train)  # compressed: read into memory, test held out
    small = open_source(f"npz:{tmp_path / 'small.npz'}")
    assert not isinstance(small.train.images, np.memmap) and (len(small.train), len(small.test)) == (9, 1)
    assert small.train.labels is None and "held out 1 of 10" in small.test_split


@pytest.mark.parametrize(("arrays", "message"), [
    ({"labels": np.arange(3)}, "no 'images' array"),
    ({"images": images(3), "label": np.arange(3)}, r"unknown keys \['label'\]"),
    ({"images": images(3), "labels": np.arange(2)}, "2 labels, expected one per image"),
    ({"images": images(3), "labels": np.arange(3), "class_names": np.asarray(["a", "b"])}, r"labels must be in 0\.\.1"),
    ({"images": images(3), "labels": -np.arange(3)}, r"labels must be >= 0, got -2\.\.0"),
    ({"images": images(3), "class_names": np.asarray(["a"])}, "class_names without labels"),
    ({"images": images(3).astype(np.float32)}, "expected uint8 images"),
    ({"images": images(3), "labels": np.arange(3), "test_images": images(2)}, "no test_labels"),
    ({"images": images(3), "test_images": images(2, size=6)}, "test images are 6x6, expected the train images' 8x8"),
])
def test_npz_refusals_name_the_file(tmp_path: Path, arrays: dict, message: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataSetError, match=message) as info:
        open_source(f"npz:{tmp_path / 'bad.npz'}")
    assert "bad.npz" in str(info.value)


def test_npz_that_is_no_archive(tmp_path: Path) -> None:
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataSetError, match=r"broken.npz: cannot read it as an .npz archive"):
        open_source(str(tmp_path / "broken.npz"))
    assert zipfile.is_zipfile(tmp_path / "broken.npz") is False


def test_arrays_are_resized_or_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "set.npz", images=images(10))
    with pytest.raises(DataSetError, match=r"image is 8x8, expected 16x16: choose a resize policy"):
        open_source(str(tmp_path / "set.npz"), Options(size=16))
    data = open_source(str(tmp_path / "set.npz"), Options(size=16, channels=3, policy="resize"))
    assert data.image_shape == (3, 16, 16)


def test_dataset_checks_itself() -> None:
    good = Split(images(3), np.arange(3))
    with pytest.raises(DataSetError, match="labels for one split only"):
        DataSet("x", "x", good, Split(images(2)))
    with pytest.raises(DataSetError, match="expected at least one test image"):
        DataSet("x", "x", good, Split(images(0), np.arange(0)))
    with pytest.raises(DataSetError, match=r"factor 'f' has 2 values, expected one per image \(3\)"):
        DataSet("x", "x", Split(images(3), factors={"f": np.arange(2)}), Split(images(1), factors={"f": np.arange(1)}))
