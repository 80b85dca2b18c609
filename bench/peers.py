"""Section 10: every runtime a user choosing one would try, on the same weights, threads and job, beside the SDK:
PyTorch eager, torch.compile (inductor, CPU) and OpenVINO (fp32, and bf16 where the CPU has bf16 units).

    SDK:       Generator.generate / Encoder.infer (onnxruntime)
    OpenVINO:  the same Generator / Encoder calls with their onnxruntime session swapped for an OpenVINO
               compiled model of the same ONNX file: sampling, checks, code basis and pixel conversion stay the
               SDK's, so only the runtime differs
    PyTorch:   bench.inference's torch job (sampling, forward, uint8; uint8 in, softmax and argmax out) on the
               networks rebuilt from the ONNX initializers, eager or through torch.compile

A peer that is not installed (pip install -e ".[peers]" for OpenVINO; torch.compile needs a C++ compiler) or that
the CPU cannot run gives a row saying why it was skipped.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from bench.inference import Setup, torch_generate, torch_infer
from bench.timing import latency, throughput
from infogan_sdk import Encoder, Generator
from infogan_sdk.loading.manifest import load_manifest

BATCHES = (1, 256)
Job = Callable[[int], Any]  # batch -> one call of the job


def peers(setup: Setup, threads: int) -> list[dict[str, Any]]:
    """One row per (call, batch, runtime) at `threads`: p50 ms at batch 1, images/s above; or why it was skipped."""
    torch.set_num_threads(threads)
    jobs: dict[str, dict[str, Job | str]] = {"generate": {}, "infer": {}}
    generator = Generator(setup.model_dir, device="cpu", threads=threads)
    encoder = Encoder(setup.model_dir, device="cpu", threads=threads)
    images = setup.images
    jobs["generate"]["SDK (onnxruntime)"] = lambda n: generator.generate(count=n, seed=0)
    jobs["infer"]["SDK (onnxruntime)"] = lambda n: encoder.infer(images[:n])
    for name, job in {**_torch_jobs(setup, threads), **_openvino_jobs(setup, threads)}.items():
        for call in jobs:
            jobs[call][name] = job[call] if isinstance(job, dict) else job  # a str: why it was skipped
    rows = []
    for call, runtimes in jobs.items():
        for batch in BATCHES:
            for runtime, job in runtimes.items():
                row: dict[str, Any] = {"call": call, "batch": batch, "threads": threads, "runtime": runtime}
                if isinstance(job, str):
                    row["skipped"] = job
                elif batch == 1:
                    row["p50_ms"] = latency(lambda j=job: j(1), setup.budget.latency_calls)["p50_ms"]
                else:
                    row["images_per_s"] = throughput(lambda j=job, b=batch: j(b), batch, setup.budget)["images_per_s"]
                rows.append(row)
    _relate(rows)
    return rows


def _relate(rows: list[dict[str, Any]]) -> None:
    """Each ran row's `sdk_speedup`: how many times faster the SDK is than it (> 1: the SDK is ahead)."""
    sdk = {(row["call"], row["batch"]): row for row in rows if row["runtime"].startswith("SDK")}
    for row in rows:
        base = sdk[(row["call"], row["batch"])]
        if "p50_ms" in row:
            row["sdk_speedup"] = row["p50_ms"] / base["p50_ms"]
        elif "images_per_s" in row:
            row["sdk_speedup"] = base["images_per_s"] / row["images_per_s"]


def _torch_jobs(setup: Setup, threads: int) -> dict[str, dict[str, Job] | str]:
    rng = torch.Generator().manual_seed(0)
    config = setup.model_config

    def job(generator: Any, discriminator: Any) -> dict[str, Job]:
        return {"generate": lambda n: torch_generate(generator, config, n, rng),
                "infer": lambda n: torch_infer(discriminator, config, setup.images[:n])}

    jobs: dict[str, dict[str, Job] | str] = {
        "PyTorch eager": job(setup.torch_generator, setup.torch_discriminator)}
    torch._dynamo.reset()  # inductor bakes the thread count into its kernels: compile afresh per count
    try:
        compiled = job(torch.compile(setup.torch_generator, dynamic=False),
                       torch.compile(setup.torch_discriminator, dynamic=False))
        for batch in BATCHES:  # compile each shape now, so no row times a compilation
            compiled["generate"](batch)
            compiled["infer"](batch)
        jobs["torch.compile (inductor)"] = compiled
    except Exception as error:  # no compiler, an inductor limitation: the row says which
        jobs["torch.compile (inductor)"] = f"skipped: torch.compile failed ({type(error).__name__}: {error})"[:200]
    return jobs


def _openvino_jobs(setup: Setup, threads: int) -> dict[str, dict[str, Job] | str]:
    if importlib.util.find_spec("openvino") is None:
        reason = 'skipped: OpenVINO is not installed (pip install -e ".[peers]")'
        return {"OpenVINO fp32": reason, "OpenVINO bf16": reason}
    import openvino

    core = openvino.Core()
    capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    jobs: dict[str, dict[str, Job] | str] = {}
    for precision in ("f32", "bf16"):
        name = f"OpenVINO {'fp32' if precision == 'f32' else precision}"
        if precision == "bf16" and "BF16" not in capabilities:
            jobs[name] = f"skipped: this CPU has no bf16 units (OpenVINO's CPU capabilities: {', '.join(capabilities)})"
            continue
        models = {role: _swapped(kind(setup.model_dir, device="cpu", threads=threads), core, precision, threads)
                  for role, kind in (("generator", Generator), ("encoder", Encoder))}
        generator, encoder = models["generator"], models["encoder"]
        assert isinstance(generator, Generator) and isinstance(encoder, Encoder)
        jobs[name] = {"generate": lambda n, g=generator: g.generate(count=n, seed=0),
                      "infer": lambda n, e=encoder: e.infer(setup.images[:n])}
    return jobs


class OpenVinoSession:
    """What the SDK's models call on their session (`run(outputs, feeds)`), run by an OpenVINO compiled model."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled
        self.request = compiled.create_infer_request()

    def run(self, outputs: Sequence[str], feeds: Mapping[str, NDArray[np.float32]]) -> list[NDArray[np.float32]]:
        results = self.request.infer(dict(feeds))
        return [np.array(results[self.compiled.output(name)]) for name in outputs]  # copies: OpenVINO reuses them


def _swapped(model: Generator | Encoder, core: Any, precision: str, threads: int) -> Generator | Encoder:
    """`model` with its onnxruntime session replaced by OpenVINO on the same ONNX file (bench code reaching into
    the SDK on purpose: the rest of the job must stay the SDK's)."""
    path = load_manifest(model.path).file(type(model)._role)
    compiled = core.compile_model(core.read_model(str(path)), "CPU", {
        "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"})
    model._session = OpenVinoSession(compiled)  # type: ignore[assignment]
    return model


def render(results: dict[str, Any]) -> list[str]:
    rows = results.get("peers")
    if not rows:
        return []
    lines = ["", "10. Every runtime on the same weights, threads and job (SDK speed-up > 1: the SDK is faster)",
             f"{'call':<9} {'threads':>7} {'batch':>5} {'runtime':<26} {'p50 ms':>9} {'images/s':>10} "
             f"{'SDK speed-up':>12}"]
    for row in rows:
        if "skipped" in row:
            lines.append(f"{row['call']:<9} {row['threads']:>7} {row['batch']:>5} {row['runtime']:<26} "
                         f"{row['skipped']}")
            continue
        p50 = f"{row['p50_ms']:.3f}" if "p50_ms" in row else ""
        rate = f"{row['images_per_s']:.0f}" if "images_per_s" in row else ""
        lines.append(f"{row['call']:<9} {row['threads']:>7} {row['batch']:>5} {row['runtime']:<26} {p50:>9} "
                     f"{rate:>10} {row['sdk_speedup']:>12.2f}")
    return lines
