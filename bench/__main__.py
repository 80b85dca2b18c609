"""`python -m bench`: the SDK against PyTorch eager on the same weights, in one run, at each thread count.

    python -m bench --quick                  # about a minute: check that everything runs
    python -m bench --threads 1,2 --json bench-results.json
    python -m bench --sections inference,cold --model mnist-unsupervised
    python -m bench --sections serving       # infogan serve beside its peers under wrk (about 10 minutes)

Prints the tables (see docs/BENCHMARKS.md for what each row means) and writes every figure to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import torch

from bench import bulk, cold, editing, inference, peers, service, serving, training, variants
from bench.flops import matmul_ceiling, model_flops
from bench.report import render
from bench.timing import Budget, finished, machine
from bench.weights import torch_networks
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.loading.folders import resolve_model
from infogan_sdk.loading.manifest import load_manifest
from mnist_data.files import default_data_dir, load_mnist
from train.config import ModelConfig

SECTIONS = ("inference", "peers", "cold", "variants", "training", "service", "bulk", "editing", "serving")
DEFAULT_SECTIONS = SECTIONS[:-1]
ARCHITECTURES = ("paper", "compact")
SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"  # the checkout's neighbour


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short timings, one cold start, 3 training steps")
    parser.add_argument("--model", default="mnist", help="bundled model name or model folder (default mnist)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--json", nargs="?", const="bench-results.json", default="bench-results.json",
                        help="where to write the results (default bench-results.json)")
    parser.add_argument("--sections", default=",".join(DEFAULT_SECTIONS),
                        help=f"subset of {','.join(SECTIONS)}, or none (default all but serving, which starts "
                             "every peer: python -m bench --sections serving)")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default $INFOGAN_MNIST_DIR)")
    args = parser.parse_args(argv)
    args.threads = tuple(int(t) for t in args.threads.split(","))
    args.sections = tuple(s for s in args.sections.split(",") if s and s != "none")
    if unknown := set(args.sections) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    command = ["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)]
    budget = Budget.make(args.quick)
    model_dir = resolve_model(args.model).resolve()
    manifest = load_manifest(model_dir)
    model_config = ModelConfig.from_dict(manifest.data["training"]["model_config"])
    data_dir = _data_dir(args.data_dir)
    test_images, test_labels = load_mnist("test", data_dir, download=False)
    started = time.perf_counter()

    def progress(what: str) -> None:
        print(f"bench: {time.perf_counter() - started:6.1f} s  {what}", file=sys.stderr, flush=True)

    progress("PyTorch networks from the ONNX initializers, parity check")
    generator, discriminator, weights = torch_networks(model_dir)
    results: dict[str, Any] = {"meta": _meta(args, model_dir, command), "weights": weights, "ceiling": {},
                               "flops": {role: model_flops(manifest.file(role)) for role in ("generator", "encoder")},
                               "budget": budget.__dict__}
    setup = inference.Setup(model_dir, model_config, generator, discriminator, test_images, test_labels,
                            results["flops"], budget)
    ceilings: dict[str, dict[str, Any]] = results["ceiling"]

    def measure_ceiling(threads: int) -> None:
        """Measured around each section that uses it; the best is kept (a busy neighbour only lowers it)."""
        progress(f"sgemm ceiling, {threads} thread(s)")
        ceiling = matmul_ceiling(threads, budget.ceiling_sizes)
        if str(threads) not in ceilings or ceiling["gflops"] > ceilings[str(threads)]["gflops"]:
            ceilings[str(threads)] = ceiling

    for threads in args.threads:
        measure_ceiling(threads)
        if "inference" in args.sections:
            progress(f"generate / infer vs PyTorch, {threads} thread(s)")
            for name, rows in inference.compare(setup, threads).items():
                results.setdefault(name, []).extend(rows)
            results.setdefault("preprocessing", []).append(inference.preprocessing(setup, threads))
            measure_ceiling(threads)
        if "peers" in args.sections:
            progress(f"torch.compile and OpenVINO beside the SDK, {threads} thread(s)")
            results.setdefault("peers", []).extend(peers.peers(setup, threads))
    if "cold" in args.sections:
        progress("cold start (fresh subprocesses)")
        results["cold_start"] = cold.cold_start(model_dir, model_config, generator, args.threads[-1], budget.cold_runs)
    if "variants" in args.sections:
        progress("int8 quantization and comparison")
        train_images, _ = load_mnist("train", data_dir, download=False)
        with tempfile.TemporaryDirectory(prefix="bench-variants-") as work:
            results["variants"] = {"int8": variants.int8(model_dir, Path(work), train_images, test_images,
                                                         test_labels, args.threads, budget),
                                   "fp16": variants.fp16(model_dir, budget)}
    if "training" in args.sections:
        results["training"] = []
        for threads in args.threads[-1:] if args.quick else args.threads:
            measure_ceiling(threads)
            progress(f"training throughput, {threads} thread(s)")
            results["training"] += training.training(model_config, manifest.data["training"].get("train_config", {}),
                                                      ARCHITECTURES, threads, budget.train_steps, data_dir)
    if "service" in args.sections:
        progress(f"infogan serve over HTTP vs the direct SDK call, {args.threads[-1]} thread(s)")
        results["service"] = service.service(model_dir, args.threads[-1], 2 * budget.latency_calls)
    if "serving" in args.sections:
        progress(f"serving: infogan serve and its peers under wrk, {args.threads[-1]} thread(s)")
        results["serving"] = serving.serving(model_dir, args.threads[-1], 1 if args.quick else 5)
    if "bulk" in args.sections:
        progress("bulk: infogan dataset and infer over files, Ray with one actor")
        results["bulk"] = bulk.bulk(model_dir, 2000 if args.quick else 20000)
    if "editing" in args.sections:
        progress("Generator.edit / reconstruct (models with a noise output)")
        results["editing"] = editing.editing(model_dir, test_images, args.threads, budget)
    for rows in (results.get("generate", []), results.get("infer", []), results.get("training", [])):
        inference.add_fractions(rows, ceilings)  # one ceiling per thread count for the whole report
    results["meta"] = {**finished(results["meta"]), "seconds": round(time.perf_counter() - started, 1)}
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    progress(f"done; results in {args.json}")
    print(render(results), end="")
    return 0


def _data_dir(given: str | None) -> Path:
    """--data-dir, else $INFOGAN_MNIST_DIR (or the cache), else the shared folder beside the checkout."""
    if given:
        return Path(given)
    return default_data_dir() if "INFOGAN_MNIST_DIR" in os.environ or not SHARED_MNIST.is_dir() else SHARED_MNIST


def _meta(args: argparse.Namespace, model_dir: Path, command: list[str]) -> dict[str, Any]:
    return {**machine(command), "model": args.model, "model_dir": str(model_dir),
            "run": "quick" if args.quick else "full", "threads": list(args.threads), "sections": list(args.sections),
            "versions": {"python": platform.python_version(), "numpy": np.__version__,
                         "onnxruntime": onnxruntime.__version__, "torch": torch.__version__},
            "providers": onnxruntime.get_available_providers()}


if __name__ == "__main__":
    sys.exit(main())
