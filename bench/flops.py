"""Counting a model's arithmetic, and this machine's float32 matrix-multiply ceiling to compare it with.

MACs (multiply-accumulates) are counted from the ONNX graph, for the four ops that hold nearly all the
work: Gemm, MatMul, Conv, ConvTranspose. Element-wise ops (bias already inside Gemm/Conv, activations,
Concat, Reshape) are not counted. FLOPs = 2 x MACs. Shapes come from ONNX shape inference at a fixed batch.
    Gemm (M, K) x (K, N):                 M * N * K
    MatMul:                               (output elements) * K
    Conv, weight (Cout, Cin/g, *k):       (output elements) * Cin/g * prod(k)
    ConvTranspose, weight (Cin, Cout/g, *k): (input elements) * Cout/g * prod(k)  (each input scatters)
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import onnx
import torch

COUNTED = ("Gemm", "MatMul", "Conv", "ConvTranspose")


def shapes_at_batch(model: onnx.ModelProto, batch: int) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape with the graph inputs' symbolic first axis set to `batch` (shape inference)."""
    model = copy.deepcopy(model)
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_value = batch
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    graph = inferred.graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if all(dim.HasField("dim_value") for dim in dims):
            shapes[value.name] = tuple(dim.dim_value for dim in dims)
    return shapes


def count_macs(model: onnx.ModelProto | str | Path, batch: int = 1) -> dict[str, int]:
    """MACs of one forward pass at `batch`, per op type (only the COUNTED ones); raises ValueError on an unknown
    shape."""
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    shapes = shapes_at_batch(model, batch)
    totals = dict.fromkeys(COUNTED, 0)
    for node in model.graph.node:
        if node.op_type not in COUNTED:
            continue
        missing = [name for name in (*node.input[:2], node.output[0]) if name not in shapes]
        if missing:
            raise ValueError(f"{node.op_type} node {node.name!r}: no static shape for {missing} at batch {batch}")
        a, b, out = shapes[node.input[0]], shapes[node.input[1]], shapes[node.output[0]]
        attributes = {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}
        if node.op_type == "Gemm":
            macs = out[0] * out[1] * (a[0] if attributes.get("transA", 0) else a[1])
        elif node.op_type == "MatMul":
            macs = math.prod(out) * a[-1]
        elif node.op_type == "Conv":
            macs = math.prod(out) * math.prod(b[1:])
        else:  # ConvTranspose
            macs = math.prod(a) * math.prod(b[1:])
        totals[node.op_type] += macs
    return totals


def model_flops(path: str | Path) -> int:
    """FLOPs (2 x MACs) of one image through the ONNX file at `path`."""
    return 2 * sum(count_macs(path, batch=1).values())


def torch_forward_flops(module: torch.nn.Module, *inputs: torch.Tensor) -> int:
    """FLOPs of one forward pass as PyTorch's own FlopCounterMode counts them (2 per MAC of mm/conv)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        module(*inputs)
    return int(counter.get_total_flops())


def matmul_ceiling(threads: int, sizes: tuple[int, ...] = (1024, 2048), repeats: int = 5) -> dict[str, float]:
    """Best float32 GFLOP/s of torch.mm on square matrices at this thread count (the machine's sgemm ceiling)."""
    torch.set_num_threads(threads)
    best, best_size = 0.0, 0
    generator = torch.Generator().manual_seed(0)
    for size in sizes:
        a, b = torch.randn(size, size, generator=generator), torch.randn(size, size, generator=generator)
        out = torch.empty(size, size)
        torch.mm(a, b, out=out)  # warm-up: thread pool, caches
        for _ in range(repeats):
            started = time.perf_counter()
            torch.mm(a, b, out=out)
            rate = 2 * size**3 / (time.perf_counter() - started) / 1e9
            if rate > best:
                best, best_size = rate, size
    return {"gflops": best, "size": best_size, "repeats": repeats}
