"""The Open Inference Protocol's REST endpoints under /v2 (kserve/open-inference-protocol, inference_rest.md), plus
Triton's model configuration at /v2/models/{name}/config. Errors are `{"error": message}` (serve.errors.answer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

import infogan_sdk
from infogan_sdk.errors import shown
from infogan_sdk.serve.codec import json_response
from infogan_sdk.serve.errors import ApiError
from infogan_sdk.serve.oip import binary
from infogan_sdk.serve.oip.models import VERSION, OipModel, catalog
from infogan_sdk.serve.routes import Direct, registry
from infogan_sdk.serve.routes import config as settings

SERVER = "infogan serve"
EXTENSIONS = ["binary_tensor_data", "model_configuration"]
MODEL = "/models/{name}"
VERSIONED = "/models/{name}/versions/{version}"

router = APIRouter(prefix="/v2", tags=["open inference protocol"])


async def infer(request: Request) -> Response:
    # the name and version read here, not as parameters: FastAPI validating two strings took 4% of a request
    path = request.path_params
    model = model_named(request, path["name"], path.get("version", request.query_params.get("version")))
    parsed = binary.parse(await request.body(), request.headers.get(binary.HEADER), model)
    outputs = await model.infer(parsed.inputs, [name for name, _ in parsed.outputs], settings(request))
    body, headers = binary.answer(model, parsed.id, outputs, parsed.outputs)
    return Response(body, headers=headers)


# first, the unversioned path before the versioned one: routes are matched in order (see app.create_app)
router.add_api_route(MODEL + "/infer", infer, methods=["POST"], route_class_override=Direct,
                     summary="run a model on JSON or binary tensors (Triton's binary tensor extension)",
                     openapi_extra={"parameters": [
                         {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                         {"name": "version", "in": "query", "required": False, "schema": {"type": "string"}}]})
router.add_api_route(VERSIONED + "/infer", infer, methods=["POST"], route_class_override=Direct,
                     include_in_schema=False)


@router.get("", summary="server metadata")
def server_metadata() -> dict[str, Any]:
    return {"name": SERVER, "version": infogan_sdk.__version__, "extensions": EXTENSIONS}


@router.get("/health/live", summary="the process is up")
def live() -> dict[str, bool]:
    return {"live": True}


@router.get("/health/ready", summary="every model loaded and warmed up")
def ready(request: Request) -> Response:
    is_ready = registry(request).ready
    return json_response({"ready": is_ready}, 200 if is_ready else 503)


@router.get(MODEL, summary="a model's inputs and outputs")
@router.get(VERSIONED, include_in_schema=False)
def metadata(name: str, request: Request, version: str | None = None) -> dict[str, Any]:
    return model_named(request, name, version).metadata()


@router.get(MODEL + "/ready", summary="whether a model can infer")
@router.get(VERSIONED + "/ready", include_in_schema=False)
def model_ready(name: str, request: Request, version: str | None = None) -> dict[str, Any]:
    return {"name": model_named(request, name, version).name, "ready": True}


@router.get(MODEL + "/config", summary="the model's configuration as Triton gives it (for perf_analyzer)")
@router.get(VERSIONED + "/config", include_in_schema=False)
def config(name: str, request: Request, version: str | None = None) -> dict[str, Any]:
    return model_named(request, name, version).config(settings(request))


def model_named(request: Request, name: str, version: str | None) -> OipModel:
    """The protocol model `name` (404 if none; only version 1 exists); 503 while the models load."""
    state = request.app.state
    models = getattr(state, "oip_models", None)
    if models is None:
        models = state.oip_models = catalog(registry(request))
    if name not in models:
        raise ApiError(404, f"no model named {shown(name)}; models: {', '.join(models)}")
    if version not in (None, VERSION):
        raise ApiError(404, f"model {name!r} has only version {VERSION}, got {shown(version)}")
    model: OipModel = models[name]
    return model
