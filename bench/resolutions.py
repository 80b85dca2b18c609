"""`python -m bench.resolutions`: seconds per GAN training step of each resolution's network, on CPU.

    python -m bench.resolutions                              # compact, batch 64, 1 thread: mnist, svhn, chairs
    python -m bench.resolutions --arch paper --threads 2 --presets svhn celeba

Each preset's latent layout and image shape (train/config.py PRESETS) with the named architecture, trained by the
real loop (`train.loop.train`) on fake data of that shape for a few steps, logging every step. A step's time is
the difference of metrics.jsonl's cumulative clock; the table gives the median and the fastest over the steps after
the first (its allocations left out). The machine's other load counts: run it on an idle one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench.timing import cpu_name
from train.bookkeeping import METRICS_NAME
from train.config import ARCHITECTURES, PRESETS, TrainConfig, architecture
from train.loop import train
from train.networks import build, parameter_count


def step_seconds(preset: str, arch: str, batch: int, steps: int) -> dict[str, object]:
    """One row: the preset's shape, the networks' parameters, and the median and fastest step in seconds."""
    spec = PRESETS[preset]
    model = architecture(arch, spec)
    config = TrainConfig(data="fake", fake_size=batch * (steps + 2), image_size=spec.image_shape[1],
                         channels=spec.image_shape[0], batch_size=batch, epochs=1, max_steps=steps + 1, log_every=1)
    with tempfile.TemporaryDirectory(prefix="bench-resolutions-") as out:
        train(model, config, Path(out) / "run", device="cpu")
        lines = (Path(out) / "run" / METRICS_NAME).read_text().splitlines()
    records = [json.loads(line) for line in lines]
    elapsed = np.array([r["step"] * batch / r["images_per_second"] for r in records])
    times = np.diff(elapsed)[1:]
    generator, discriminator = build(model, 0)
    return {"preset": preset, "shape": "x".join(map(str, spec.image_shape)), "arch": arch,
            "parameters": parameter_count(generator) + parameter_count(discriminator),
            "median_s": float(np.median(times)), "fastest_s": float(times.min()), "steps": len(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.resolutions", description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", choices=sorted(PRESETS), default=["mnist", "svhn", "chairs"])
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="compact")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=12, help="timed steps per preset")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [step_seconds(preset, args.arch, args.batch, args.steps) for preset in args.presets]
    print(f"CPU: {cpu_name()}, {args.threads} thread(s), batch {args.batch}, architecture {args.arch}")
    print("| preset | C x H x W | parameters | s/step (median) | fastest | steps |\n|---|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['preset']} | {row['shape']} | {row['parameters']:,} | {row['median_s']:.3f} | "
              f"{row['fastest_s']:.3f} | {row['steps']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
