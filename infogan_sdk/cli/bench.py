"""`infogan bench`: this machine's speed on a model, timed through the public API."""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import timeit
from collections.abc import Callable
from typing import Any

from infogan_sdk import Encoder, Generator
from infogan_sdk.cli.arguments import common, positive


def add_bench(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subcommands.add_parser("bench", parents=[common()], help="time generate and infer on this machine "
                                   "(with --variant, a variant's files, e.g. int8 made by export/quantize.py)")
    bench.add_argument("--batch", type=positive, default=256, help="images per call for throughput (default 256)")
    bench.add_argument("--repeats", type=positive, default=50, help="timed batch-1 calls (default 50; a tenth "
                       "as many batch calls)")
    bench.add_argument("--threads", type=positive, help="onnxruntime intra-op threads (default: onnxruntime's)")
    bench.add_argument("--json", action="store_true", help="JSON instead of text")
    bench.set_defaults(handler=bench_command)


def bench_command(args: argparse.Namespace) -> int:
    """This machine's speed: generate and infer, batch-1 median latency and batch-N throughput."""
    generator = Generator(args.model, device=args.device, variant=args.variant, threads=args.threads)
    encoder = Encoder(args.model, device=args.device, variant=args.variant, threads=args.threads)
    images = generator.generate(count=args.batch, seed=0).images
    calls: dict[str, Callable[[int], object]] = {"generate": lambda n: generator.generate(count=n, seed=0),
                                                 "infer": lambda n: encoder.infer(images[:n])}
    report: dict[str, Any] = {"model": str(generator.path), "device": generator.device,
                              "providers": generator.providers, "threads": args.threads, "batch": args.batch,
                              **{name: _speed(call, args.batch, args.repeats) for name, call in calls.items()}}
    lines = [f"{report['model']} on {generator.device} ({', '.join(generator.providers)}), "
             f"threads {args.threads or 'auto'}",
             *(f"{name:<9} batch 1: {report[name]['batch1_p50_ms']:8.3f} ms (median)   batch {args.batch}: "
               f"{report[name]['images_per_second']:9.0f} images/s" for name in calls)]
    print(json.dumps(report, indent=2) if args.json else "\n".join(lines))
    return 0


def _speed(call: Callable[[int], object], batch: int, repeats: int) -> dict[str, float]:
    """Median time of `repeats` batch-1 calls and of a tenth as many `batch` calls, after a warm-up call each."""
    medians = [statistics.median(timeit.repeat(functools.partial(call, size), repeat=count + 1, number=1)[1:])
               for size, count in ((1, repeats), (batch, max(1, repeats // 10)))]  # [1:]: the warm-up call
    return {"batch1_p50_ms": 1e3 * medians[0], "images_per_second": batch / medians[1]}
