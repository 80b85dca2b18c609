"""Model folder integrity: damaged, swapped, missing, newer or escaping files are refused at load with the right class.

The manifest is the trust root: it pins every file's size and sha256, so any change to an ONNX file is caught,
but a folder whose manifest was rewritten to match (same format, new hashes) loads by design; see docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from infogan_sdk import CorruptModelError, Encoder, Generator, IncompatibleModelError, ModelNotFoundError
from infogan_sdk.loading import folders as loading
from infogan_sdk.loading.manifest import FORMAT_VERSION, file_entry, write_manifest

from .outcomes import attempt
from .report import Tally

BUNDLED = loading.BUNDLED_DIR
ROLES = ["generator", "encoder"]


@pytest.fixture
def mnist(tmp_path: Path) -> Path:
    return Path(shutil.copytree(BUNDLED / "mnist", tmp_path / "mnist"))


def refused(tally: Tally, case: str, folder: Path, error: type[Exception], match: str, **options: object) -> None:
    """Both Generator and Encoder refuse `folder` with `error`, the message matching `match`."""
    for cls in (Generator, Encoder):
        with pytest.raises(error, match=match) as caught:
            cls(folder, device="cpu", **options)  # type: ignore[arg-type]
        tally.count(f"integrity/{case}", type(caught.value).__name__)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("keep", [0, 1, 1000, 0.5, -1])
def test_truncated_files(mnist: Path, tally: Tally, role: str, keep: float) -> None:
    path = mnist / f"{role}.onnx"
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep) if isinstance(keep, float) else keep])  # -1: all but the last
    refused(tally, "truncated", mnist, CorruptModelError, r"expected \d+ bytes, found \d+ \(truncated or replaced\)")
    # verify=False skips the check, but onnxruntime cannot parse a cut protobuf either: still an SDK error
    outcome = attempt(tally, "integrity/truncated_verify_off", lambda: Generator(mnist, device="cpu", verify=False))
    assert outcome is None or role == "encoder"  # the generator loads only when the encoder was cut


@pytest.mark.parametrize("seed", range(6))
def test_flipped_bytes(mnist: Path, tally: Tally, seed: int) -> None:
    rng = np.random.default_rng(seed)
    role = ROLES[seed % 2]
    data = bytearray((mnist / f"{role}.onnx").read_bytes())
    for position in rng.integers(0, len(data), 1 + seed):
        data[position] ^= 1 << int(rng.integers(0, 8))
    (mnist / f"{role}.onnx").write_bytes(bytes(data))
    refused(tally, "flipped_bytes", mnist, CorruptModelError, r"sha256 [0-9a-f]{64} does not match the manifest's")
    # With verify=False a flip inside the weights is not noticed: record how often the model still loads.
    cls = Generator if role == "generator" else Encoder
    attempt(tally, "integrity/flipped_bytes_verify_off", lambda: cls(mnist, device="cpu", verify=False))


@pytest.mark.parametrize("name", ["generator.onnx", "encoder.onnx", "manifest.json"])
def test_missing_file(mnist: Path, tally: Tally, name: str) -> None:
    (mnist / name).unlink()
    refused(tally, "missing_file", mnist, ModelNotFoundError, "no manifest.json" if name == "manifest.json" else
            rf"names {name} \(.*\) but the file is missing")


def test_file_replaced_by_a_folder_a_fifo_or_a_loop(mnist: Path, tally: Tally) -> None:
    """Not regular files: refused as missing, without reading (a FIFO would block a reader forever)."""
    for make in (os.mkdir, os.mkfifo, lambda path: os.symlink(path.name, path)):
        (mnist / "generator.onnx").unlink()
        make(mnist / "generator.onnx")
        refused(tally, "not_a_regular_file", mnist, ModelNotFoundError, "but the file is missing")
        shutil.rmtree(mnist / "generator.onnx") if (mnist / "generator.onnx").is_dir() else \
            (mnist / "generator.onnx").unlink()
        shutil.copy(BUNDLED / "mnist" / "generator.onnx", mnist / "generator.onnx")


@pytest.fixture
def three_codes(tmp_path: Path) -> Path:
    """A copy of mnist: its generator has mnist-unsupervised's inputs (three continuous codes)."""
    return Path(shutil.copytree(BUNDLED / "mnist", tmp_path / "mnist"))


def test_graph_swapped_for_another_model_with_the_same_names_and_size(three_codes: Path, tally: Tally) -> None:
    """mnist-unsupervised's generator has the same inputs, outputs and byte count: only the sha256 tells."""
    mnist = three_codes
    other = BUNDLED / "mnist-unsupervised" / "generator.onnx"
    assert other.stat().st_size == (mnist / "generator.onnx").stat().st_size
    shutil.copy(other, mnist / "generator.onnx")
    refused(tally, "swapped_graph", mnist, CorruptModelError, "sha256 .* does not match")


def test_swap_with_a_rewritten_manifest_is_accepted_by_design(three_codes: Path, tally: Tally) -> None:
    """Whoever can rewrite manifest.json can swap the model: the manifest is the trust root (docs/RELIABILITY.md)."""
    mnist = three_codes
    shutil.copy(BUNDLED / "mnist-unsupervised" / "generator.onnx", mnist / "generator.onnx")
    data = json.loads((mnist / "manifest.json").read_text())
    data["files"]["generator"] = file_entry(mnist, "generator.onnx")
    write_manifest(mnist, data)
    swapped = attempt(tally, "integrity/swapped_graph_and_manifest", lambda: Generator(mnist, device="cpu"))
    assert swapped is not None
    original = Generator("mnist-unsupervised", device="cpu")
    unsupervised = original.generate(digits=3, seed=0)
    # the same network inputs: each manifest's basis turns users' values into the network's (both models' codes
    # are turned, so the round trip through the bases is exact only to float rounding: one grey level at most)
    network = unsupervised.continuous @ original.basis
    again = swapped.generate(categorical=unsupervised.codes, continuous=network @ swapped.basis.T,
                             noise=unsupervised.noise, beyond_range=True)  # another basis: may leave [-1, 1]
    assert np.abs(again.images.astype(int) - unsupervised.images).max() <= 1


def test_newer_format_version(mnist: Path, tally: Tally) -> None:
    data = json.loads((mnist / "manifest.json").read_text())
    data["format_version"] = FORMAT_VERSION + 1
    write_manifest(mnist, data)
    refused(tally, "newer_format", mnist, IncompatibleModelError,
            f"format version {FORMAT_VERSION + 1} is newer .* upgrade infogan-sdk")


def test_symlink_outside_the_folder(mnist: Path, tmp_path: Path, tally: Tally) -> None:
    """Even an identical file is refused when it lives outside the folder (the folder must be self-contained)."""
    outside = tmp_path / "elsewhere.onnx"
    shutil.move(mnist / "encoder.onnx", outside)
    (mnist / "encoder.onnx").symlink_to(outside)
    refused(tally, "symlink_outside", mnist, CorruptModelError, "encoder.onnx points outside the model folder")
    (mnist / "encoder.onnx").unlink()
    (mnist / "encoder.onnx").symlink_to(Path("..") / outside.name)  # relative, escaping with ..
    refused(tally, "symlink_outside", mnist, CorruptModelError, "points outside the model folder")


def test_manifest_path_escapes_are_refused(mnist: Path, tally: Tally) -> None:
    for name in ["../mnist/generator.onnx", "/etc/passwd", "..", "sub/generator.onnx"]:
        data = json.loads((BUNDLED / "mnist" / "manifest.json").read_text())
        data["files"]["generator"]["path"] = name
        write_manifest(mnist, data)
        refused(tally, "path_escape", mnist, CorruptModelError, "must be a plain file name inside the folder")


def median_load_seconds(cls: type[Generator] | type[Encoder], verify: bool, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        cls("mnist", device="cpu", threads=1, verify=verify)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_cost_of_sha256_verification(tally: Tally) -> None:
    """Load time of the bundled model with and without verification (median of 7, after one warm-up load)."""
    Generator("mnist", device="cpu")
    sizes = {role: (BUNDLED / "mnist" / f"{role}.onnx").stat().st_size for role in ROLES}
    costs = {}
    for cls in (Generator, Encoder):
        on, off = median_load_seconds(cls, True, 7), median_load_seconds(cls, False, 7)
        costs[cls.__name__] = {"verify_true_ms": round(on * 1e3, 1), "verify_false_ms": round(off * 1e3, 1),
                               "overhead_ms": round((on - off) * 1e3, 1)}
        assert on < 5.0, f"{cls.__name__} took {on:.1f} s to load with verification"
    tally.measure("sha256_verification", {"model": "mnist (bundled)", "file_bytes": sizes, **costs})
