"""Data parallelism under torchrun: process group set-up and gradient averaging.

Gradients are averaged with one all-reduce per network over a flat buffer (what
DistributedDataParallel does, without its hooks, which do not fit InfoGAN's two backward passes
through the shared discriminator body). BatchNorm buffers follow rank 0, as with DDP's
broadcast_buffers. Outside torchrun (no WORLD_SIZE) everything here is a no-op.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def setup(device: str) -> tuple[int, int]:
    """Join the process group if launched by torchrun; returns (rank, world size)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    if not dist.is_initialized():
        use_cuda = device != "cpu" and torch.cuda.is_available()
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return dist.get_rank(), dist.get_world_size()


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def pick_device(device: str, rank: int) -> torch.device:
    """"auto" -> this rank's CUDA device if there is one, else CPU; or the device asked for."""
    if device == "auto":
        if torch.cuda.is_available():
            local = int(os.environ.get("LOCAL_RANK", rank))
            return torch.device("cuda", local % torch.cuda.device_count())
        return torch.device("cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} was asked for but torch sees no CUDA device")
    return torch.device(device)


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def average_gradients(module: nn.Module) -> None:
    """All-reduce the gradients of `module` to their mean over ranks (one flat buffer)."""
    if not dist.is_initialized():
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    flat = torch.cat([g.flatten(0) for g in grads])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def sync_buffers(*modules: nn.Module) -> None:
    """Copy rank 0's BatchNorm running statistics to every rank."""
    if not dist.is_initialized():
        return
    for module in modules:
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)
