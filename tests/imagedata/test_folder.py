"""Image folders: class folders, flat folders and train/test layouts; sizes, channels and the decode cache; and a
one-line error naming the file for each kind of bad folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import imagedata.folder
from imagedata import Options, open_source
from imagedata.convert import to_channels
from imagedata.folder import read_folder
from infogan_sdk.errors import DataSetError
from tests.imagedata.make import images, write_folder


def test_class_folders_give_sorted_class_names_and_labels(tmp_path: Path) -> None:
    write_folder(tmp_path, {"zebra": 6, "ant": 4, "cat": 10})
    data = read_folder(tmp_path, "folder:x")
    assert data.class_names == ("ant", "cat", "zebra") and data.image_shape == (1, 8, 8)
    assert (len(data.train), len(data.test)) == (18, 2) and "held out 2 of 20" in data.test_split
    labels = np.concatenate([data.train.labels, data.test.labels])
    assert np.bincount(labels).tolist() == [4, 10, 6]
    first = np.asarray(Image.open(tmp_path / "ant" / "0000.png"))
    assert any(np.array_equal(image, first) for image in data.train.images[:4]) or np.array_equal(
        data.test.images[0], first)


def test_train_and_test_folders_and_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data"
    write_folder(root / "train", {"a": 3, "b": 3}, channels=3)
    write_folder(root / "test", {"b": 2}, channels=3, seed=5)
    cache = tmp_path / "cache"
    first = read_folder(root, "folder:data", cache_dir=cache)
    assert first.image_shape == (3, 8, 8) and first.test.labels.tolist() == [1, 1]
    assert isinstance(first.train.images, np.memmap) and first.test_split == "its test/ folder"
    written = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.suffix != ".png")
    assert written == ["test", "test/b", "train", "train/a", "train/b"]  # nothing written in the data folder
    monkeypatch.setattr(imagedata.folder.decoding, "decode_many", None)  # a cache hit decodes nothing
    again = read_folder(root, "folder:data", cache_dir=cache)
    np.testing.assert_array_equal(again.train.images, first.train.images)
    assert again.describe() == first.describe()
    monkeypatch.undo()
    Image.fromarray(images(1, channels=3, seed=9)[0]).save(root / "train" / "a" / "0000.png")
    os.utime(root / "train" / "a" / "0000.png", ns=(1, 1))  # a changed file is a new entry, whatever its mtime
    changed = read_folder(root, "folder:data", cache_dir=cache)
    assert changed.sha256 != first.sha256 and not np.array_equal(changed.train.images, first.train.images)


def test_channels_default_to_colour_and_convert_both_ways(tmp_path: Path) -> None:
    write_folder(tmp_path, 4, channels=3)
    Image.fromarray(images(1)[0]).save(tmp_path / "grey.png")
    colour = read_folder(tmp_path, "x")
    assert colour.image_shape == (3, 8, 8)
    grey = read_folder(tmp_path, "x", channels=1)
    assert grey.image_shape == (1, 8, 8)
    np.testing.assert_array_equal(grey.train.images, to_channels(colour.train.images, 1))


def test_transparency_is_composited_on_black(tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3], rgba[:4, :, 3] = 200, 255  # top half opaque grey 200, bottom half transparent
    for name in ("a", "b"):
        Image.fromarray(rgba, "RGBA").save(tmp_path / f"{name}.png")
    data = read_folder(tmp_path, "x")
    assert data.image_shape == (3, 8, 8)
    assert (data.train.images[0, :4] == 200).all() and (data.train.images[0, 4:] == 0).all()


def test_sizes_need_a_policy(tmp_path: Path) -> None:
    write_folder(tmp_path / "a", 3, size=8)
    write_folder(tmp_path / "b", 2, size=12)
    with pytest.raises(DataSetError, match=r"b/0000.png: image is 12x12, but .*a/0000.png is 8x8: mixed sizes"):
        read_folder(tmp_path, "x")
    with pytest.raises(DataSetError, match=r"b/0000.png: image is 12x12, expected 8x8: choose a resize policy"):
        read_folder(tmp_path, "x", size=8)
    for policy in ("resize", "crop"):
        data = read_folder(tmp_path, "x", size=6, policy=policy)
        assert data.image_shape == (1, 6, 6)


def test_crop_takes_the_centred_square(tmp_path: Path) -> None:
    wide = np.zeros((4, 8), np.uint8)
    wide[:, 2:6] = 255  # a white centred square on a black wide image
    for name in ("a", "b"):
        Image.fromarray(wide).save(tmp_path / f"{name}.png")
    cropped = read_folder(tmp_path, "x", size=4, policy="crop").train.images[0]
    resized = read_folder(tmp_path, "x", size=4, policy="resize").train.images[0]
    assert cropped.min() == 255 and resized[:, 0].max() < 100  # squeezed: black enters at both sides


def _corrupt(root: Path) -> str:
    write_folder(root, 3)
    (root / "0001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    return "0001.png: cannot read it as an image"


def _truncated(root: Path) -> str:
    write_folder(root, 3, size=64)
    data = (root / "0002.png").read_bytes()
    (root / "0002.png").write_bytes(data[: len(data) // 2])
    return "0002.png: cannot (read|decode) it as an image"


def _empty(root: Path) -> str:
    (root / "notes.txt").write_text("no images here")
    return r"no image files; expected .png/.jpg"


def _empty_class(root: Path) -> str:
    write_folder(root, {"cat": 3})
    (root / "dog").mkdir()
    return "dog: a class folder with no images"


def _loose(root: Path) -> str:
    write_folder(root, {"cat": 3})
    Image.fromarray(images(1)[0]).save(root / "stray.png")
    return "stray.png: an image beside the class folders"


def _unknown_test_class(root: Path) -> str:
    write_folder(root / "train", {"cat": 3})
    write_folder(root / "test", {"dog": 1})
    return r"test: class folders \['dog'\] that train/ does not have"


def _fifo(root: Path) -> str:
    write_folder(root, 3)
    os.mkfifo(root / "pipe.png")
    return "pipe.png: not a regular file"


@pytest.mark.parametrize("make", [_corrupt, _truncated, _empty, _empty_class, _loose, _unknown_test_class, _fifo])
def test_bad_folders_get_one_line_naming_the_file(tmp_path: Path, make) -> None:
    root = tmp_path / "data"
    root.mkdir()
    message = make(root)
    for cache in (None, tmp_path / "cache"):
        with pytest.raises(DataSetError, match=message) as info:
            read_folder(root, "folder:data", cache_dir=cache)
        assert "\n" not in str(info.value) and str(root) in str(info.value)
    assert not any((tmp_path / "cache").glob("[!.]*")), "nothing half-written in the cache"


def test_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataSetError, match="nowhere: no such folder"):
        open_source(f"folder:{tmp_path / 'nowhere'}")


@pytest.mark.slow  # worker processes start in about a second
def test_worker_processes_decode_as_this_one(tmp_path: Path) -> None:
    write_folder(tmp_path / "data", {"a": 150, "b": 150}, size=12, channels=3)
    alone = read_folder(tmp_path / "data", "x", size=8, policy="resize")
    workers = open_source(f"folder:{tmp_path / 'data'}", Options(size=8, policy="resize", workers=2,
                                                                   cache_dir=tmp_path / "cache"))
    np.testing.assert_array_equal(workers.train.images, alone.train.images)
    np.testing.assert_array_equal(workers.test.labels, alone.test.labels)
    assert workers.sha256 == alone.sha256


def test_palette_images_are_colour_only_when_their_palette_is(tmp_path: Path) -> None:
    for name, picture in (("grey", Image.fromarray(images(1)[0]).convert("P")),
                          ("colour", Image.fromarray(images(1, channels=3)[0]).convert("P"))):
        (tmp_path / name).mkdir()
        for index in range(2):
            picture.save(tmp_path / name / f"{index}.png")
    assert read_folder(tmp_path / "grey", "x").image_shape == (1, 8, 8)
    assert read_folder(tmp_path / "colour", "x").image_shape == (3, 8, 8)
