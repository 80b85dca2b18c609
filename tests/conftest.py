"""Every test reads MNIST from the shared folder beside the repository; no test downloads anything.

`generator` / `encoder`: the bundled default model, loaded once (tests/sdk overrides them with its tiny model).
`torch` marker: a test module that imports torch, directly or through any module of ours (at any depth, lazy
imports included), is marked `torch` and, where torch is not installed, not collected; so the SDK's tests run
with the SDK's dependencies alone (`-m "not torch"` deselects the same tests where torch is installed).
"""

import ast
import functools
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


ROOT = Path(__file__).resolve().parents[1]
OURS = ("infogan_sdk", "mnist_data", "train", "export", "evaluate", "bench", "tests")


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    return next((path for path in (base.with_suffix(".py"), base / "__init__.py") if path.is_file()), None)


@functools.cache
def _imports(path: Path) -> tuple[str, ...]:
    """Every module name an import statement of the file names (`from a import b`: a and a.b), at any depth."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return tuple(names)


@functools.cache
def needs_torch(path: Path) -> bool:
    """Whether the module at `path` imports torch, itself or through the project's modules it imports."""
    seen, todo = set(), [path]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in _imports(module):
            if name.split(".")[0] == "torch":
                return True
            found = _module_file(name) if name.split(".")[0] in OURS else None
            if found is not None:
                todo.append(found)
    return False


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    if collection_path.suffix == ".py" and not _torch_installed() and needs_torch(collection_path):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if needs_torch(Path(item.path)):
            item.add_marker(pytest.mark.torch)


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
