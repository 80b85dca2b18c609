"""Every test reads MNIST from the shared folder beside the repository; no test downloads anything.

`generator` / `encoder`: the bundled default model, loaded once (tests/sdk overrides them with its tiny model).
"""

import os
from pathlib import Path

import pytest

from infogan_sdk import Encoder, Generator

os.environ.setdefault("INFOGAN_MNIST_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
MNIST = Path(os.environ["INFOGAN_MNIST_DIR"])
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz")


def _mnist_missing() -> list[str]:
    return [name for name in MNIST_FILES if not (MNIST / name).is_file()]


def pytest_report_header() -> str:
    missing = _mnist_missing()
    return f"MNIST: {MNIST} " + (f"(MISSING {', '.join(missing)}: the tests that read it skip or fail; set "
                                 "INFOGAN_MNIST_DIR)" if missing else "(found)")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI=true a missing MNIST is an error: its tests must not quietly skip."""
    missing = _mnist_missing()
    if missing and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(f"CI=true but MNIST is not in {MNIST} (missing {', '.join(missing)}); set "
                                "INFOGAN_MNIST_DIR to the folder with the four IDX .gz files")


@pytest.fixture(scope="session")
def generator() -> Generator:
    return Generator("mnist", device="cpu", threads=1)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder("mnist", device="cpu", threads=1)
