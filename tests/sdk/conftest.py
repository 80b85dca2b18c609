"""Fixtures: the tiny model folders (built once per session, see tiny_models.py) and models loaded from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infogan_sdk import Encoder, Generator

from .tiny_models import MAIN_SPEC, PLAIN_SPEC, REVERSED, build_model


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Main fixture: noise 4, one 10-way code with REVERSED code_to_digit, continuous rotation and width."""
    return build_model(tmp_path_factory.mktemp("models") / "tiny", MAIN_SPEC, REVERSED, ["rotation", "width"],
                       half=True)


@pytest.fixture(scope="session")
def plain_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Second fixture: uniform noise 3, codes (10, 3), one unnamed continuous code, identity mapping, no log std."""
    return build_model(tmp_path_factory.mktemp("models") / "plain", PLAIN_SPEC, list(range(10)), None,
                       log_std=False)


@pytest.fixture
def model_copy(model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the main fixture, for tests that damage it."""
    return Path(shutil.copytree(model_dir, tmp_path / "model"))


@pytest.fixture(scope="session")
def generator(model_dir: Path) -> Generator:
    return Generator(model_dir, device="cpu", threads=1)


@pytest.fixture(scope="session")
def encoder(model_dir: Path) -> Encoder:
    return Encoder(model_dir, device="cpu", threads=1)
