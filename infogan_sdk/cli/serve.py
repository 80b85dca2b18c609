"""`infogan serve`: the HTTP API and playground (the serve extra's fastapi and uvicorn, imported only to run)."""

from __future__ import annotations

import argparse
import sys

from infogan_sdk import InfoGANError, available_models
from infogan_sdk.cli.arguments import positive
from infogan_sdk.serve.config import ServeConfig  # the limits' defaults; imports no web library


def add_serve(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Not the common options: --model repeats here (several models); --device and -v as everywhere else.
    serve = subcommands.add_parser("serve", help="HTTP API and web playground (needs the serve extra: "
                                   "pip install 'infogan-sdk[serve]')")
    serve.add_argument("--device", default=argparse.SUPPRESS, help="auto (default), cpu, cuda or cuda:N")
    serve.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more to stderr")
    serve.add_argument("--model", action="append", dest="models", help="bundled model name or model folder; "
                       "repeat to serve several, the first is the default (default: every bundled model, mnist first)")
    serve.add_argument("--host", default=ServeConfig.host, help="address to bind (default 127.0.0.1: this machine "
                       "only; 0.0.0.0 for every interface)")
    serve.add_argument("--port", type=int, default=ServeConfig.port, help="port (default 8000)")
    serve.add_argument("--grpc-port", type=int, help="also serve the Open Inference Protocol over gRPC on this "
                       "port (needs the grpc extra: pip install 'infogan-sdk[grpc]'; default: no gRPC)")
    serve.add_argument("--threads", type=positive, help="onnxruntime intra-op threads per session")
    serve.add_argument("--token", help="bearer token required on /v1/ (default $INFOGAN_TOKEN, which is better: "
                       "other users can read --token in ps; unset: no auth)")
    serve.add_argument("--cors-origin", action="append", default=[], help="origin allowed to call the API from a "
                       "browser, e.g. http://localhost:3000 (repeatable; default: CORS off)")
    for flag, default, what in (("--max-body-bytes", ServeConfig.max_body_bytes, "request body size in bytes "
                                 "(infer, edit)"),
                                ("--max-codes-bytes", ServeConfig.max_codes_bytes, "request body size in bytes of "
                                 "generate, traverse and /v2's generators (codes and noise)"),
                                ("--max-images", ServeConfig.max_images, "images per /v1/infer request"),
                                ("--max-pixels", ServeConfig.max_pixels, "pixels per uploaded image"),
                                ("--max-request-pixels", ServeConfig.max_request_pixels, "pixels per infer or edit "
                                 "request, all its images together"),
                                ("--max-generate", ServeConfig.max_generate, "images per generate/traverse call"),
                                ("--max-concurrent", ServeConfig.max_concurrent, "requests in flight; more get 503"),
                                ("--max-heavy", ServeConfig.max_heavy, "infer/edit requests in flight whose images "
                                 "declare over 2 M pixels in all; more get 503"),
                                ("--max-batch", ServeConfig.max_batch, "images per network call when concurrent "
                                 "requests share one (1: no batching)")):
        serve.add_argument(flag, type=positive, default=default, help=f"limit: {what} (default {default})")
    serve.add_argument("--allow-host", action="append", default=[], help="a Host name requests may use, e.g. "
                       "digits.example.com (repeatable; default: bound to loopback, only 127.0.0.1, localhost and "
                       "::1, so DNS rebinding cannot reach the API)")
    serve.add_argument("--body-seconds", type=float, default=ServeConfig.body_seconds,
                       help=f"limit: seconds a request's whole body may take to arrive (default "
                            f"{ServeConfig.body_seconds:g}; slower ones get 408 and hold no slot)")
    serve.add_argument("--batch-wait-ms", type=float, default=ServeConfig.batch_wait_ms,
                       help="how long a network call that is not full waits for more requests to join it (default "
                            f"{ServeConfig.batch_wait_ms:g}: never; requests that arrive while a call runs join the "
                            "next one anyway)")
    serve.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    """Run the HTTP API and playground until SIGTERM / Ctrl-C (the serve extra's fastapi and uvicorn, imported here)."""
    try:
        from infogan_sdk.serve.config import token_from_environment
        from infogan_sdk.serve.server import run
    except ImportError as error:
        raise InfoGANError(f"infogan serve needs the serve extra: pip install 'infogan-sdk[serve]' ({error})") \
            from error
    config = ServeConfig(models=tuple(args.models or _bundled_first(args.model)), host=args.host, port=args.port,
                         device=args.device, threads=args.threads, token=token_from_environment(args.token),
                         cors_origins=tuple(args.cors_origin), max_body_bytes=args.max_body_bytes,
                         max_codes_bytes=args.max_codes_bytes, max_request_pixels=args.max_request_pixels,
                         max_images=args.max_images, max_pixels=args.max_pixels, max_generate=args.max_generate,
                         max_concurrent=args.max_concurrent, max_heavy=args.max_heavy, max_batch=args.max_batch,
                         batch_wait_ms=args.batch_wait_ms, body_seconds=args.body_seconds,
                         allowed_hosts=tuple(args.allow_host), grpc_port=args.grpc_port)
    shown_host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{shown_host}:{config.port}"

    def ready(names: list[str]) -> None:  # the one line that says the server is up, even without -v
        print(f"infogan serve: ready at {url} (playground {url}/, API docs {url}/docs); models: "
              f"{', '.join(names)}; Ctrl-C or SIGTERM stops", file=sys.stderr, flush=True)

    if args.token is not None:
        print("infogan serve: warning: --token can be read by every user of this machine (ps); set INFOGAN_TOKEN "
              "instead", file=sys.stderr, flush=True)
    print(f"infogan serve: loading {', '.join(config.models)} ...", file=sys.stderr, flush=True)
    run(config, log_level="info" if args.verbose else "warning", on_ready=ready)
    return 0


def _bundled_first(model: str) -> list[str]:
    """`infogan serve` without --model: every bundled model, the global --model (default mnist) first."""
    return [model, *(name for name in available_models() if name != model)] if model in available_models() \
        else [model]
