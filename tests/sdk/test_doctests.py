"""The SDK's docstring examples run, against the tiny test model standing in for the bundled "mnist"."""

from __future__ import annotations

import doctest
import importlib
import shutil
from pathlib import Path

import pytest

from infogan_sdk.loading import folders

MODULES = ["infogan_sdk", "infogan_sdk.generator", "infogan_sdk.encoder", "infogan_sdk.results",
           "infogan_sdk.datasets.writers", "infogan_sdk.images.convention", "infogan_sdk.latents.draw"]


def test_docstring_examples_run(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "models").mkdir()
    shutil.copytree(model_dir, tmp_path / "models" / "mnist")
    monkeypatch.setattr(folders, "BUNDLED_DIR", tmp_path / "models")  # Generator() loads the tiny model
    monkeypatch.chdir(tmp_path)  # the examples write files
    attempted = 0
    for name in MODULES:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, report=False)
        assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (run pytest -s)"
        attempted += result.attempted
    assert attempted >= 15  # the examples did run
    assert (tmp_path / "sevens.png").is_file() and (tmp_path / "digits.npz").is_file()
