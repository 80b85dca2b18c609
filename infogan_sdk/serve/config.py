"""What `infogan serve` runs with: the models, the address, the token and every limit (no web library here)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from infogan_sdk.errors import InvalidInputError, shown
from infogan_sdk.images.decode import MAX_PIXELS

TOKEN_VARIABLE = "INFOGAN_TOKEN"  # the bearer token, when --token is not given


@dataclass(frozen=True)
class ServeConfig:
    """The service's settings; every limit refuses a request that is over it (413, 422 or 503), never queues it.

    models: bundled names or model folders; the first is the default. threads: onnxruntime intra-op threads
    per session (None: onnxruntime's default). token: bearer token guarding /v1/ (None: no auth).
    cors_origins: origins allowed to call the API from a browser (empty: CORS off).
    """

    models: tuple[str, ...] = ("mnist",)
    host: str = "127.0.0.1"  # loopback only, unless told otherwise
    port: int = 8000
    device: str = "auto"
    threads: int | None = None
    token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 8 * 1024 * 1024  # request body of /v1/infer and /v1/edit, which carry images (413 beyond)
    # request body of /v1/generate and /v1/traverse: codes and noise only (256 images' noise is about 0.4 MB of
    # JSON), so a few MB of numbers are refused before they are parsed into Python floats (413 beyond)
    max_codes_bytes: int = 1024 * 1024
    max_images: int = 64  # images per /v1/infer request (413 beyond)
    max_pixels: int = 2048 * 2048  # pixels per uploaded image, checked on the header before decoding
    # pixels per /v1/infer or /v1/edit request, all its images together (413 beyond): decoding costs about 40 ns
    # a pixel on one core, so this bounds a request near 0.6 s (64 images of 2048x2048 were 9.8 s)
    max_request_pixels: int = 16 * 1024 * 1024
    max_generate: int = 256  # images per /v1/generate or /v1/traverse call (422 beyond)
    # /v1/ requests in flight; more are shed with 503 at once. Concurrent small requests share network calls
    # (max_batch), so many in flight cost little; heavy reads have their own, smaller limit (max_heavy)
    max_concurrent: int = 64
    # infer / edit requests in flight whose images declare more than 2 M pixels in all (503 beyond): each holds
    # up to ~100 MB while its images are decoded
    max_heavy: int = 8
    # images per network call when concurrent requests are gathered into one (a bigger request runs alone);
    # 1 turns batching off
    max_batch: int = 64
    batch_wait_ms: float = 0.0  # how long a batch that is not full waits for more requests (0: never waits)
    allowed_hosts: tuple[str, ...] = ()  # Host header names accepted (empty: loopback names when bound to loopback)
    body_seconds: float = 10.0  # a request's whole body must arrive within this (408 beyond); no slot is held
    grpc_port: int | None = None  # the Open Inference Protocol over gRPC on this port (None: no gRPC; the grpc extra)

    def __post_init__(self) -> None:
        if not self.models:
            raise InvalidInputError("serve needs at least one model")
        if len(set(self.models)) != len(self.models):
            raise InvalidInputError(f"models must be unique, got {list(self.models)}")
        limits = {"port": (self.port, 0, 65535), "max_body_bytes": (self.max_body_bytes, 1, 1 << 34),
                  "grpc_port": (self.grpc_port if self.grpc_port is not None else 0, 0, 65535),
                  "max_codes_bytes": (self.max_codes_bytes, 1, 1 << 34),
                  "max_request_pixels": (self.max_request_pixels, 1, 1 << 40),
                  "max_images": (self.max_images, 1, 100_000), "max_pixels": (self.max_pixels, 1, MAX_PIXELS),
                  "max_generate": (self.max_generate, 1, 100_000), "max_concurrent": (self.max_concurrent, 1, 10_000),
                  "max_heavy": (self.max_heavy, 1, 10_000), "max_batch": (self.max_batch, 1, 100_000),
                  "threads": (self.threads if self.threads is not None else 1, 1, 1024)}
        for name, (value, low, high) in limits.items():
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInputError(f"{name} must be an integer from {low} to {high}, got {shown(value)}")
        if isinstance(self.body_seconds, bool) or not isinstance(self.body_seconds, (int, float)) \
                or not 0.01 <= self.body_seconds <= 3600:
            raise InvalidInputError(f"body_seconds must be a number from 0.01 to 3600, got {shown(self.body_seconds)}")
        if isinstance(self.batch_wait_ms, bool) or not isinstance(self.batch_wait_ms, (int, float)) \
                or not 0 <= self.batch_wait_ms <= 1000:
            raise InvalidInputError(f"batch_wait_ms must be a number from 0 to 1000, got {shown(self.batch_wait_ms)}")
        if self.token is not None and (not self.token or not self.token.isprintable() or " " in self.token):
            raise InvalidInputError("the token must be non-empty printable text without spaces")

    def body_limit(self, path: str) -> int:
        """The most bytes a request body to `path` may have."""
        return self.max_codes_bytes if carries_codes(path) else self.max_body_bytes

    @staticmethod
    def body_flag(path: str) -> str:
        """The option that sets `body_limit(path)`."""
        return "--max-codes-bytes" if carries_codes(path) else "--max-body-bytes"

    @property
    def default_model(self) -> str:
        return self.models[0]

    @property
    def hosts(self) -> frozenset[str] | None:
        """The Host names a request may name (without the port), or None for any. Bound to loopback, only the
        loopback names and --allow-host ones: a web page whose domain rebinds to 127.0.0.1 (DNS rebinding) sends
        its own name and is refused."""
        if self.allowed_hosts:
            return frozenset(name.lower() for name in self.allowed_hosts)
        if self.host in LOOPBACK:
            return LOOPBACK
        return None


CODES_PATHS = frozenset({"/v1/generate", "/v1/traverse"})  # bodies of codes and noise, no images
# and the protocol's generator models: a JSON noise tensor near --max-body-bytes takes 0.2 s to parse, on the event loop
OIP_GENERATOR = re.compile(r"/v2/models/[^/]+-generator(/versions/[^/]+)?/infer")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def carries_codes(path: str) -> bool:
    """Whether `path` takes codes and noise only (the smaller --max-codes-bytes limit)."""
    return path in CODES_PATHS or OIP_GENERATOR.fullmatch(path) is not None


def token_from_environment(given: str | None) -> str | None:
    """--token if given, else $INFOGAN_TOKEN if set and non-empty, else None (no auth)."""
    return given if given is not None else os.environ.get(TOKEN_VARIABLE) or None
