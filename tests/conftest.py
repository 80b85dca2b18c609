"""Every test reads MNIST from the shared folder beside the repository; no test downloads anything.

`generator` / `encoder`: the bundled default model, loaded once (tests/sdk overrides them with its tiny model).
"""

import os
from pathlib import Path

import pytest

from infogan_sdk import Encoder, Generator

os.environ.setdefault("INFOGAN_MNIST_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def generator() -> Generator:
    return Generator("mnist", device="cpu", threads=1)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder("mnist", device="cpu", threads=1)
