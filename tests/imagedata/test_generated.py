"""The generated data sets with known factors: `shapes` (32x32 RGB) and the dSprites-style grid (64x64 binary),
their pixels against their factors, their seeding, the files `python -m imagedata` writes and the adapter's
reading of them (packed bits included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imagedata import Options, open_source
from imagedata import dsprites as dsp
from imagedata import shapes as shp
from imagedata.__main__ import main
from imagedata.write import save_npz
from infogan_sdk.errors import DataSetError


def centroids(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each image's foreground centroid (x, y) in pixels, from a boolean (n, H, W) mask."""
    ys, xs = np.indices(mask.shape[1:]) + 0.5
    area = mask.sum(axis=(1, 2))
    return (mask * xs).sum(axis=(1, 2)) / area, (mask * ys).sum(axis=(1, 2)) / area


def test_shapes_are_seeded_and_a_larger_set_extends_a_smaller_one() -> None:
    small, large = shp.shapes(40, seed=2), shp.shapes(80, seed=2)
    np.testing.assert_array_equal(small.train.images, large.train.images[:40])
    np.testing.assert_array_equal(small.train.factors["x"], large.train.factors["x"][:40])
    assert not np.array_equal(small.train.images, shp.shapes(40, seed=3).train.images)
    train, test = shp.sample(300, 100, seed=0)
    assert len(set(train.tolist()) | set(test.tolist())) == 400  # train and test never share an image
    assert small.image_shape == (3, 32, 32) and small.class_names == shp.CLASS_NAMES
    np.testing.assert_array_equal(small.train.labels, small.train.factors["shape"])


def test_shapes_pixels_follow_their_factors() -> None:
    data = shp.shapes(400, seed=1).train
    images, factors = data.images.astype(np.int64), data.factors
    rows = np.arange(len(images))
    centre_x, centre_y = (np.floor(shp.CENTRES[factors[axis]]).astype(int) for axis in ("x", "y"))
    np.testing.assert_array_equal(images[rows, centre_y, centre_x], shp.COLOURS[factors["colour"]])
    far_x, far_y = np.where(centre_x <= 16, 31, 0), np.where(centre_y <= 16, 31, 0)  # >= 15 px from the centre
    np.testing.assert_array_equal(images[rows, far_y, far_x], shp.BACKGROUNDS[factors["background"]])
    shape = np.abs(images - shp.BACKGROUNDS[factors["background"]][:, None, None, :]).sum(axis=3) > 0  # (n, 32, 32)
    x, y = centroids(shape)
    for name in range(len(shp.CLASS_NAMES)):  # shape by shape (a triangle's centroid is below its centre)
        same = factors["shape"] == name
        assert np.corrcoef(x[same], shp.CENTRES[factors["x"][same]])[0, 1] > 0.98
        assert np.corrcoef(y[same], shp.CENTRES[factors["y"][same]])[0, 1] > 0.98  # with size, for triangles
        areas = [shape[same & (factors["size"] == size)].sum(axis=(1, 2)).mean()
                 for size in range(len(shp.HALF_EXTENTS))]
        assert np.all(np.diff(areas) > 10), (shp.CLASS_NAMES[name], areas)


def test_shapes_folder_npz_and_named_source_give_the_same_images(tmp_path: Path) -> None:
    assert main(["shapes", "--out", str(tmp_path / "folder"), "--count", "60", "--test-count", "20"]) == 0
    assert main(["shapes", "--out", str(tmp_path / "s.npz"), "--format", "npz", "--count", "60",
                 "--test-count", "20"]) == 0
    named = open_source("shapes", Options(fake_size=60))  # its test split: a quarter, at least 10
    folder, npz = open_source(str(tmp_path / "folder")), open_source(str(tmp_path / "s.npz"))
    assert folder.class_names == npz.class_names == named.class_names and len(folder.test) == 20
    np.testing.assert_array_equal(npz.train.images, named.train.images)
    assert sorted(npz.train.factors) == sorted(shp.FACTORS) and folder.train.factors == {}
    by_row = np.argsort(np.asarray(sorted(range(60), key=lambda row: (npz.train.labels[row], row))))
    np.testing.assert_array_equal(folder.train.images[by_row], npz.train.images)  # class folders, files by row
    np.testing.assert_array_equal(folder.train.labels[by_row], npz.train.labels)


def test_the_command_refuses_what_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "folder"
    out.mkdir()
    assert main(["shapes", "--out", str(out), "--count", "10"]) == 1
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["shapes", "--out", str(tmp_path / "x"), "--count", str(shp.TOTAL)])
    assert "add up to at most 24,576" in capsys.readouterr().err


def test_dsprites_grid_is_the_originals() -> None:
    assert dsp.TOTAL == 737_280 and dsp.SIZES == (3, 6, 40, 32, 32)
    np.testing.assert_allclose(dsp.values("scale"), [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert dsp.values("orientation")[[0, -1]].tolist() == [0.0, 2 * np.pi] and len(dsp.values("x")) == 32
    classes = dsp.factor_classes(np.asarray([0, 1, 32, 737_279]))
    assert classes.tolist() == [[0, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [2, 5, 39, 31, 31]]
    train, test = dsp.sample(None, 5, seed=0)
    assert len(train) == dsp.TOTAL and np.all(np.isin(test, train))
    train, test = dsp.sample(100, 50, seed=0)
    assert len(np.intersect1d(train, test)) == 0 and len(train) == 100


def test_dsprites_pixels_follow_their_factors() -> None:
    rng = np.random.default_rng(0)
    classes = dsp.factor_classes(rng.integers(dsp.TOTAL, size=400))
    images = dsp.render(classes)
    assert images.shape == (400, 64, 64) and set(np.unique(images).tolist()) == {0, 255}
    x, y = centroids(images > 0)
    centres = dsp.CENTRE_LOW + dsp.values("x")[classes[:, 3:5]] * (dsp.CENTRE_HIGH - dsp.CENTRE_LOW)
    assert np.corrcoef(x, centres[:, 0])[0, 1] > 0.99 and np.corrcoef(y, centres[:, 1])[0, 1] > 0.99
    squares = dsp.factor_classes(np.asarray([0, 5 * 40 * 32 * 32]))  # scale 0.5 and 1, turned 0, at (0, 0)
    areas = (dsp.render(squares) > 0).sum(axis=(1, 2))
    assert areas.tolist() == [100, 400]  # sides 10 and 20 pixels
    ellipses = dsp.render(np.asarray([[1, 5, 0, 16, 16], [1, 5, 10, 16, 16], [1, 5, 39, 16, 16]]))
    ys, xs = np.nonzero(ellipses[0])
    assert xs.std() > 1.8 * ys.std()  # orientation 0: long axis horizontal
    ys, xs = np.nonzero(ellipses[1])
    assert ys.std() > 1.8 * xs.std()  # orientation 10 of 40 (92 degrees): vertical
    np.testing.assert_array_equal(ellipses[0], ellipses[2])  # 0 and 2 pi: the original's grid repeats its ends


def test_dsprites_npz_is_packed_bits_and_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "dsprites.npz"
    assert main(["dsprites", "--out", str(out), "--count", "300", "--test-count", "40", "--seed", "5"]) == 0
    with np.load(out) as stored:
        assert stored["packed_images"].shape == (300, 64, 8) and "images" not in stored
    train, test = dsp.sample(300, 40, seed=5)
    for cache in (None, tmp_path / "cache"):
        data = open_source(str(out), Options(cache_dir=cache))
        assert isinstance(data.train.images, np.memmap) == (cache is not None)
        np.testing.assert_array_equal(data.train.images, dsp.render(dsp.factor_classes(train)))
        np.testing.assert_array_equal(data.test.images, dsp.render(dsp.factor_classes(test)))
        assert data.class_names == dsp.CLASS_NAMES and data.image_shape == (1, 64, 64)
        np.testing.assert_array_equal(data.train.factors["orientation"], dsp.factor_classes(train)[:, 2])
        np.testing.assert_array_equal(data.test.labels, dsp.factor_classes(test)[:, 0])
    assert len(list((tmp_path / "cache").iterdir())) == 2  # the entry and its lock: unpacked once


def test_dsprites_folder_on_request(tmp_path: Path) -> None:
    out = tmp_path / "dsprites"
    assert main(["dsprites", "--out", str(out), "--format", "folder", "--count", "30", "--test-count", "6"]) == 0
    data = open_source(f"folder:{out}")
    assert data.class_names == ("ellipse", "heart", "square") and (len(data.train), len(data.test)) == (30, 6)
    assert set(np.unique(data.train.images).tolist()) == {0, 255}


def test_packed_images_are_refused_when_malformed(tmp_path: Path) -> None:
    images = np.zeros((4, 8, 8), np.uint8)
    save_npz(tmp_path / "both.npz", {"images": images, "packed_images": np.packbits(images, axis=2)})
    with pytest.raises(DataSetError, match="both images and packed_images"):
        open_source(str(tmp_path / "both.npz"))
    save_npz(tmp_path / "flat.npz", {"packed_images": np.zeros((4, 8), np.uint8)})
    with pytest.raises(DataSetError, match=r"packed_images must be uint8 \(N, H, W / 8\)"):
        open_source(str(tmp_path / "flat.npz"))
