"""Fuzzing the HTTP endpoints: malformed JSON, wrong types, huge numbers, NaN, bad base64 and damaged image files.
Every answer must be a JSON 200 of the documented shape or a JSON 4xx `{error, detail}`; never a 5xx.

A normal run tries a few dozen requests per category (seconds); INFOGAN_FUZZ=long tries 2000. The counts per
category and status go to the "serve fuzz report" at the end of the run (and docs/RELIABILITY.md).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.corpus import MUTATIONS, bombs, seed_files
from tests.hardening.report import long_mode

from .conftest import FUZZ_TALLY

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")  # Pillow's notes on damaged TIFF tags


def fuzz(ci: int, long: int = 2000) -> settings:
    return settings(max_examples=long if long_mode("FUZZ") else ci, deadline=None, print_blob=True,
                    suppress_health_check=list(HealthCheck), database=None)


NUMBERS = st.one_of(st.integers(), st.integers(-10**40, 10**40), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, -1, 9, 10, 2**63, 1e308, -0.0]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=30)
GENERATE_KEYS = ["model", "digits", "count", "seed", "continuous", "noise", "return_noise"]
TRAVERSE_KEYS = ["model", "digit", "code", "values", "seed"]
EDIT_KEYS = ["model", "images", "preprocess", "digit", "continuous", "reconstruct", "return_noise"]
# "²" and "①" pass str.isdigit() but not int() (a 500 once), as did 5000 digits; "٣" is an Arabic-Indic three
NAMES = st.sampled_from(["c0", "rotation", "width", "", "x" * 300, "\u00b2", "\u2460", "\u0663", "9" * 5000, "1"])


def bodies(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the endpoint's keys (and sometimes others) holding values of any JSON type."""
    known = st.fixed_dictionaries({}, optional={key: VALUES for key in keys})
    plausible = st.fixed_dictionaries({}, optional={
        "digits": st.one_of(st.integers(-2, 12), st.lists(st.integers(-2, 12), max_size=70)),
        "count": st.integers(-1, 70), "seed": st.integers(-1, 2**64), "digit": st.integers(-2, 12),
        "continuous": st.dictionaries(NAMES, st.one_of(NUMBERS, st.lists(NUMBERS, max_size=70)), max_size=3),
        "noise": st.one_of(st.lists(NUMBERS, max_size=70), st.lists(st.lists(NUMBERS, max_size=63), max_size=3)),
        "code": st.one_of(NAMES, st.integers(-3, 3), st.text(max_size=3)), "values": st.lists(NUMBERS, max_size=70)})
    return st.one_of(known, plausible, st.dictionaries(st.text(max_size=8), VALUES, max_size=4))


def check(category: str, response: Any) -> None:
    """The promise: JSON, 200 or 4xx, errors shaped {error, detail}; counted per category and status."""
    outcome = FUZZ_TALLY.setdefault(category, Counter())
    outcome[str(response.status_code)] += 1
    assert response.status_code < 500, (response.status_code, response.text[:500])
    kind = response.headers["content-type"]
    if response.status_code == 200 and kind == "image/png":
        return
    assert kind.startswith("application/json"), kind
    body = response.json()
    if response.status_code >= 400:
        assert isinstance(body["error"], str) and isinstance(body["detail"], str) and body["detail"], body


HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
HOSTS = st.one_of(st.sampled_from(["127.0.0.1", "127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000", "::1",
                                   "evil.example", "127.0.0.1.evil.example", "", "[::1", ":", "a:b:c"]), HEADER_TEXT)
PATHS = st.sampled_from(["/healthz", "/readyz", "/v1/models", "/v1/generate", "/v1/traverse", "/v1/infer",
                         "/v1/edit", "/", "/docs", "/openapi.json", "/static/app.js", "/v1/", "/v1/nothing",
                         "/static/../serve/app.py", "/%00", "/" + "a" * 3000])


@fuzz(40)
@given(method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]), path=PATHS, host=HOSTS,
       accept=st.one_of(st.sampled_from(["image/png;q=0", "image/*", "*/*;q=0.1, image/png"]), HEADER_TEXT),
       authorization=st.one_of(st.none(), st.sampled_from(["bearer x", "Bearer", "Basic Zm9v"]), HEADER_TEXT),
       kind=st.one_of(st.sampled_from(["application/json", "multipart/form-data; boundary=x", "text/plain"]),
                      HEADER_TEXT),
       body=st.one_of(st.just(b""), st.just(b'{"digits": 3}'), st.binary(max_size=100)))
def test_methods_paths_and_headers(client: TestClient, method: str, path: str, host: str, accept: str,
                                   authorization: str | None, kind: str, body: bytes) -> None:
    """Any method on any path with any Host, Accept, Authorization and content type: never a 5xx. A Host that
    is not a loopback name is refused (421) before anything else happens."""
    headers = {"Host": host, "Accept": accept, "Content-Type": kind}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.request(method, path, content=body or None, headers=headers)
    outcome = FUZZ_TALLY.setdefault("any/methods_paths_headers", Counter())
    outcome[str(response.status_code)] += 1
    assert response.status_code < 500, (response.status_code, response.text[:300])
    loopback = re.fullmatch(r"(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?|::1", host.strip().lower())
    assert (response.status_code == 421) == (not loopback), (host, response.status_code)
    if method != "HEAD" and response.status_code >= 400:
        problem = response.json()
        assert isinstance(problem["error"], str) and problem["detail"], problem


def raw_json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()  # NaN and Infinity literals included, as a sloppy client sends


@fuzz(25)
@given(body=bodies(GENERATE_KEYS), png=st.booleans())
def test_generate_json(client: TestClient, body: dict[str, Any], png: bool) -> None:
    check("generate/json", client.post("/v1/generate" + ("?format=png" if png else ""), content=raw_json(body),
                                       headers={"Content-Type": "application/json"}))


@fuzz(20)
@given(body=bodies(TRAVERSE_KEYS))
def test_traverse_json(client: TestClient, body: dict[str, Any]) -> None:
    check("traverse/json", client.post("/v1/traverse", content=raw_json(body),
                                       headers={"Content-Type": "application/json"}))


@fuzz(30)
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                      VALUES.map(raw_json).map(lambda b: b[: len(b) // 2])),
       path=st.sampled_from(["/v1/generate", "/v1/traverse", "/v1/infer", "/v1/edit"]),
       kind=st.sampled_from(["application/json", "multipart/form-data; boundary=x", "text/plain", ""]))
def test_malformed_bodies(client: TestClient, data: bytes, path: str, kind: str) -> None:
    headers = {"Content-Type": kind} if kind else {}
    check("any/malformed_body", client.post(path, content=data, headers=headers))


@pytest.fixture(scope="module")
def files(generator: Any) -> list[bytes]:
    return list(seed_files(generator.generate(digits=7, seed=0).images[0]).values()) + list(bombs().values())


@fuzz(40)
@given(choice=st.integers(0, 10**6), mutations=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=0, max_size=3),
       seed=st.integers(0, 2**32 - 1), wrap=st.sampled_from(["plain", "data_url", "broken", "not_a_string"]),
       via=st.sampled_from(["json", "multipart"]))
def test_infer_damaged_files(client: TestClient, files: list[bytes], choice: int, mutations: list[str], seed: int,
                             wrap: str, via: str) -> None:
    rng = np.random.default_rng(seed)
    data = files[choice % len(files)]
    for name in mutations:
        if len(data) > 1:  # the corpus's mutations need bytes to work on (truncation can leave none)
            data = MUTATIONS[name](data, rng)
    if via == "multipart":
        check("infer/multipart_damaged", client.post("/v1/infer", files=[("images", ("f.png", data, "image/png"))]))
        return
    text: Any = base64.b64encode(data).decode()
    text = {"plain": text, "data_url": "data:image/png;base64," + text, "broken": text[: len(text) // 2] + "%",
            "not_a_string": len(text)}[wrap]
    check("infer/json_damaged", client.post("/v1/infer", json={"images": [text, text][: 1 + seed % 2]}))


@fuzz(25)
@given(body=bodies(EDIT_KEYS))
def test_edit_json(client: TestClient, body: dict[str, Any]) -> None:
    check("edit/json", client.post("/v1/edit", content=raw_json(body), headers={"Content-Type": "application/json"}))


@fuzz(30)
@given(choice=st.integers(0, 10**6), mutations=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=0, max_size=3),
       seed=st.integers(0, 2**32 - 1), digit=st.one_of(st.none(), st.integers(-2, 12), st.lists(st.integers(0, 9))),
       continuous=st.dictionaries(NAMES, st.one_of(NUMBERS, st.lists(NUMBERS, max_size=12)), max_size=2))
def test_edit_damaged_files_and_values(client: TestClient, files: list[bytes], choice: int, mutations: list[str],
                                       seed: int, digit: Any, continuous: dict[str, Any]) -> None:
    """The default model edits: real image files, damaged or not, with any digit and code values."""
    rng = np.random.default_rng(seed)
    data = files[choice % len(files)]
    for name in mutations:
        if len(data) > 1:
            data = MUTATIONS[name](data, rng)
    body = {"images": [base64.b64encode(data).decode()], "digit": digit, "continuous": continuous,
            "reconstruct": bool(seed % 2)}
    check("edit/json_damaged", client.post("/v1/edit", content=raw_json(body),
                                           headers={"Content-Type": "application/json"}))
