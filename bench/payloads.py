"""The serving section's requests, one image each, built once and sent unchanged by every client: Open Inference
Protocol bodies as tritonclient builds them (JSON, or binary tensors both ways), `/v1`'s JSON bodies, and a gRPC
ModelInfer call with raw tensors, serialized once.

    generate: noise, categorical (one-hot), continuous FP32 (1, width) of Generator.latents(digits=[7], seed=1)
    infer:    images UINT8 (1, 28, 28): that latent's image
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import grpc
import numpy as np
import orjson
import tritonclient.http as httpclient
from numpy.typing import NDArray
from PIL import Image

from bench.load import Body
from bench.serving_peers.work import DATATYPES, Arrays, Work
from infogan_sdk.serve.oip.proto import open_inference_grpc_pb2

CALLS = ("generate", "infer")
ROLES = {"generate": "generator", "infer": "encoder"}
MODEL_INFER = "/inference.GRPCInferenceService/ModelInfer"
JSON = {"Content-Type": "application/json"}


def inputs(work: Work) -> dict[str, Arrays]:
    """Each call's one-image inputs, by tensor name."""
    generator = work.generator
    feeds = generator.latents(digits=[7], seed=1).feeds(generator.spec, slice(0, 1))
    return {"generate": feeds, "infer": {"images": work.generate(feeds)["images"]}}


def oip_json(arrays: Arrays, outputs: list[str]) -> Body:
    """Inputs as JSON data, `outputs` asked for as JSON (named: Triton answers raw tensors when none are)."""
    return _oip(arrays, False, outputs)


def oip_binary(arrays: Arrays, outputs: list[str]) -> Body:
    """Inputs as raw tensors after the JSON header, `outputs` asked for raw too (what tritonclient sends)."""
    return _oip(arrays, True, outputs)


def _oip(arrays: Arrays, binary: bool, outputs: list[str]) -> Body:
    tensors = []
    for name, array in arrays.items():
        tensor = httpclient.InferInput(name, list(array.shape), DATATYPES[array.dtype])
        tensor.set_data_from_numpy(array, binary_data=binary)
        tensors.append(tensor)
    wanted = [httpclient.InferRequestedOutput(name, binary_data=binary) for name in outputs]
    content, header = httpclient.InferenceServerClient.generate_request_body(tensors, wanted)
    return Body(content, {"Inference-Header-Content-Length": str(header)} if header else dict(JSON))


def v1(call: str, images: NDArray[np.uint8]) -> Body:
    """`/v1`'s body: {"digits": [7], "seed": 1}, or the image as a base64 PNG."""
    if call == "generate":
        return Body(orjson.dumps({"digits": [7], "seed": 1}), dict(JSON))
    buffer = io.BytesIO()
    Image.fromarray(images[0]).save(buffer, format="PNG")
    return Body(orjson.dumps({"images": [base64.b64encode(buffer.getvalue()).decode()]}), dict(JSON))


def grpc_request(model: str, arrays: Arrays) -> bytes:
    """A serialized ModelInferRequest with raw_input_contents."""
    pb: Any = open_inference_grpc_pb2
    request = pb.ModelInferRequest(model_name=model)
    for name, array in arrays.items():
        request.inputs.add(name=name, datatype=DATATYPES[array.dtype], shape=list(array.shape))
        request.raw_input_contents.append(np.ascontiguousarray(array).tobytes())
    serialized: bytes = request.SerializeToString()
    return serialized


def grpc_client(port: int, request: bytes) -> Callable[[], Callable[[int], object]]:
    """A factory of clients, each on its own channel, sending the serialized `request` (bytes in, bytes out)."""
    def make() -> Callable[[int], object]:
        call = grpc.insecure_channel(f"127.0.0.1:{port}").unary_unary(MODEL_INFER)

        def send(index: int) -> object:
            return call(request, timeout=30)
        return send
    return make
