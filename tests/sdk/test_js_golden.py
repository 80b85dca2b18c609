"""The JavaScript package's parity data (js/test/golden.json.gz) is what the Python SDK does today, and its Pillow
port is byte-exact: so `node --test` in js/ compares the package with the SDK as it is, not as it was."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

JS = Path(__file__).resolve().parents[2] / "js"


def _golden_module() -> Any:
    spec = importlib.util.spec_from_file_location("js_golden", JS / "test" / "golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compare(stored: Any, fresh: Any, where: str) -> None:
    if isinstance(stored, dict):
        assert stored.keys() == fresh.keys(), where
        for key in stored:
            _compare(stored[key], fresh[key], f"{where}.{key}")
    elif isinstance(stored, list) and stored and isinstance(stored[0], float):
        np.testing.assert_allclose(stored, fresh, atol=2e-6, err_msg=where)
    elif isinstance(stored, list):
        assert len(stored) == len(fresh), where
        for index, (a, b) in enumerate(zip(stored, fresh, strict=True)):
            _compare(a, b, f"{where}[{index}]")
    else:
        assert stored == fresh, f"{where}: stored {str(stored)[:60]} vs now {str(fresh)[:60]}"


def test_the_stored_golden_cases_are_what_the_python_sdk_does_now() -> None:
    stored = json.loads(gzip.decompress((JS / "test" / "golden.json.gz").read_bytes()))
    fresh = json.loads(json.dumps(_golden_module().build()))  # the same JSON round trip as the stored file
    _compare(stored, fresh, "golden")  # if this fails on purpose (a new model): python js/test/golden.py


@pytest.mark.slow
def test_the_javascript_pillow_port_is_byte_exact() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    result = subprocess.run([sys.executable, str(JS / "test" / "pillow_check.py")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "resize: 952 cases, 0 mismatches" in result.stdout and "median3: 74 cases, 0 mismatches" in result.stdout
