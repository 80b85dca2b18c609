"""`python -m bench.data`: how fast data sets reach a training step, in images per second.

    python -m bench.data                          # 4,000 generated 32x32 RGB PNGs, and MNIST
    python -m bench.data --images 20000 --workers 2 --json data-bench.json

For a generated image folder: the first open (every file decoded, by this process or by worker processes, into
the cache), a second open (the cache memory-mapped), and random batches read from it as the training loop reads
them (`train.data` tensors -> `train.pixels.to_pixels`). For MNIST: the open (gzip and IDX) and the same batches.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from bench.timing import cpu_name
from imagedata import DataSet, Options, open_source
from infogan_sdk.spec import LatentSpec
from train.data import as_tensors
from train.pixels import to_pixels


def write_folder(root: Path, count: int, size: int, classes: int = 10, seed: int = 0) -> None:
    """`count` RGB PNGs of `size` in `classes` class folders: a class's colour gradient plus noise (compresses as
    photos do, not as flat colour)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size)[None, :, None] * np.linspace(0, 1, size)[:, None, None]  # (size, size, 1)
    for index in range(count):
        label = index % classes
        colour = np.asarray([(label * 37) % 256, (label * 91) % 256, (label * 53) % 256])
        pixels = ramp * colour + rng.normal(0, 20, size=(size, size, 3))
        (root / f"class{label}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(root / f"class{label}" / f"{index:06d}.png")


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def batches(data: DataSet, batch: int, count: int) -> float:
    """Seconds for `count` random batches read as the loop reads them: index the tensor, scale to pixels."""
    tensors = as_tensors(data)
    channels, height, width = data.image_shape
    spec = LatentSpec(image_shape=(channels, height, width))
    order = torch.randperm(len(tensors.images), generator=torch.Generator().manual_seed(0))
    started = time.perf_counter()
    for step in range(count):
        start = (step * batch) % max(len(order) - batch, 1)
        to_pixels(tensors.images[order[start:start + batch]], spec)
    return time.perf_counter() - started


def measure(images: int, size: int, workers: int, batch: int, count: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "pictures"
        write_folder(folder, images, size)
        for processes in sorted({0, workers}):
            options = Options(cache_dir=Path(scratch) / f"cache{processes}", workers=processes)
            data, cold = timed(lambda: open_source(f"folder:{folder}", options))  # noqa: B023
            _, warm = timed(lambda: open_source(f"folder:{folder}", options))  # noqa: B023
            rows.append(_row(f"folder {size}x{size} RGB", f"first open, {processes} workers", images, cold))
            rows.append(_row(f"folder {size}x{size} RGB", f"open from cache, {processes} workers", images, warm))
        rows.append(_row(f"folder {size}x{size} RGB", f"random batches of {batch}", batch * count,
                         batches(data, batch, count)))
    mnist, seconds = timed(lambda: open_source("mnist", Options()))
    rows.append(_row("mnist 28x28 grey", "open (gzip + IDX)", len(mnist.train) + len(mnist.test), seconds))
    rows.append(_row("mnist 28x28 grey", f"random batches of {batch}", batch * count, batches(mnist, batch, count)))
    return rows


def _row(source: str, what: str, images: int, seconds: float) -> dict[str, Any]:
    return {"source": source, "what": what, "images": images, "seconds": round(seconds, 3),
            "images_per_second": round(images / max(seconds, 1e-9))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.data", description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=4000, help="images in the generated folder")
    parser.add_argument("--size", type=int, default=32, help="their side in pixels")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1), help="decoding processes")
    parser.add_argument("--batch", type=int, default=128, help="images per training batch")
    parser.add_argument("--batches", type=int, default=200, help="batches read")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a data loader's share of a training process; the step gets the rest
    rows = measure(args.images, args.size, args.workers, args.batch, args.batches)
    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical cores), torch threads 1")
    print(f"{'source':<22} {'what':<32} {'images':>8} {'seconds':>8} {'images/s':>10}")
    for row in rows:
        print(f"{row['source']:<22} {row['what']:<32} {row['images']:>8} {row['seconds']:>8.3f} "
              f"{row['images_per_second']:>10,}")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_name(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
