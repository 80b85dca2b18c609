"""Fuzzing the Open Inference Protocol's /v2 endpoints: inference requests of random structure, near-valid tensors
(wrong names, datatypes, shapes, data, parameters), Triton binary bodies whose sizes and header lie, and any
bytes. Every answer must be JSON: a 200 with the model's outputs (raw ones after the header it gives), or a 4xx
`{"error": message}`; never a 5xx. Counts go to the "serve fuzz report" (INFOGAN_FUZZ=long: 2000 per test)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig

from .conftest import FUZZ_TALLY, LOCAL
from .test_fuzz import NUMBERS, VALUES, fuzz, raw_json

MODELS = ["mnist-generator", "mnist-encoder", "tiny-generator", "tiny-encoder"]
NAMES = st.sampled_from(["noise", "categorical", "continuous", "images", "digit", "realness", "x", "", "é" * 3])
DATATYPES = st.one_of(st.sampled_from(["FP32", "UINT8", "INT64", "BOOL", "FP16", "FP64", "BYTES", "fp32", ""]),
                      VALUES)
SIZES = st.one_of(st.integers(-2, 70), st.sampled_from([784, 2**31, 2**63, 10**30]))
SHAPES = st.one_of(st.lists(SIZES, max_size=4), st.lists(st.integers(0, 3), min_size=9, max_size=10), VALUES)
PARAMETERS = st.one_of(st.none(), VALUES, st.fixed_dictionaries({}, optional={
    "binary_data_size": st.one_of(SIZES, VALUES), "binary_data": st.one_of(st.booleans(), VALUES),
    "binary_data_output": st.one_of(st.booleans(), VALUES)}))


def tensor(binary: bool) -> st.SearchStrategy[dict[str, Any]]:
    """An input entry: each key present or not, each value plausible or of any JSON type."""
    data = st.one_of(st.lists(NUMBERS, max_size=80), st.lists(st.lists(NUMBERS, max_size=12), max_size=4), VALUES)
    return st.fixed_dictionaries({"name": NAMES, "datatype": DATATYPES, "shape": SHAPES}, optional={
        "data": data, "parameters": PARAMETERS if binary else st.one_of(st.none(), VALUES)})


REQUESTS = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=5), VALUES), "inputs": st.one_of(st.lists(tensor(False), max_size=4), VALUES),
    "outputs": st.one_of(st.lists(st.fixed_dictionaries({"name": NAMES}, optional={"parameters": PARAMETERS}),
                                  max_size=3), VALUES), "parameters": PARAMETERS})


def check(category: str, response: Any) -> None:
    """JSON 200 with outputs (raw bytes after `Inference-Header-Content-Length` where asked for), or JSON 4xx
    {"error": message}; counted per category and status."""
    FUZZ_TALLY.setdefault(category, Counter())[str(response.status_code)] += 1
    assert response.status_code < 500, (response.status_code, response.text[:500])
    header = response.headers.get("inference-header-content-length")
    head = response.content[: int(header)] if header is not None else response.content
    body = json.loads(head)
    if response.status_code >= 400:
        assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"], body
        return
    raw = sum(entry.get("parameters", {}).get("binary_data_size", 0) for entry in body["outputs"])
    assert len(response.content) == len(head) + raw and body["outputs"], body


@fuzz(40)
@given(model=st.sampled_from(MODELS), request=REQUESTS)
def test_json_requests_of_any_structure(client: TestClient, model: str, request: dict[str, Any]) -> None:
    check("v2/json", client.post(f"/v2/models/{model}/infer", content=raw_json(request),
                                 headers={"Content-Type": "application/json"}))


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid request for one image of a model, with one to three of its parts replaced by a fuzzed value."""
    model = draw(st.sampled_from(MODELS))
    width = {"mnist": {"noise": 62, "categorical": 10, "continuous": 3}, "tiny": {"noise": 4, "categorical": 10,
                                                                                  "continuous": 2}}
    family, role = model.split("-")
    inputs = [{"name": "images", "datatype": "UINT8", "shape": [1, 28, 28], "data": [0] * 784}] if role == "encoder" \
        else [{"name": name, "datatype": "FP32", "shape": [1, size], "data": [1.0] + [0.0] * (size - 1)}
              for name, size in width[family].items()]
    for _ in range(draw(st.integers(1, 3))):
        entry = draw(st.sampled_from(inputs))
        key = draw(st.sampled_from(["name", "datatype", "shape", "data", "parameters"]))
        entry[key] = draw({"name": NAMES, "datatype": DATATYPES, "shape": SHAPES, "parameters": PARAMETERS,
                           "data": st.one_of(st.lists(NUMBERS, max_size=80), VALUES)}[key])
    return model, {"inputs": inputs}


@fuzz(40)
@given(case=near_valid())
def test_near_valid_json_tensors(client: TestClient, case: tuple[str, dict[str, Any]]) -> None:
    model, request = case
    check("v2/json_near_valid", client.post(f"/v2/models/{model}/infer", content=raw_json(request),
                                            headers={"Content-Type": "application/json"}))


@fuzz(40)
@given(model=st.sampled_from(MODELS), inputs=st.lists(tensor(True), min_size=1, max_size=3),
       tail=st.binary(max_size=3200), lie=st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["", "x", "-1",
                                                                                                   "1e3", "9" * 30])),
       outputs=st.booleans())
def test_binary_bodies_whose_sizes_and_header_lie(client: TestClient, model: str, inputs: list[dict[str, Any]],
                                                  tail: bytes, lie: int | str | None, outputs: bool) -> None:
    """Triton's binary extension: a JSON header, then bytes that may or may not match the declared
    binary_data_size values; the header length exact, off by a few bytes, or not a number."""
    head = raw_json({"inputs": inputs, **({"parameters": {"binary_data_output": True}} if outputs else {})})
    length = str(len(head) + lie) if isinstance(lie, int) else (lie if lie is not None else str(len(head)))
    check("v2/binary", client.post(f"/v2/models/{model}/infer", content=head + tail,
                                   headers={"Inference-Header-Content-Length": length}))


@fuzz(30)
@given(model=st.sampled_from(MODELS), rows=st.integers(1, 70), binary=st.booleans(), noise=st.sampled_from(
       [0.0, 1.0, -3.0, 1e30, float("nan"), float("inf")]))
def test_valid_binary_tensors_of_any_rows_and_values(client: TestClient, model: str, rows: int, binary: bool,
                                                     noise: float) -> None:
    """Well-formed binary requests of 1-70 rows (over --max-generate / --max-images: 413), with odd noise
    values and images of every grey level: a 200 whose raw outputs are all there, or a 4xx."""
    family, role = model.split("-")
    sizes = {"mnist": (62, 10, 3), "tiny": (4, 10, 2)}[family]
    rng = np.random.default_rng(rows)
    arrays = {"images": rng.integers(0, 256, (rows, 28, 28), dtype=np.uint8)} if role == "encoder" else {
        "noise": np.full((rows, sizes[0]), noise, np.float32), "categorical": np.eye(10, dtype=np.float32)[
            rng.integers(0, 10, rows)], "continuous": rng.uniform(-1, 1, (rows, sizes[2])).astype(np.float32)}
    head = json.dumps({"inputs": [
        {"name": name, "datatype": "UINT8" if array.dtype == np.uint8 else "FP32", "shape": list(array.shape),
         "parameters": {"binary_data_size": array.nbytes}} for name, array in arrays.items()],
        "parameters": {"binary_data_output": binary}}).encode()
    content = head + b"".join(array.tobytes() for array in arrays.values())
    check("v2/binary_valid", client.post(f"/v2/models/{model}/infer", content=content,
                                         headers={"Inference-Header-Content-Length": str(len(head))}))


@fuzz(30)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
       model=st.one_of(st.sampled_from(MODELS), st.text(max_size=12), st.just("x" * 3000)),
       version=st.one_of(st.none(), st.sampled_from(["1", "2", "0", "01", "", "latest"]), st.text(max_size=4)),
       end=st.sampled_from(["", "/ready", "/config", "/infer", "/stats", "/infer/x"]),
       body=st.one_of(st.just(b""), st.binary(max_size=100)),
       header=st.one_of(st.none(), st.sampled_from(["0", "1", "99", "-1", "x"])))
def test_paths_methods_and_bytes(client: TestClient, method: str, model: str, version: str | None, end: str,
                                 body: bytes, header: str | None) -> None:
    """Any model name, version and endpoint, any method, any bytes: a JSON answer, never a 5xx."""
    path = f"/v2/models/{quote(model, safe='')}" + (f"/versions/{quote(version, safe='')}" if version is not None
                                                     else "") + end
    headers = {} if header is None else {"Inference-Header-Content-Length": header}
    response = client.request(method, path, content=body or None, headers=headers)
    FUZZ_TALLY.setdefault("v2/paths_methods_bytes", Counter())[str(response.status_code)] += 1
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize("model", MODELS)
def test_fuzzed_models_answer_a_plain_request(client: TestClient, model: str) -> None:
    """The fuzz above can reach a 200: each model answers a minimal valid request."""
    family, role = model.split("-")
    sizes = {"mnist": {"noise": 62, "categorical": 10, "continuous": 3}, "tiny": {"noise": 4, "categorical": 10,
                                                                                  "continuous": 2}}[family]
    inputs = [{"name": "images", "datatype": "UINT8", "shape": [1, 28, 28], "data": [0] * 784}] if role == "encoder" \
        else [{"name": name, "datatype": "FP32", "shape": [1, size], "data": [1.0] + [0.0] * (size - 1)}
              for name, size in sizes.items()]
    response = client.post(f"/v2/models/{model}/infer", json={"inputs": inputs})
    assert response.status_code == 200, response.text[:300]
    check("v2/plain", response)


def test_generator_bodies_have_the_codes_limit_and_encoder_bodies_the_image_limit() -> None:
    """A generator's body is codes and noise only: over --max-codes-bytes it is refused (413) before it is parsed,
    where a JSON noise tensor near --max-body-bytes would hold the event loop; the encoder keeps the larger limit."""
    config = ServeConfig(models=("mnist",), device="cpu", threads=1, max_codes_bytes=20_000, max_body_bytes=200_000)
    body = b'{"inputs": [{"name": "noise", "datatype": "FP32", "shape": [1000, 62], "data": [' + b"0," * 12_000
    with TestClient(create_app(config), base_url=LOCAL) as local:
        for path in ("/v2/models/mnist-generator/infer", "/v2/models/mnist-generator/versions/1/infer"):
            refused = local.post(path, content=body, headers={"Content-Type": "application/json"})
            assert refused.status_code == 413 and "--max-codes-bytes" in refused.json()["error"], refused.text
        read = local.post("/v2/models/mnist-encoder/infer", content=body, headers={"Content-Type": "application/json"})
        assert read.status_code == 400, read.text  # read whole (24 kB < 200 kB), then refused as JSON
