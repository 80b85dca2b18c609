"""The run's data: real images scaled as the generator draws, and bad data or data that does not fit the model or
the mode refused with one line, before any work and with no checkpoint written."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from imagedata import DataSet, Split
from infogan_sdk.errors import DataSetError
from infogan_sdk.spec import LatentSpec
from tests.imagedata.make import images, write_folder, write_idx
from train.__main__ import main as train_main
from train.checkpoint import load_checkpoint
from train.config import TrainConfig, architecture
from train.data import as_tensors, check_data
from train.networks import build
from train.pixels import to_pixels, to_uint8

TINY = architecture("tiny", LatentSpec())
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _cache_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoded folders go to the test's own cache, never the user's."""
    monkeypatch.setenv("INFOGAN_DATA_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("channels", [1, 3])
def test_real_images_and_generator_output_share_the_pixel_range(channels: int) -> None:
    spec = LatentSpec(image_shape=(channels, 4, 4))
    shape = (2, 4, 4) + ((3,) if channels == 3 else ())
    ends = torch.from_numpy(np.stack([np.zeros(shape[1:], np.uint8), np.full(shape[1:], 255, np.uint8)]))
    pixels = to_pixels(ends, spec)  # (2, C, 4, 4)
    assert pixels.shape == (2, channels, 4, 4)
    low, high = spec.pixel_range
    assert torch.all(pixels[0] == low) and torch.all(pixels[1] == high)
    rgb = torch.from_numpy(images(3, 4, channels))
    np.testing.assert_array_equal(to_uint8(to_pixels(rgb, spec), spec), rgb.numpy())  # and back, exactly
    generator, _ = build(TINY, seed=0)
    latent = TINY.latent
    with torch.no_grad():
        drawn = generator(torch.randn(64, latent.noise_size) * 50, torch.eye(10)[torch.arange(64) % 10],
                          torch.rand(64, latent.n_continuous) * 100)  # saturating inputs push towards the range's ends
    assert low <= float(drawn.min()) and float(drawn.max()) <= high  # tanh: the same range real pixels fill


def _data(labels: bool = True, classes: int = 10, size: int = 28, name: str = "folder") -> DataSet:
    train_labels = np.arange(40) % classes if labels else None
    test_labels = np.arange(10) % classes if labels else None
    return DataSet(name, f"folder:{name}", Split(images(40, size), train_labels), Split(images(10, size), test_labels))


@pytest.mark.parametrize(("data", "config", "message"), [
    (_data(size=8), TrainConfig(batch_size=16), r"images are 1x8x8 .* but the model draws 1x28x28"),
    (_data(labels=False), TrainConfig(mode="semi-supervised", batch_size=16), "semi-supervised training needs labels"),
    (_data(classes=3), TrainConfig(mode="supervised", batch_size=16), "3 classes, but the first categorical"),
    (_data(), TrainConfig(morph_probability=0.5, batch_size=16), "--morph-probability thins and thickens digit"),
    (_data(), TrainConfig(batch_size=64), "40 training images, expected at least one batch"),
])
def test_data_that_does_not_fit_is_refused(data: DataSet, config: TrainConfig, message: str) -> None:
    with pytest.raises(DataSetError, match=message):
        check_data(as_tensors(data), TINY, config)


def test_data_that_fits_passes() -> None:
    check_data(as_tensors(_data()), TINY, TrainConfig(mode="supervised", batch_size=16))
    check_data(as_tensors(_data(labels=False, classes=3)), TINY, TrainConfig(batch_size=16))  # unsupervised


def _npz_without_images(root: Path) -> str:
    np.savez(root / "set.npz", labels=np.arange(3))
    return f"npz:{root / 'set.npz'}"


def _idx_wrong_magic(root: Path) -> str:
    folder = write_idx(root / "idx", {"train": (images(40, 28), None)})
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + gzip.decompress(path.read_bytes())[4:]))
    return f"idx:{folder}"


def _corrupt_image(root: Path) -> str:
    write_folder(root / "pictures", 40, size=28)
    (root / "pictures" / "0007.png").write_bytes(b"not a png")
    return f"folder:{root / 'pictures'}"


def _mixed_sizes(root: Path) -> str:
    write_folder(root / "pictures", 30, size=28)
    write_folder(root / "more", 10, size=20)
    for path in (root / "more").iterdir():
        path.rename(root / "pictures" / f"b{path.name}")
    return f"folder:{root / 'pictures'}"


def _flat_for_supervised(root: Path) -> str:
    write_folder(root / "pictures", 40, size=28)
    return f"folder:{root / 'pictures'}"


def _three_classes(root: Path) -> str:
    write_folder(root / "pictures", {"a": 14, "b": 14, "c": 14}, size=28)
    return f"folder:{root / 'pictures'}"


@pytest.mark.parametrize(("make", "extra", "message"), [
    (_npz_without_images, [], "set.npz: no 'images' array"),
    (_idx_wrong_magic, [], "train-images-idx3-ubyte.gz: expected IDX magic number 2051, got 2049"),
    (_corrupt_image, [], "0007.png: cannot read it as an image"),
    (_mixed_sizes, [], "mixed sizes"),
    (_flat_for_supervised, ["--mode", "supervised"], "supervised training needs labels"),
    (_three_classes, ["--mode", "semi-supervised"], "3 classes, but the first categorical code has 10 values"),
    (_three_classes, ["--morph-probability", "0.2"], "--morph-probability"),
    (_three_classes, ["--image-size", "32"], "image is 28x28, expected 32x32: choose a resize policy"),
])
def test_training_refuses_bad_data_in_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  make, extra: list[str], message: str) -> None:
    source = make(tmp_path)
    out = tmp_path / "run"
    code = train_main(["--data", source, "--dry-run", "--device", "cpu", "--out", str(out), *extra])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(error) == 1 and error[0].startswith("python -m train: "), error
    assert re.search(message, error[0]), error[0]
    assert not out.exists()


@pytest.mark.slow  # trains a few steps
def test_a_refused_overwrite_keeps_the_run_there(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert train_main(["--dry-run", "--device", "cpu", "--out", str(out), "--max-steps", "2"]) == 0
    before = (out / "checkpoint.pt").read_bytes()
    source = _flat_for_supervised(tmp_path)
    assert train_main(["--data", source, "--mode", "supervised", "--dry-run", "--device", "cpu", "--out", str(out),
                       "--overwrite"]) == 1
    assert (out / "checkpoint.pt").read_bytes() == before


@pytest.mark.slow  # trains a few steps
def test_a_class_folder_trains_and_the_checkpoint_describes_it(tmp_path: Path) -> None:
    write_folder(tmp_path / "pictures", {f"c{k}": 5 for k in range(10)}, size=20)
    out = tmp_path / "run"
    assert train_main(["--data", f"folder:{tmp_path / 'pictures'}", "--image-size", "28", "--resize-policy", "resize",
                       "--mode", "semi-supervised", "--dry-run", "--device", "cpu", "--out", str(out),
                       "--batch-size", "16", "--max-steps", "3"]) == 0
    state = load_checkpoint(out)
    described = state["data"]
    assert described["class_names"] == [f"c{k}" for k in range(10)] and described["image_shape"] == [1, 28, 28]
    assert described["counts"] == {"train": 45, "test": 5} and state["data_sha256"] == described["sha256"]
    assert state["train_config"].data == f"folder:{tmp_path / 'pictures'}" and state["step"] == 2  # 45 // 16


@pytest.mark.slow  # two processes under torchrun
def test_torchrun_trains_on_a_folder_decoded_once(tmp_path: Path) -> None:
    write_folder(tmp_path / "pictures", 80, size=28)
    cache, out = tmp_path / "shared-cache", tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "INFOGAN_DATA_CACHE": str(cache)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "train",
               "--dry-run", "--device", "cpu", "--data", f"folder:{tmp_path / 'pictures'}", "--batch-size", "16",
               "--max-steps", "3", "--out", str(out)]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    state = load_checkpoint(out)
    assert state["world_size"] == 2 and state["step"] == 3 and state["data"]["counts"] == {"train": 72, "test": 8}
    assert len([entry for entry in cache.iterdir() if not entry.name.startswith(".")]) == 1  # one entry for both ranks
