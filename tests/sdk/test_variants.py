"""variant="auto": the fastest file a folder has for each network, timed once per process, fp16 only on CUDA."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from infogan_sdk import Encoder, Generator
from infogan_sdk.loading import variants
from infogan_sdk.loading.manifest import file_entry, write_manifest
from infogan_sdk.loading.sessions import Session


@pytest.fixture
def with_int8(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny model plus "int8" files (copies of the float32 ones), and a clean choice cache."""
    folder = tmp_path / "tiny-int8"
    shutil.copytree(model_dir, folder)
    data = json.loads((folder / "manifest.json").read_text())
    for role in ("generator", "encoder"):
        shutil.copy(folder / data["files"][role]["path"], folder / f"{role}_int8.onnx")
        data["files"][f"{role}_int8"] = file_entry(folder, f"{role}_int8.onnx")
    write_manifest(folder, data)
    monkeypatch.setattr(variants, "_chosen", {})
    return folder


def timed_as(monkeypatch: pytest.MonkeyPatch, seconds: dict[str, float]) -> list[str]:
    """Make each candidate take `seconds[its file name]`; returns the files timed, in order."""
    timed: list[str] = []

    def fake(session: Session) -> float:
        name = next(name for name in seconds if name in session.name)
        timed.append(name)
        return seconds[name]
    monkeypatch.setattr(variants, "_median_call", fake)
    return timed


def test_auto_picks_the_fastest_file_per_network_and_times_it_once(with_int8: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    timed = timed_as(monkeypatch, {"generator_int8": 2.0, "generator.onnx": 1.0, "encoder_int8": 1.0,
                                   "encoder.onnx": 3.0})
    generator = Generator(with_int8, device="cpu", variant="auto")
    encoder = Encoder(with_int8, device="cpu", variant="auto")
    assert (generator.variant, encoder.variant) == (None, "int8")
    assert Encoder(with_int8, device="cpu", variant="auto").variant == "int8"  # the cached choice
    assert sorted(timed) == ["encoder.onnx", "encoder_int8", "generator.onnx", "generator_int8"]
    # and the models run (the chosen session is the one used)
    drawn = generator.generate(digits=[1, 2], seed=0)
    assert np.array_equal(drawn.images, Generator(with_int8, device="cpu").generate(digits=[1, 2], seed=0).images)
    assert encoder.infer(drawn.images).digits.shape == (2,)


def test_auto_on_a_folder_without_cpu_variants_times_nothing(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(variants, "_chosen", {})
    timed = timed_as(monkeypatch, {})  # any timing would fail: no name matches
    generator = Generator(model_dir, device="cpu", variant="auto")  # the tiny model has fp16 files: CUDA only
    assert generator.variant is None and timed == []
    assert variants.variants_of(generator._manifest, "generator") == ["fp16"]


def test_the_real_timing_runs_every_input_at_the_probe_batch(model_dir: Path) -> None:
    generator = Generator(model_dir, device="cpu")
    seconds = variants._median_call(generator._session)
    assert 0 < seconds < 1
