"""PyTriton (nvidia-pytriton): Triton's C++ HTTP front end and dynamic batcher, the SDK's calls in its Python
stub, as models "generator" and "encoder" with `infogan serve`'s tensors. Run in its venv (`envs`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig

from bench.serving_peers.work import MAX_BATCH, Work, arguments


def main() -> None:
    args = arguments(__doc__ or "")
    grpc_port, metrics_port = (int(port) for port in args.spare_ports.split(","))
    work = Work(args.model_dir, args.threads)
    config = TritonConfig(http_address="127.0.0.1", http_port=args.port, grpc_address="127.0.0.1",
                          grpc_port=grpc_port, metrics_port=metrics_port, allow_metrics=False)
    with Triton(config=config) as triton:
        for role in ("generator", "encoder"):
            inputs, outputs = tensors(work, role)
            triton.bind(model_name=role, infer_func=batch(lambda role=role, **given: columns(work.run(role, given))),
                        inputs=inputs, outputs=outputs, strict=False,
                        config=ModelConfig(max_batch_size=MAX_BATCH, batcher=DynamicBatcher()))
        triton.serve()


def columns(outputs: dict[str, Any]) -> dict[str, Any]:
    """(N,) outputs as (N, 1): Triton's batched tensors have at least one dimension besides the batch."""
    return {name: array[:, None] if array.ndim == 1 else array for name, array in outputs.items()}


def tensors(work: Work, role: str) -> tuple[list[Tensor], list[Tensor]]:
    """The model's inputs and outputs (batch dimension left out), from one sample call."""
    spec = work.generator.spec
    if role == "generator":
        sample: dict[str, Any] = {name: np.zeros((1, width), np.float32)
                                  for name, width in spec.generator_inputs().items()}
        sample["categorical"][:, 0] = 1
    else:
        sample = {"images": np.zeros((1, *spec.image_shape[1:]), np.uint8)}
    answer = work.run(role, sample)
    return ([Tensor(name=name, dtype=array.dtype.type, shape=array.shape[1:]) for name, array in sample.items()],
            [Tensor(name=name, dtype=array.dtype.type, shape=array.shape[1:])
             for name, array in columns(answer).items()])


if __name__ == "__main__":
    main()
