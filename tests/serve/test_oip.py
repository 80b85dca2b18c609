"""The Open Inference Protocol (/v2 REST with Triton's binary tensors, and gRPC) against a real `infogan serve` on
127.0.0.1, driven by the real clients (tritonclient.http and tritonclient.grpc): the SDK's answers, and a 4xx
`{"error": ...}` (or a gRPC error status) for every bad request, never a 500."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from bench.processes import free_port
from infogan_sdk import Encoder, Generator
from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig
from tests.sdk.test_domain import THRESHOLD, images
from tests.sdk.test_labels import as_format2
from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model
from tests.serve.conftest import LOCAL, assert_same_render, serving

httpclient = pytest.importorskip("tritonclient.http")
grpcclient = pytest.importorskip("tritonclient.grpc")
from tritonclient.utils import InferenceServerException  # noqa: E402  (after the skip)

ROWS = 5


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """(host:port of REST, gRPC port) of `infogan serve --model mnist --grpc-port P`."""
    grpc_port = free_port()
    with serving("--model", "mnist", "--grpc-port", str(grpc_port)) as (url, _):
        yield url.removeprefix("http://"), grpc_port


@pytest.fixture(scope="module")
def sdk() -> tuple[Generator, Encoder]:
    return Generator("mnist", device="cpu", threads=1), Encoder("mnist", device="cpu", threads=1)


def generator_inputs(module: object, generator: Generator, binary: bool) -> tuple[list[object], np.ndarray]:
    """The client's inputs for seeded latents, and the SDK's images for them."""
    latents = generator.latents(count=ROWS, seed=3)
    feeds = {**latents.feeds(generator.spec, slice(0, ROWS)), "continuous": latents.continuous}  # the SDK's values
    inputs = []
    for name, value in feeds.items():
        tensor = module.InferInput(name, list(value.shape), "FP32")  # type: ignore[attr-defined]
        if binary or module is grpcclient:
            tensor.set_data_from_numpy(value)
        else:
            tensor.set_data_from_numpy(value, binary_data=False)
        inputs.append(tensor)
    return inputs, generator.render(latents).images


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["http-binary", "http-json", "grpc"])
def test_real_clients_get_the_sdk_answers(server: tuple[str, int], sdk: tuple[Generator, Encoder],
                                          protocol: str) -> None:
    generator, encoder = sdk
    address, grpc_port = server
    module = grpcclient if protocol == "grpc" else httpclient
    client = module.InferenceServerClient(f"127.0.0.1:{grpc_port}" if protocol == "grpc" else address)
    binary = protocol != "http-json"
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("mnist-encoder")
    inputs, expected = generator_inputs(module, generator, binary)
    wanted = [module.InferRequestedOutput("images") if module is grpcclient else
              httpclient.InferRequestedOutput("images", binary_data=binary)]
    images = client.infer("mnist-generator", inputs, outputs=wanted).as_numpy("images")
    assert_same_render(images, expected, protocol)

    read = module.InferInput("images", list(expected.shape), "UINT8")
    read.set_data_from_numpy(expected, **({} if binary or module is grpcclient else {"binary_data": False}))
    answer = client.infer("mnist-encoder", [read])  # every output, binary by default
    reading = encoder.infer(expected, preprocess="none")
    assert np.array_equal(answer.as_numpy("digit"), reading.digits)
    assert np.array_equal(answer.as_numpy("is_digit"), reading.is_digit)
    for name, value in (("probabilities", reading.probabilities), ("continuous", reading.continuous),
                        ("realness", reading.realness), ("noise", reading.noise)):
        np.testing.assert_allclose(answer.as_numpy(name), value, rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.slow
def test_metadata_and_config_as_the_clients_read_them(server: tuple[str, int]) -> None:
    address, grpc_port = server
    metadata = httpclient.InferenceServerClient(address).get_model_metadata("mnist-generator")
    assert [(t["name"], t["datatype"], t["shape"]) for t in metadata["inputs"]] == [
        ("noise", "FP32", [-1, 62]), ("categorical", "FP32", [-1, 10]), ("continuous", "FP32", [-1, 3])]
    config = httpclient.InferenceServerClient(address).get_model_config("mnist-encoder")
    assert config["max_batch_size"] > 0 and config["input"] == [{"name": "images", "data_type": "TYPE_UINT8",
                                                                   "dims": [28, 28]}]
    remote = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}").get_model_metadata("mnist-encoder")
    assert [tensor.name for tensor in remote.outputs][:3] == ["digit", "codes", "probabilities"]
    names = {tensor.name for tensor in remote.outputs}  # MNIST's answer under its own names only
    assert {"digit_score", "is_digit"} <= names and not names & {"domain_score", "in_domain"}


def raw_post(address: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, object]:
    connection = http.client.HTTPConnection(address, timeout=30)
    connection.request("POST", path, body, headers)
    answer = connection.getresponse()
    status, content = answer.status, answer.read()
    connection.close()
    return status, json.loads(content)


def binary_request(raw: bytes, size: int, shape: list[int], datatype: str = "UINT8") -> tuple[bytes, int]:
    head = json.dumps({"inputs": [{"name": "images", "shape": shape, "datatype": datatype,
                                   "parameters": {"binary_data_size": size}}]}).encode()
    return head + raw, len(head)


BAD = {  # name: (body, Inference-Header-Content-Length or None); each against mnist-encoder
    "wrong shape": (binary_request(bytes(784), 784, [1, 27, 29]), None),
    "wrong datatype": (binary_request(bytes(784 * 4), 784 * 4, [1, 28, 28], "INT32"), None),
    "truncated body": (binary_request(bytes(700), 784, [1, 28, 28]), None),
    "lying binary_data_size": (binary_request(bytes(784), 700, [1, 28, 28]), None),
    "bytes left over": (binary_request(bytes(800), 784, [1, 28, 28]), None),
    "header beyond the body": (binary_request(bytes(784), 784, [1, 28, 28]), 10**6),
    "non-JSON header": ((b"{not json" + bytes(784), 9), None),
    "unknown input": ((json.dumps({"inputs": [{"name": "pixels", "shape": [1], "datatype": "UINT8",
                                               "data": [1]}]}).encode(), 0), None),
    "unknown output": ((json.dumps({"inputs": [{"name": "images", "shape": [1, 28, 28], "datatype": "UINT8",
                                                "data": [0] * 784}], "outputs": [{"name": "x"}]}).encode(), 0), None),
    "data of strings": ((json.dumps({"inputs": [{"name": "images", "shape": [1, 28, 28], "datatype": "FP32",
                                                 "data": ["1"] * 784}]}).encode(), 0), None),
    "grey level out of range": ((json.dumps({"inputs": [{"name": "images", "shape": [1, 28, 28], "datatype": "UINT8",
                                                         "data": [256] * 784}]}).encode(), 0), None),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_requests_get_a_4xx_error_object(server: tuple[str, int], case: str) -> None:
    (body, header_length), lie = BAD[case]
    headers = {} if header_length == 0 else {"Inference-Header-Content-Length": str(lie or header_length)}
    status, answer = raw_post(server[0], "/v2/models/mnist-encoder/infer", body, headers)
    assert 400 <= status < 500 and isinstance(answer, dict) and list(answer) == ["error"], (case, status, answer)
    assert isinstance(answer["error"], str) and answer["error"], case


@pytest.mark.slow
def test_unknown_model_and_grpc_refusals(server: tuple[str, int]) -> None:
    address, grpc_port = server
    status, answer = raw_post(address, "/v2/models/nope/infer", b"{}", {})
    assert status == 404 and "mnist-encoder" in answer["error"]  # type: ignore[index]
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
    wrong = grpcclient.InferInput("images", [1, 27, 28], "UINT8")
    wrong.set_data_from_numpy(np.zeros((1, 27, 28), np.uint8))
    with pytest.raises(InferenceServerException, match=r"INVALID_ARGUMENT.*shape must be"):
        client.infer("mnist-encoder", [wrong])
    with pytest.raises(InferenceServerException, match="NOT_FOUND"):
        client.get_model_metadata("nope")


def test_token_guards_v2_but_not_its_probes(tiny_dir: object) -> None:
    config = ServeConfig(models=(str(tiny_dir),), device="cpu", threads=1, token="s3cret")
    with TestClient(create_app(config), base_url=LOCAL) as client:
        assert client.get("/v2/health/ready").json() == {"ready": True}
        refused = client.get("/v2/models/tiny-encoder")
        assert refused.status_code == 401 and list(refused.json()) == ["error"]
        allowed = client.get("/v2/models/tiny-encoder", headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200 and allowed.json()["inputs"][0]["name"] == "images"


def test_tiny_model_round_trip_in_json(client: TestClient, tiny_dir: object) -> None:
    """The tiny model's REVERSED code order: the generator's one-hot is in code order, the encoder reads it back."""
    generator = Generator(str(tiny_dir), device="cpu", threads=1)
    latents = generator.latents(digits=[3, 7], seed=1)
    feeds = {**latents.feeds(generator.spec, slice(0, 2)), "continuous": latents.continuous}
    body = {"id": "r1", "inputs": [{"name": name, "shape": list(value.shape), "datatype": "FP32",
                                    "data": value.tolist()} for name, value in feeds.items()]}
    answer = client.post("/v2/models/tiny-generator/infer", json=body)
    assert answer.status_code == 200 and answer.json()["id"] == "r1"
    (images,) = answer.json()["outputs"]
    assert images["datatype"] == "UINT8" and images["shape"] == [2, 28, 28]
    assert_same_render(np.asarray(images["data"], np.uint8).reshape(2, 28, 28), generator.render(latents).images)
    soft = {**body, "inputs": [{**body["inputs"][1], "data": (np.asarray(feeds["categorical"]) * 0.5).tolist()}
                               if entry["name"] == "categorical" else entry for entry in body["inputs"]]}
    refused = client.post("/v2/models/tiny-generator/infer", json=soft)
    assert refused.status_code == 400 and "one-hot" in refused.json()["error"]


def test_infer_reads_the_model_and_version_from_the_path(client: TestClient) -> None:
    """Version 1 by path or by ?version= (as FastAPI read it when they were parameters); any other is a 404."""
    body = {"inputs": [{"name": "images", "shape": [1, 28, 28], "datatype": "UINT8", "data": [0] * 784}]}
    for path in ("/v2/models/tiny-encoder/infer", "/v2/models/tiny-encoder/versions/1/infer",
                 "/v2/models/tiny-encoder/infer?version=1"):
        assert client.post(path, json=body).json()["model_name"] == "tiny-encoder", path
    for path, says in (("/v2/models/tiny-encoder/versions/2/infer", "has only version 1, got '2'"),
                       ("/v2/models/tiny-encoder/infer?version=2", "has only version 1, got '2'"),
                       ("/v2/models/nope/infer", "no model named 'nope'")):
        refused = client.post(path, json=body)
        assert refused.status_code == 404 and says in refused.json()["error"], (path, refused.text)


ANSWER = ("domain_score", "in_domain")  # a model's "one of mine" answer, as models other than MNIST's name it


@pytest.fixture(scope="module")
def general_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A format 2 tiny model whose encoder has a domain_score (its mean pixel) and the manifest its threshold."""
    return as_format2(build_model(tmp_path_factory.mktemp("serve") / "general", MAIN_SPEC, REVERSED,
                                  ["rotation", "width"], domain_threshold=THRESHOLD))


def test_the_domain_answer_is_an_encoder_output_only_where_the_model_has_one(general_dir: Path,
                                                                             tiny_dir: Path) -> None:
    """Metadata, configuration and a JSON infer: domain_score and in_domain as Encoder.infer gives them; a model
    without a score lists neither."""
    config = ServeConfig(models=(str(general_dir), str(tiny_dir)), device="cpu", threads=1)
    pair = images()  # bright enough, and black: in_domain [True, False]
    expected = Encoder(general_dir, device="cpu", threads=1).infer(pair, preprocess="none")
    body = {"inputs": [{"name": "images", "shape": list(pair.shape), "datatype": "UINT8",
                        "data": pair.ravel().tolist()}]}
    with TestClient(create_app(config), base_url=LOCAL) as client:
        outputs = client.get("/v2/models/general-encoder").json()["outputs"]
        assert [tensor for tensor in outputs if tensor["name"] in ANSWER] == [
            {"name": "domain_score", "datatype": "FP32", "shape": [-1]},
            {"name": "in_domain", "datatype": "BOOL", "shape": [-1]}]
        configured = client.get("/v2/models/general-encoder/config").json()["output"]
        assert [tensor for tensor in configured if tensor["name"] in ANSWER] == [
            {"name": "domain_score", "data_type": "TYPE_FP32", "dims": []},
            {"name": "in_domain", "data_type": "TYPE_BOOL", "dims": []}]
        found = {tensor["name"]: tensor for tensor in
                 client.post("/v2/models/general-encoder/infer", json=body).json()["outputs"]}
        plain = client.get("/v2/models/tiny-encoder").json()["outputs"]
        plain_configured = client.get("/v2/models/tiny-encoder/config").json()["output"]
    assert found["domain_score"]["datatype"] == "FP32" and found["domain_score"]["shape"] == [2]
    assert expected.domain_score is not None and expected.in_domain is not None
    np.testing.assert_allclose(found["domain_score"]["data"], expected.domain_score, rtol=1e-6, atol=1e-6)
    assert found["in_domain"]["data"] == expected.in_domain.tolist() == [True, False]
    assert "digit_score" not in found and "is_digit" not in found  # MNIST's names are MNIST models' only
    assert not {tensor["name"] for tensor in plain + plain_configured} & {*ANSWER, "digit_score", "is_digit"}


@pytest.fixture(scope="module")
def general_server(general_dir: Path) -> Iterator[tuple[str, int]]:
    """(host:port of REST, gRPC port) of `infogan serve --model GENERAL --grpc-port P`."""
    grpc_port = free_port()
    with serving("--model", str(general_dir), "--grpc-port", str(grpc_port)) as (url, _):
        yield url.removeprefix("http://"), grpc_port


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["http-binary", "http-json", "grpc"])
def test_real_clients_get_the_domain_answer(general_server: tuple[str, int], general_dir: Path,
                                            protocol: str) -> None:
    address, grpc_port = general_server
    module = grpcclient if protocol == "grpc" else httpclient
    client = module.InferenceServerClient(f"127.0.0.1:{grpc_port}" if protocol == "grpc" else address)
    binary = {} if protocol == "grpc" else {"binary_data": protocol == "http-binary"}
    metadata = client.get_model_metadata("general-encoder")
    listed = [(tensor.name, tensor.datatype, list(tensor.shape)) for tensor in metadata.outputs] \
        if protocol == "grpc" else [(tensor["name"], tensor["datatype"], tensor["shape"]) for tensor in
                                    metadata["outputs"]]
    assert [entry for entry in listed if entry[0] in ANSWER] == [("domain_score", "FP32", [-1]),
                                                                 ("in_domain", "BOOL", [-1])]
    pair = images()
    read = module.InferInput("images", list(pair.shape), "UINT8")
    read.set_data_from_numpy(pair, **binary)
    answer = client.infer("general-encoder", [read],
                          outputs=[module.InferRequestedOutput(name, **binary) for name in ANSWER])
    expected = Encoder(general_dir, device="cpu", threads=1).infer(pair, preprocess="none")
    assert expected.domain_score is not None and expected.in_domain is not None
    np.testing.assert_allclose(answer.as_numpy("domain_score"), expected.domain_score, rtol=1e-6, atol=1e-6)
    assert answer.as_numpy("in_domain").tolist() == expected.in_domain.tolist() == [True, False]
