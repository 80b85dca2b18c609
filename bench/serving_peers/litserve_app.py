"""LitServe: one LitAPI per role (POST /generator, /encoder; Open Inference Protocol JSON in and out), batching
up to 64 requests with no wait (batch_timeout 0), one inference worker, one API server process. Run in its venv
(`envs`). No `from __future__ import annotations`: LitServe reads decode_request's annotation as a type."""

from typing import Any

import litserve as ls

from bench.serving_peers.work import MAX_BATCH, Arrays, Work, arguments, from_request, join, split, to_response


class Api(ls.LitAPI):  # type: ignore[misc]
    def __init__(self, role: str, model_dir: str, threads: int) -> None:
        super().__init__(max_batch_size=MAX_BATCH, batch_timeout=0.0, api_path=f"/{role}")
        self.role, self.model_dir, self.threads = role, model_dir, threads

    def setup(self, device: str) -> None:
        self.work = Work(self.model_dir, self.threads)

    def decode_request(self, request: dict[str, Any]) -> Arrays:
        return from_request(request)

    def batch(self, inputs: list[Arrays]) -> tuple[Arrays, list[int]]:
        return join(inputs), [len(next(iter(one.values()))) for one in inputs]

    def predict(self, batched: tuple[Arrays, list[int]]) -> list[Arrays]:
        inputs, sizes = batched
        return split(self.work.run(self.role, inputs), sizes)

    def unbatch(self, outputs: list[Arrays]) -> list[Arrays]:
        return outputs

    def encode_response(self, outputs: Arrays) -> dict[str, Any]:
        return to_response(self.role, outputs)


def main() -> None:
    args = arguments(__doc__ or "")
    server = ls.LitServer([Api(role, args.model_dir, args.threads) for role in ("generator", "encoder")],
                          accelerator="cpu", workers_per_device=1)
    server.run(host="127.0.0.1", port=args.port, generate_client_file=False, log_level="warning")


if __name__ == "__main__":
    main()
