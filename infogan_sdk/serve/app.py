"""The FastAPI application: models loaded once at start-up (lifespan), the guards, the routes and the playground."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

import infogan_sdk
from infogan_sdk.serve import errors, routes
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.guards import Guards
from infogan_sdk.serve.oip import rest as oip_rest
from infogan_sdk.serve.registry import Registry

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION = """Generate MNIST digits from InfoGAN codes and read the codes of digit images.

Errors are JSON `{"error": code, "detail": message}`. With a token (`--token` or `INFOGAN_TOKEN`) every `/v1/`
endpoint needs `Authorization: Bearer <token>`; the health endpoints, this page and the playground do not.
The ONNX contract for clients that skip the API: docs/SERVICE.md."""


def create_app(config: ServeConfig | None = None, on_ready: Callable[[list[str]], None] | None = None) -> FastAPI:
    """The service for `config` (default: the bundled "mnist" model). Models load when the app starts (lifespan);
    then `on_ready` is called with their names."""
    settings = config or ServeConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.startup_error = None
        try:
            app.state.registry.load(settings)
            grpc_server = await _start_grpc(app, settings)
        except Exception as error:
            app.state.startup_error = error  # `run` re-raises it, so the CLI prints one line and exits 1
            raise
        if on_ready is not None:
            on_ready([entry["name"] for entry in app.state.registry.descriptions()])
        yield
        logger.info("shutting down")
        if grpc_server is not None:
            await app.state.grpc_drain()
        app.state.registry.close()

    # /docs and /redoc with their scripts served from here (fastapi-offline's copies), not from CDNs: offline too
    app = FastAPIOffline(title="infogan serve", version=infogan_sdk.__version__, description=DESCRIPTION,
                         lifespan=lifespan, static_url="/static-docs")
    app.state.config = settings
    app.state.registry = Registry()
    app.state.startup_error = None
    app.state.heavy = 0  # heavy infer / edit requests in flight (routes._heavy_slot)
    app.state.stopping = threading.Event()  # set by `serve.server` once in-flight requests' grace is over
    errors.install(app)
    # a request is matched against the routes in order, and FastAPI 0.165 spends microseconds on each: the inference
    # routers first, the health probes last
    app.include_router(routes.api)
    app.include_router(oip_rest.router)  # the Open Inference Protocol (KServe V2, Triton's REST)
    app.include_router(routes.health)
    app.add_api_route("/", playground, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guards, config=settings, stopping=app.state.stopping)
    if settings.cors_origins:  # outermost, so browser preflights are answered before the token check
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Accept", "X-Shape",
                                                                   "Inference-Header-Content-Length"],
                           expose_headers=["X-Shape", "X-Digits", "Inference-Header-Content-Length"])
    return app


async def _start_grpc(app: FastAPI, settings: ServeConfig) -> Any:
    """The Open Inference Protocol's gRPC server on --grpc-port (the grpc extra), or None; `app.state.grpc_drain`
    stops it taking calls and waits for those in flight (the server's shutdown calls it when it begins)."""
    if settings.grpc_port is None:
        return None
    from infogan_sdk.serve.oip import grpc_server  # grpcio: imported only when asked for

    server = await grpc_server.start(app.state.registry, settings, settings.grpc_port)
    app.state.grpc_drain = lambda: server.stop(grpc_server.GRACE_SECONDS)
    return server


def playground() -> FileResponse:
    """The web playground: draw a digit and watch it read; move the codes and watch a digit change."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
