"""Fuzzing the model loader: mutated and random manifest.json files in an otherwise intact tiny model folder.

A load must succeed (and the model then run, or refuse with IncompatibleModelError) or refuse with
ModelNotFoundError, CorruptModelError or IncompatibleModelError; never another exception, a hang, or a
message that cannot be printed. The mutations work on the JSON tree (delete, replace, rename, deep nesting,
huge numbers) and on the raw bytes (truncation, bit flips, invalid UTF-8, a BOM, over 1 MB).
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infogan_sdk import (
    CorruptModelError,
    Encoder,
    GenerateResult,
    Generator,
    IncompatibleModelError,
    InferResult,
    ModelNotFoundError,
)

from .corpus import digit
from .outcomes import attempt
from .report import Tally
from .test_fuzz import fuzz

LOAD_ERRORS = (ModelNotFoundError, CorruptModelError, IncompatibleModelError)
KEYS = ["format", "format_version", "spec", "files", "code_to_digit", "continuous_codes", "categorical_codes",
        "labels", "preprocess", "data", "name", "path", "bytes",
        "sha256", "generator", "encoder", "generator_fp16", "noise_size", "categorical_sizes", "n_continuous",
        "continuous_range", "image_shape", "pixel_range", "noise_distribution"]
STRINGS = ["", ".", "..", "generator.onnx", "encoder.onnx", "generator_fp16.onnx", "manifest.json",
           "../generator.onnx", "/etc/passwd", "\ud800", "a\x00b", "infogan-sdk-model", "normal", "uniform",
           "rotation", "é" * 3, "resize", "mnist-centre", "sneaker"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=10),
                    st.sampled_from([0, 1, 2, -1, 3, 10, 28, 62, 4096, 4097, 65536, 2**31, 2**63, 10**30]),
                    st.sampled_from(STRINGS))
JSON_VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children,
                                                    max_size=5)), max_leaves=12)
DEEP = [5, 31, 32, 33, 200, 900, 990, 1100, 100_000]  # nesting levels; 32 is the loader's limit
HUGE = [20, 400, 4300, 4301, 5000]  # digits; Python refuses to parse integers of over 4300 digits
BAD_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]  # invalid start, cut sequence, encoded surrogate, NUL


@pytest.fixture(scope="module")
def workspace(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny model; each example rewrites only its manifest.json."""
    return Path(shutil.copytree(tiny_dir, tmp_path_factory.mktemp("manifest") / "model"))


@pytest.fixture(scope="module")
def valid(tiny_dir: Path) -> dict[str, Any]:
    return json.loads((tiny_dir / "manifest.json").read_text())


def mutate(tree: dict[str, Any], data: st.DataObject) -> str:
    """Apply 1-3 random edits at random places of the manifest; return its JSON text."""
    tree, tokens = copy.deepcopy(tree), {}
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key, node = None, None, tree
        while isinstance(node, (dict, list)) and node and data.draw(st.integers(0, 3)) > 0:  # walk down
            parent, key = node, data.draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
            node = parent[key]
        op = data.draw(st.sampled_from(["delete", "replace", "replace", "deep", "huge", "rename", "add"]))
        if op == "deep":
            token = f"@deep{len(tokens)}@"
            depth = data.draw(st.sampled_from(DEEP))
            tokens[token] = "[" * depth + "]" * depth
            value: Any = token
        elif op == "huge":
            token = f"@huge{len(tokens)}@"
            tokens[token] = "1" + "0" * data.draw(st.sampled_from(HUGE)) if data.draw(st.booleans()) else "-1e999"
            value = token
        else:
            value = data.draw(JSON_VALUES)
        if parent is None:  # the root itself
            if op in ("add", "rename", "delete") and isinstance(tree, dict):
                tree[data.draw(st.sampled_from(KEYS))] = value
            else:
                tree = value
        elif op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from([*KEYS, "x"]))] = parent.pop(key)
        elif op == "add" and isinstance(node, dict):
            node[data.draw(st.sampled_from(KEYS))] = value
        else:
            parent[key] = value
    text = json.dumps(tree)
    for token, replacement in tokens.items():
        text = text.replace(json.dumps(token), replacement)
    return text


def load_and_run(folder: Path, kind: str) -> GenerateResult | InferResult:
    """Load the folder as `kind`; if that works, touch every property and run it once."""
    model = Encoder(folder, device="cpu", threads=1) if kind == "encoder" else \
        Generator(folder, device="cpu", threads=1, variant="fp16" if kind == "generator_fp16" else None)
    assert isinstance(model.info, dict) and repr(model) and model.continuous_names is not None
    try:
        if isinstance(model, Encoder):
            return model.infer(digit())
        return model.generate(count=2, seed=0)
    except IncompatibleModelError as error:  # a manifest that loads but does not describe the graph
        return error  # type: ignore[return-value]


def check_loaded(outcome: Any) -> None:
    if isinstance(outcome, GenerateResult):
        assert outcome.images.shape[0] == 2 and np.isfinite(outcome.continuous).all()
    elif isinstance(outcome, InferResult):
        assert len(outcome) == 1 and np.isfinite(outcome.probabilities).all()
    else:
        assert isinstance(outcome, IncompatibleModelError) and str(outcome)


KINDS = st.sampled_from(["generator", "encoder", "generator_fp16"])


@pytest.mark.slow  # the fast suite's biggest fuzz run; ./scripts/test runs it
@fuzz(250)
@given(data=st.data(), kind=KINDS)
def test_mutated_manifests(workspace: Path, valid: dict[str, Any], tally: Tally, data: st.DataObject,
                           kind: str) -> None:
    (workspace / "manifest.json").write_text(mutate(valid, data), encoding="utf-8", errors="surrogatepass")
    outcome = attempt(tally, "load/mutated_manifest_json", lambda: load_and_run(workspace, kind), LOAD_ERRORS)
    if outcome is not None:
        check_loaded(outcome)


def as_format2(manifest: dict[str, Any]) -> dict[str, Any]:
    """The tiny folder's manifest in format 2: its codes named and labelled, its preprocessing and data declared."""
    sizes = manifest["spec"]["categorical_sizes"]
    codes = [{"name": f"code{index}", "labels": [f"kind {value}" for value in range(size)]}
             for index, size in enumerate(sizes)]
    rest = {key: value for key, value in manifest.items() if key != "code_to_digit"}
    return {**rest, "format_version": 2, "categorical_codes": codes, "preprocess": "resize",
            "data": {"name": "shapes", "class_names": codes[0]["labels"] if codes else None}}


@pytest.mark.slow  # as test_mutated_manifests, on a format 2 manifest
@fuzz(150)
@given(data=st.data(), kind=KINDS)
def test_mutated_format2_manifests(workspace: Path, valid: dict[str, Any], tally: Tally, data: st.DataObject,
                                   kind: str) -> None:
    (workspace / "manifest.json").write_text(mutate(as_format2(valid), data), encoding="utf-8",
                                             errors="surrogatepass")
    outcome = attempt(tally, "load/mutated_format2_manifest_json", lambda: load_and_run(workspace, kind),
                      LOAD_ERRORS)
    if outcome is not None:
        check_loaded(outcome)


def raw_mutation(text: bytes, data: st.DataObject) -> bytes:
    op = data.draw(st.sampled_from(["truncate", "bit_flips", "bad_utf8", "bom", "too_big", "random", "value"]))
    if op == "truncate":
        return text[:data.draw(st.integers(0, len(text)))]
    if op == "bit_flips":
        out = bytearray(text)
        for position in data.draw(st.lists(st.integers(0, len(text) - 1), min_size=1, max_size=8)):
            out[position] ^= 1 << data.draw(st.integers(0, 7))
        return bytes(out)
    if op == "bad_utf8":
        position = data.draw(st.integers(0, len(text)))
        return text[:position] + data.draw(st.sampled_from(BAD_UTF8)) + text[position:]
    if op == "bom":
        return b"\xef\xbb\xbf" + text
    if op == "too_big":
        return text[:-1] + b" " * (1 << 20) + b"}"  # valid JSON over the 1 MB limit
    if op == "random":
        return data.draw(st.binary(max_size=512))
    return json.dumps(data.draw(JSON_VALUES)).encode()


@fuzz(150)
@given(data=st.data(), kind=KINDS)
def test_raw_manifest_bytes(workspace: Path, tiny_dir: Path, tally: Tally, data: st.DataObject, kind: str) -> None:
    (workspace / "manifest.json").write_bytes(raw_mutation((tiny_dir / "manifest.json").read_bytes(), data))
    outcome = attempt(tally, "load/raw_manifest_bytes", lambda: load_and_run(workspace, kind), LOAD_ERRORS)
    if outcome is not None:
        check_loaded(outcome)


@pytest.mark.parametrize("model", [None, 5, 1.5, b"mnist", ["mnist"], "", "\x00", "mnist\x00", "\ud800", "/",
                                   "/dev/null", "/proc/self", "mnist/../mnist", "a" * 5000, "a/" * 3000,
                                   Path("/nonexistent")], ids=lambda value: ascii(value)[:24])
def test_odd_model_arguments(tally: Tally, model: Any) -> None:
    """Anything but a bundled name or a model folder is refused with a message naming it."""
    outcome = attempt(tally, "load/model_argument", lambda: Generator(model, device="cpu"))
    assert outcome is None
