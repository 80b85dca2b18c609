"""Bulk jobs: `infogan dataset` to .npz and to PNG files, `infogan infer` over folders of PNG and JPEG files,
each against the bare SDK call on arrays (so the cost of files, encoding and decoding shows), and the same
two jobs on a local Ray cluster with one actor, with Ray's start-up time.

The commands run in-process through `infogan_sdk.cli.main`, model loading included; onnxruntime uses its
default threads everywhere here, as the commands do.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infogan_sdk import Encoder, Generator
from infogan_sdk.cli import main as cli

Row = dict[str, Any]


def bulk(model_dir: Path, count: int, with_ray: bool = True) -> dict[str, Any]:
    """Images/s of each bulk path for `count` images (one timed run each, after a warm-up of the sessions)."""
    generator, encoder = Generator(model_dir, device="cpu"), Encoder(model_dir, device="cpu")
    images = generator.generate(count=count, seed=0).images
    encoder.infer(images[:256])
    model = ["--model", str(model_dir)]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as work:
        folder = Path(work)
        rows.append(_row("generate", "SDK Generator.generate(count=N) -> arrays", count,
                         lambda: generator.generate(count=count, seed=0)))
        for name, output in (("dataset .npz", "d.npz"), ("dataset PNG", "pngs")):
            rows.append(_row(name, f"infogan dataset --count N -o {output}", count,
                             lambda o=output: _cli([*model, "dataset", "--count", str(count), "-q",
                                                    "-o", str(folder / o)])))
        for suffix in ("png", "jpg"):
            (folder / suffix).mkdir()
            for index, image in enumerate(generator.generate(count=count, seed=1).to_pil()):
                image.save(folder / suffix / f"{index:06d}.{suffix}")
        rows.append(_row("infer", "SDK Encoder.infer(uint8 (N, 28, 28)) -> results", count,
                         lambda: encoder.infer(images)))
        for suffix in ("png", "jpg"):
            rows.append(_row(f"infer {suffix.upper()}", f"infogan infer {suffix}/ --format csv -o rows.csv", count,
                             lambda s=suffix: _cli([*model, "infer", str(folder / s), "--format", "csv", "-q",
                                                    "-o", str(folder / f"{s}.csv")])))
    return {"count": count, "rows": rows, "ray": _ray(model_dir, count, images) if with_ray else None}


def _row(name: str, what: str, count: int, call: Callable[[], object]) -> Row:
    started = time.perf_counter()
    call()
    seconds = time.perf_counter() - started
    return {"name": name, "what": what, "images": count, "seconds": seconds, "images_per_s": count / seconds}


def _cli(argv: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):  # the commands print the output path / rows
        code = cli(argv)
    if code != 0:
        raise RuntimeError(f"infogan {' '.join(argv)} exited {code}")


def _ray(model_dir: Path, count: int, images: Any) -> dict[str, Any] | None:
    """One-actor Ray rows, or None without ray; start-up = ray.init + the first block through a new actor."""
    if importlib.util.find_spec("ray") is None:
        return None
    import ray

    from infogan_sdk.ray import InferBatch, synthetic_dataset

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        synthetic_dataset(model_dir, count=256, seed=0).materialize()
        startup = time.perf_counter() - started
        rows = [_row("ray dataset", "synthetic_dataset(count=N).materialize(), 1 actor", count,
                     lambda: synthetic_dataset(model_dir, count=count, seed=0).materialize())]
        pipeline = ray.data.from_numpy(images).rename_columns({"data": "images"})
        rows.append(_row("ray infer", "from_numpy(images).map_batches(InferBatch, batch 256), 1 actor", count,
                         lambda: pipeline.map_batches(InferBatch, fn_constructor_args=(model_dir,), batch_size=256,
                                                      compute=ray.data.ActorPoolStrategy(size=1)).materialize()))
    finally:
        ray.shutdown()
    return {"startup_seconds": startup, "rows": rows}


def render(results: dict[str, Any]) -> list[str]:
    figures = results.get("bulk")
    if not figures:
        return []
    lines = ["", f"8. Bulk jobs, {figures['count']} images each (one timed run; commands in-process, model "
                 "load included; onnxruntime default threads)",
             f"{'job':<12} {'images/s':>9} {'seconds':>8}  what"]
    ray_rows = figures["ray"]["rows"] if figures["ray"] else []
    for row in [*figures["rows"], *ray_rows]:
        lines.append(f"{row['name']:<12} {row['images_per_s']:>9.0f} {row['seconds']:>8.2f}  {row['what']}")
    if figures["ray"]:
        lines.append(f"   Ray start-up (ray.init + the first block through a new actor): "
                     f"{figures['ray']['startup_seconds']:.1f} s")
    else:
        lines.append("   Ray rows: ray not installed (pip install -e '.[ray]')")
    return lines
