"""The package as a whole: import hygiene (no torch, no side effects), public names, version, typing marker."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import infogan_sdk

PACKAGE = Path(infogan_sdk.__file__).parent
ROOT = PACKAGE.parent


def test_import_has_no_torch_and_no_side_effects(tmp_path: Path) -> None:
    code = ("import sys, os, infogan_sdk\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'train', 'export'))\n"
            "print(repr(bad), repr(os.listdir('.')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "[]"]  # no torch/train/export modules, no files or folders created
    assert result.stderr == ""


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "infogan_sdk", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "usage: infogan" in result.stdout


def test_sdk_sources_import_nothing_of_ours_but_the_sdk_and_never_print() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    assert {path.parent.name for path in paths} >= {"cli", "loading", "latents", "images", "datasets", "serve"}
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                roots = set()
            assert not roots & {"torch", "train", "export", "torchvision"}, f"{path.name} imports {roots}"
            if path.parent.name != "cli" and isinstance(node, ast.Call):  # the CLI prints
                assert getattr(node.func, "id", None) != "print", f"{path.name}:{node.lineno} prints"


def test_public_names_version_and_typing_marker() -> None:
    for name in infogan_sdk.__all__:
        assert hasattr(infogan_sdk, name), name
    assert issubclass(infogan_sdk.InvalidInputError, infogan_sdk.InfoGANError)
    pyproject = (ROOT / "pyproject.toml").read_text()  # (tomllib is 3.11+, the SDK supports 3.10)
    version = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE)
    assert version is not None and infogan_sdk.__version__ == version.group(1)
    assert 'infogan = "infogan_sdk.cli:main"' in pyproject
    assert (PACKAGE / "py.typed").is_file()
