"""Running the service with uvicorn: bind, serve until SIGTERM or SIGINT, then finish in-flight requests and exit."""

from __future__ import annotations

import logging

import uvicorn

from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig

GRACEFUL_SECONDS = 5  # after SIGTERM, how long in-flight requests may take before connections are closed


def run(config: ServeConfig, log_level: str = "info") -> None:
    """Serve until told to stop. Raises the SDK's error if a model cannot be loaded, OSError if the port is taken."""
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, log_level=log_level,
                                           timeout_graceful_shutdown=GRACEFUL_SECONDS, access_log=False,
                                           server_header=False))
    try:
        server.run()  # uvicorn handles SIGTERM / SIGINT: stops accepting, drains, runs the lifespan's shutdown
    except SystemExit as stop:  # uvicorn exits when start-up fails; a library must raise instead
        error = app.state.startup_error
        if isinstance(error, Exception):
            raise error from None
        raise OSError(f"could not serve on {config.host}:{config.port} (uvicorn exit code {stop.code}; see the log "
                      "above)") from None
    logging.getLogger(__name__).info("stopped")
