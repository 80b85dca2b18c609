"""Ray Serve: one deployment per role (POST /generator, /encoder; Open Inference Protocol JSON in and out), one
replica each, `@serve.batch` up to 64 requests with no wait; max_ongoing_requests raised to the batch size (its
default, 5, caps every batch at 5: ray#43288). A local Ray cluster of this process. Run in its venv (`envs`)."""

from __future__ import annotations

import time
from typing import Any

import ray
from ray import serve
from starlette.requests import Request

from bench.serving_peers.work import MAX_BATCH, Arrays, Work, arguments, from_request, join, split, to_response


@serve.deployment(max_ongoing_requests=MAX_BATCH, num_replicas=1, ray_actor_options={"num_cpus": 0})
class Model:
    def __init__(self, role: str, model_dir: str, threads: int) -> None:
        self.role = role
        self.work = Work(model_dir, threads)

    @serve.batch(max_batch_size=MAX_BATCH, batch_wait_timeout_s=0.0)
    async def run(self, requests: list[Arrays]) -> list[Arrays]:
        return split(self.work.run(self.role, join(requests)), [len(next(iter(one.values()))) for one in requests])

    async def __call__(self, request: Request) -> dict[str, Any]:
        return to_response(self.role, await self.run(from_request(await request.json())))


def main() -> None:
    args = arguments(__doc__ or "")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": args.port})
    for role in ("generator", "encoder"):
        serve.run(Model.bind(role, args.model_dir, args.threads), name=role, route_prefix=f"/{role}")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
