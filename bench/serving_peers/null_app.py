"""The floor under every HTTP server: an ASGI app that reads the request's body and answers a fixed 2-byte JSON
body, under the same uvicorn (httptools, uvloop, no access log) as `infogan serve`. Run in the main environment:
`python -m bench.serving_peers.null_app --model-dir - --threads 1 --port P`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"2")]


async def app(scope: Message, receive: Callable[[], Awaitable[Message]],
              send: Callable[[Message], Awaitable[None]]) -> None:
    if scope["type"] != "http":  # run with lifespan="off": http only
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b"{}"})


def main() -> None:
    import uvicorn

    from bench.serving_peers.work import arguments

    args = arguments(__doc__ or "")
    uvicorn.run(app, host="127.0.0.1", port=args.port, http="httptools", loop="uvloop", access_log=False,
                log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
