"""Loading model folders: bundled names, paths, variants, properties, and every refusal."""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infogan_sdk import (
    CorruptModelError,
    Encoder,
    Generator,
    IncompatibleModelError,
    InvalidInputError,
    ModelNotFoundError,
    available_models,
)
from infogan_sdk.loading import folders as loading
from infogan_sdk.loading import manifest as manifest_module
from infogan_sdk.loading.manifest import file_entry, write_manifest

from .tiny_models import MAIN_SPEC, REVERSED


def edit_manifest(folder: Path, **changes: object) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    data.update(changes)
    write_manifest(folder, data)


@pytest.fixture
def bundled(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake package models/ folder holding the tiny model as "mnist", plus a folder that is not a model."""
    root = tmp_path / "bundled"
    shutil.copytree(model_dir, root / "mnist")
    (root / "notes").mkdir()
    monkeypatch.setattr(loading, "BUNDLED_DIR", root)
    return root


def test_bundled_names_resolve_and_default_to_mnist(bundled: Path) -> None:
    assert available_models() == ["mnist"]
    assert Generator(device="cpu").path == bundled / "mnist"
    assert Encoder("mnist", device="cpu").path == bundled / "mnist"


def test_unknown_name_lists_the_bundled_models(bundled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelNotFoundError, match="'mnist-large' is neither a bundled model nor an existing path; "
                                                 "bundled models: mnist"):
        Generator("mnist-large")
    monkeypatch.setattr(loading, "BUNDLED_DIR", tmp_path / "absent")
    assert available_models() == []
    with pytest.raises(ModelNotFoundError, match="bundled models: none installed"):
        Generator()


def test_a_retired_name_says_what_replaced_it_and_where_its_files_are(bundled: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    retired = r"'mnist-unsupervised-v1' is no longer bundled: retired on .*: mnist-unsupervised .*git archive \w{7}"
    with pytest.raises(ModelNotFoundError, match=retired + r" .*; bundled models: mnist"):
        Encoder("mnist-unsupervised-v1")
    monkeypatch.chdir(tmp_path)  # its files, taken from the history into the working directory, load by that name
    shutil.copytree(bundled / "mnist", tmp_path / "mnist-unsupervised-v1")
    assert Encoder("mnist-unsupervised-v1", device="cpu").path == Path("mnist-unsupervised-v1")


def test_properties(generator: Generator, model_dir: Path) -> None:
    assert generator.path == model_dir and generator.spec == MAIN_SPEC
    assert generator.code_to_digit == tuple(REVERSED)
    assert generator.providers == ["CPUExecutionProvider"] and generator.device == "cpu"
    assert generator.variant is None and generator.continuous_names == ("rotation", "width")
    info = generator.info
    assert info["evaluation"] == {"accuracy": 0.5} and info["spec"] == MAIN_SPEC.to_dict()
    info["evaluation"]["accuracy"] = 1.0  # a copy: the model's manifest is unchanged
    assert generator.info["evaluation"] == {"accuracy": 0.5}
    assert repr(generator) == f"Generator({str(model_dir)!r}, device='cpu', variant=None)"


def test_missing_folder_and_files(tmp_path: Path, model_copy: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="neither a bundled model nor an existing path"):
        Generator(tmp_path / "nowhere")
    with pytest.raises(ModelNotFoundError, match=r"has no manifest\.json"):
        Generator(tmp_path)
    (model_copy / "encoder.onnx").unlink()
    with pytest.raises(ModelNotFoundError, match=r"names encoder.onnx \(encoder\) but the file is missing"):
        Generator(model_copy)


def test_truncated_file_is_refused(model_copy: Path) -> None:
    path = model_copy / "generator.onnx"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CorruptModelError, match=r"generator.onnx: expected \d+ bytes, found \d+ \(truncated"):
        Generator(model_copy)


def test_tampered_byte_is_refused_unless_verify_is_off(model_copy: Path, generator: Generator) -> None:
    path = model_copy / "generator.onnx"
    data = path.read_bytes()
    eight = np.float32(8.0).tobytes()  # the planted weights that light a row: zero them, same size
    assert data.count(eight) >= 10
    path.write_bytes(data.replace(eight, np.float32(0.0).tobytes()))
    with pytest.raises(CorruptModelError, match=r"sha256 [0-9a-f]{64} does not match the manifest's"):
        Generator(model_copy)
    unverified = Generator(model_copy, verify=False, device="cpu")
    assert not np.array_equal(unverified.generate(count=10, seed=0).images, generator.generate(count=10, seed=0).images)


def test_newer_format_version_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, format_version=99)
    with pytest.raises(IncompatibleModelError, match="format version 99 is newer than this SDK reads"):
        Encoder(model_copy)


def test_symlink_outside_the_folder_is_refused(model_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.onnx"
    shutil.move(model_copy / "encoder.onnx", outside)
    (model_copy / "encoder.onnx").symlink_to(outside)
    with pytest.raises(CorruptModelError, match=r"encoder\.onnx points outside the model folder"):
        Encoder(model_copy)


def test_bad_manifest_json_is_refused(model_copy: Path) -> None:
    (model_copy / "manifest.json").write_text("{not json")
    with pytest.raises(CorruptModelError, match="is not valid JSON"):
        Generator(model_copy)


def test_variants(model_dir: Path) -> None:
    assert Generator(model_dir, variant="fp16", device="cpu").variant == "fp16"
    with pytest.raises(ModelNotFoundError, match=r"has no 'encoder_fp16' file; it has \['encoder', 'generator'"):
        Encoder(model_dir, variant="fp16")
    with pytest.raises(InvalidInputError, match=r"variant must be a name such as 'int8' or 'fp16', got '\.\./x'"):
        Generator(model_dir, variant="../x")


def test_onnx_not_matching_the_spec_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, spec={**MAIN_SPEC.to_dict(), "noise_size": 5})
    with pytest.raises(IncompatibleModelError, match=r"generator inputs must be \{'noise': 5, 'categorical': 10, "
                                                     r"'continuous': 2\} \(name: width\), got"):
        Generator(model_copy)


def test_swapped_files_are_refused(model_copy: Path) -> None:
    data = json.loads((model_copy / "manifest.json").read_text())
    data["files"]["encoder"], data["files"]["generator"] = data["files"]["generator"], data["files"]["encoder"]
    write_manifest(model_copy, data)
    with pytest.raises(IncompatibleModelError, match="the encoder must take 'images' and output"):
        Encoder(model_copy)
    with pytest.raises(IncompatibleModelError, match="generator inputs must be"):
        Generator(model_copy)


def test_a_file_that_is_not_onnx_is_refused(model_copy: Path) -> None:
    (model_copy / "generator.onnx").write_bytes(b"\x08\x07garbage" * 10)
    data = json.loads((model_copy / "manifest.json").read_text())
    data["files"]["generator"] = file_entry(model_copy, "generator.onnx")  # a matching sha256: it is still refused
    write_manifest(model_copy, data)
    with pytest.raises(CorruptModelError, match="could not load generator"):
        Generator(model_copy, device="cpu")


def test_bad_continuous_names_are_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, continuous_codes=[{"name": "rotation"}])
    with pytest.raises(IncompatibleModelError, match="continuous_codes must be a list of 2 objects"):
        Generator(model_copy)


def test_bad_construction_arguments(model_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="model must be a bundled model name or a folder path, got int"):
        Generator(123)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="chunk_size must be a positive integer, got 0"):
        Encoder(model_dir, chunk_size=0)


def test_the_manifest_io_record_is_checked_against_the_files(model_copy: Path) -> None:
    good = {"generator": {"inputs": ["noise", "categorical", "continuous"], "outputs": ["images"]},
            "encoder": {"inputs": ["images"], "outputs": ["categorical_logits", "continuous_mean",
                                                          "continuous_log_std", "realness"]}}
    edit_manifest(model_copy, io=good)
    Generator(model_copy, device="cpu")
    Encoder(model_copy, device="cpu")
    edit_manifest(model_copy, io={**good, "encoder": {"inputs": ["images"], "outputs": ["realness"]}})
    with pytest.raises(IncompatibleModelError, match=r"io.encoder says \{'inputs': \['images'\], 'outputs': "
                       r"\['realness'\]\}, but the encoder .* has"):
        Encoder(model_copy, device="cpu")



def _denied(real: Callable[..., Any], file: Path) -> Callable[..., Any]:
    """`real` (a Path method, or open), raising PermissionError for `file`."""
    def call(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path) == file:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)
    return call


@pytest.mark.parametrize(("method", "name", "verify"), [("read_text", "manifest.json", True),
                                                        ("read_bytes", "generator.onnx", False),
                                                        ("stat", "manifest.json", True)])
def test_an_unreadable_file_is_a_corrupt_model_naming_it(model_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                         method: str, name: str, verify: bool) -> None:
    """Issue 37: a file the process may not read raised a raw PermissionError, not the SDK's error (as root, chmod
    does not stop reads: the denial is simulated)."""
    monkeypatch.setattr(Path, method, _denied(getattr(Path, method), model_copy / name))
    with pytest.raises(CorruptModelError, match=rf"{model_copy / name} of model folder .* cannot be read: Permission"):
        Generator(model_copy, verify=verify)


def test_a_file_whose_sha256_cannot_be_read_is_a_corrupt_model(model_copy: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    denied = _denied(open, model_copy / "encoder.onnx")
    monkeypatch.setattr(manifest_module, "open", denied, raising=False)  # the open of sha256_of
    with pytest.raises(CorruptModelError, match=r"encoder\.onnx of model folder .* cannot be read: Permission"):
        Generator(model_copy)


def test_a_folder_removed_or_swapped_while_loading_is_model_not_found(model_copy: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 37: the folder checked, then replaced (by an empty one) before its ONNX file is read: a raw
    FileNotFoundError before."""
    real_load = loading.load_manifest

    def load_then_swap(folder: Path, verify: bool = True) -> Any:
        loaded = real_load(folder, verify)
        shutil.move(model_copy, tmp_path / "moved")
        model_copy.mkdir()
        return loaded

    monkeypatch.setattr(loading, "load_manifest", load_then_swap)
    with pytest.raises(ModelNotFoundError, match=rf"{model_copy / 'generator.onnx'} of model folder .* is gone"):
        Generator(model_copy)
