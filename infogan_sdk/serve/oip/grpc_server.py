"""The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`, grpc.aio) on the service's event loop:
the same protocol models, batchers, token and limits as REST. Inputs come as raw_input_contents (what tritonclient
sends) or typed contents; outputs always go back as raw_output_contents. Needs the grpc extra."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import numpy as np
from numpy.typing import NDArray

import infogan_sdk
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError
from infogan_sdk.serve.guards import token_matches
from infogan_sdk.serve.oip import tensors
from infogan_sdk.serve.oip.models import VERSION, OipModel, catalog, check_input
from infogan_sdk.serve.oip.proto import open_inference_grpc_pb2, open_inference_grpc_pb2_grpc
from infogan_sdk.serve.oip.rest import EXTENSIONS, SERVER
from infogan_sdk.serve.registry import Registry

logger = logging.getLogger(__name__)
pb: Any = open_inference_grpc_pb2  # generated: its message classes are made at import, unseen by mypy
pb_grpc: Any = open_inference_grpc_pb2_grpc
GRACE_SECONDS = 5  # after SIGTERM, how long RPCs in flight may take (serve.server's grace for HTTP requests)
STATUS = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED, 404: grpc.StatusCode.NOT_FOUND,
          413: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE}
CONTENTS = {"BOOL": "bool_contents", "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
            "UINT64": "uint64_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
            "INT64": "int64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents"}


async def start(registry: Registry, settings: ServeConfig, port: int) -> grpc.aio.Server:
    """A started gRPC server on settings.host:port (OSError if the port cannot be bound)."""
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", settings.max_body_bytes),
                                      ("grpc.so_reuseport", 0)])
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(Service(registry, settings), server)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    if server.add_insecure_port(f"{host}:{port}") == 0:
        raise OSError(f"could not serve gRPC on {host}:{port}")
    await server.start()
    logger.info("gRPC on %s:%d", host, port)
    return server


class Service(open_inference_grpc_pb2_grpc.GRPCInferenceServiceServicer):
    """Each RPC checks the token and takes one of --max-concurrent slots, as /v1 and /v2 requests do."""

    def __init__(self, registry: Registry, settings: ServeConfig) -> None:
        self.registry = registry
        self.settings = settings
        self.in_flight = 0  # RPCs being handled (the event loop is one thread: no lock)
        self.models: dict[str, OipModel] | None = None

    async def ServerLive(self, request: Any, context: Any) -> Any:
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(self, request: Any, context: Any) -> Any:
        return pb.ServerReadyResponse(ready=self.registry.ready)

    async def ModelReady(self, request: Any, context: Any) -> Any:
        return await self._guarded(context, lambda: self._ready(request))

    async def ServerMetadata(self, request: Any, context: Any) -> Any:
        return pb.ServerMetadataResponse(name=SERVER, version=infogan_sdk.__version__, extensions=EXTENSIONS)

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        return await self._guarded(context, lambda: self._metadata(request))

    async def ModelInfer(self, request: Any, context: Any) -> Any:
        return await self._guarded(context, lambda: self._infer(request))

    async def _guarded(self, context: Any, work: Callable[[], Awaitable[Any]]) -> Any:
        token = self.settings.token
        if token is not None and not token_matches(dict(context.invocation_metadata()).get("authorization", ""),
                                                   token):
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "this server needs the metadata 'authorization: "
                                "Bearer <token>' (--token or INFOGAN_TOKEN)")
        if self.in_flight >= self.settings.max_concurrent:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"the server is handling {self.in_flight} requests, its "
                                "limit (--max-concurrent); retry shortly")
        self.in_flight += 1
        try:
            return await work()
        except ApiError as refused:
            await context.abort(STATUS.get(refused.status_code, grpc.StatusCode.INVALID_ARGUMENT), str(refused.detail))
        finally:
            self.in_flight -= 1

    def _model(self, name: str, version: str) -> OipModel:
        if self.models is None:
            self.models = catalog(self.registry)  # 503 while the models load
        if name not in self.models:
            raise ApiError(404, f"no model named {name!r}; models: {', '.join(self.models)}")
        if version not in ("", VERSION):
            raise ApiError(404, f"model {name!r} has only version {VERSION}, got {version!r}")
        return self.models[name]

    async def _ready(self, request: Any) -> Any:
        self._model(request.name, request.version)
        return pb.ModelReadyResponse(ready=True)

    async def _metadata(self, request: Any) -> Any:
        return pb.ModelMetadataResponse(**self._model(request.name, request.version).metadata())

    async def _infer(self, request: Any) -> Any:
        model = self._model(request.model_name, request.model_version)
        inputs = _inputs(request, model)
        wanted = [output.name for output in request.outputs] or [tensor.name for tensor in model.outputs]
        for name in wanted:
            model.output(name, f"output {name!r}")
        if len(set(wanted)) != len(wanted):
            raise tensors.bad("an output is asked for twice")
        outputs = await model.infer(inputs, wanted, self.settings)
        response = pb.ModelInferResponse(model_name=model.name, model_version=VERSION, id=request.id)
        for name in wanted:
            array = outputs[name]
            response.outputs.add(name=name, datatype=tensors.datatype_of(array), shape=list(array.shape))
            response.raw_output_contents.append(tensors.to_bytes(array))
        return response


def _inputs(request: Any, model: OipModel) -> dict[str, NDArray[Any]]:
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise tensors.bad(f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs")
    found: dict[str, NDArray[Any]] = {}
    for index, tensor in enumerate(request.inputs):
        where, shape = f"input {tensor.name!r}", tuple(tensor.shape)
        tensors.shape_of(list(shape), where)
        check_input(model, tensor.name, tensor.datatype, shape, where)
        if tensor.name in found:
            raise tensors.bad(f"{where} is given twice")
        if raw:
            found[tensor.name] = tensors.from_bytes(raw[index], tensor.datatype, shape, where)
        else:
            values = np.asarray(getattr(tensor.contents, CONTENTS[tensor.datatype]))
            found[tensor.name] = tensors.from_json(values.tolist(), tensor.datatype, shape, where)
    missing = [tensor.name for tensor in model.inputs if tensor.name not in found]
    if missing:
        raise tensors.bad(f"model {model.name!r} needs the inputs {', '.join(missing)}")
    return found
