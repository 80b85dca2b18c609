"""The `infogan` subcommands: each calls the public API and writes or prints what it returns (no math)."""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from infogan_sdk import Encoder, GenerateResult, Generator, InfoGANError, InvalidInputError, available_models
from infogan_sdk.atomic import atomic_output
from infogan_sdk.codes import is_index
from infogan_sdk.errors import OutputExistsError
from infogan_sdk.files import expand
from infogan_sdk.reading import MAX_PIXELS

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".gif": "GIF",
                 ".tif": "TIFF", ".tiff": "TIFF"}  # -o's extension -> the format written


def generate(args: argparse.Namespace) -> int:
    digits = args.digit
    if digits and args.count and len(digits) > 1:  # --digit 0,...,9 --count 20000: 0..9 in turn, 2000 each
        digits = [digits[index % len(digits)] for index in range(args.count)]
    result = _generator(args).generate(digits=digits, count=args.count, continuous=args.continuous,
                                       rotation=args.rotation, width=args.width, thickness=args.thickness,
                                       seed=args.seed)
    return _write(result, args)


def traverse(args: argparse.Namespace) -> int:
    code = int(args.code) if is_index(args.code) else args.code
    result = _generator(args).traverse(digit=args.digit, code=code, values=args.values, seed=args.seed)
    return _write(result, args)


def edit(args: argparse.Namespace) -> int:
    """`infogan edit` and `infogan reconstruct`: the images redrawn, changed or not; reconstruct also says how
    well each was redrawn (on stderr: stdout lists the files written)."""
    generator, paths = _generator(args), list(expand(args.images))
    if args.command == "reconstruct":
        result = generator.reconstruct(paths, preprocess=args.preprocess)
        assert result.reconstruction_error is not None
        for path, digit, error in zip(paths, result.digits.tolist(), result.reconstruction_error.tolist(),
                                      strict=True):
            print(f"{path}: digit {digit}, reconstruction error {error:.3f}", file=sys.stderr)
    else:
        result = generator.edit(paths, digit=args.digit, continuous=args.continuous, rotation=args.rotation,
                                width=args.width, thickness=args.thickness, preprocess=args.preprocess)
    return _write(result, args)


def bench(args: argparse.Namespace) -> int:
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


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP API and playground until SIGTERM / Ctrl-C (the serve extra's fastapi and uvicorn, imported here)."""
    try:
        from infogan_sdk.serve.config import ServeConfig, token_from_environment
        from infogan_sdk.serve.server import run
    except ImportError as error:
        raise InfoGANError(f"infogan serve needs the serve extra: pip install 'infogan-sdk[serve]' ({error})") \
            from error
    config = ServeConfig(models=tuple(args.models or _bundled_first(args.model)), host=args.host, port=args.port,
                         device=args.device, threads=args.threads, token=token_from_environment(args.token),
                         cors_origins=tuple(args.cors_origin), max_body_bytes=args.max_body_bytes,
                         max_codes_bytes=args.max_codes_bytes, max_request_pixels=args.max_request_pixels,
                         max_images=args.max_images, max_pixels=args.max_pixels, max_generate=args.max_generate,
                         max_concurrent=args.max_concurrent, max_heavy=args.max_heavy, max_batch=args.max_batch,
                         batch_wait_ms=args.batch_wait_ms, body_seconds=args.body_seconds,
                         allowed_hosts=tuple(args.allow_host))
    shown_host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{shown_host}:{config.port}"

    def ready(names: list[str]) -> None:  # the one line that says the server is up, even without -v
        print(f"infogan serve: ready at {url} (playground {url}/, API docs {url}/docs); models: "
              f"{', '.join(names)}; Ctrl-C or SIGTERM stops", file=sys.stderr, flush=True)

    if args.token is not None:
        print("infogan serve: warning: --token can be read by every user of this machine (ps); set INFOGAN_TOKEN "
              "instead", file=sys.stderr, flush=True)
    print(f"infogan serve: loading {', '.join(config.models)} ...", file=sys.stderr, flush=True)
    run(config, log_level="info" if args.verbose else "warning", on_ready=ready)
    return 0


def _bundled_first(model: str) -> list[str]:
    """`infogan serve` without --model: every bundled model, the global --model (default mnist) first."""
    return [model, *(name for name in available_models() if name != model)] if model in available_models() \
        else [model]


def _speed(call: Callable[[int], object], batch: int, repeats: int) -> dict[str, float]:
    """Median time of `repeats` batch-1 calls and of a tenth as many `batch` calls, after a warm-up call each."""
    medians = [statistics.median(timeit.repeat(functools.partial(call, size), repeat=count + 1, number=1)[1:])
               for size, count in ((1, repeats), (batch, max(1, repeats // 10)))]  # [1:]: the warm-up call
    return {"batch1_p50_ms": 1e3 * medians[0], "images_per_second": batch / medians[1]}


def _generator(args: argparse.Namespace) -> Generator:
    return Generator(args.model, device=args.device, variant=args.variant)


def _write(result: GenerateResult, args: argparse.Namespace) -> int:
    """One image file at args.output (a grid; one image as it is), or with --separate one file per image (in a
    folder, or NAME_0000_digitD.EXT); the format is the extension's, the size times --scale."""
    output = Path(args.output)
    if not args.separate:
        if output.exists() and not args.overwrite:  # as dataset and --separate do: never replace work silently
            raise OutputExistsError(f"{output} exists: expected a new path (pass --overwrite to replace it)")
        image = result.grid(columns=args.columns, padding=args.padding)  # one row for traverse; one image as it is
        _save(image, output, args.scale)
        print(output)
        return 0
    folder = output.suffix.lower() not in IMAGE_FORMATS
    names = [f"{index:04d}_digit{digit}" for index, digit in enumerate(result.digits)]
    paths = [output / f"{name}.png" if folder else output.with_name(f"{output.stem}_{name}{output.suffix}")
             for name in names]
    if not args.overwrite:
        existing = [path for path in paths if path.exists()]
        if existing:
            raise OutputExistsError(f"{len(existing)} of the {len(paths)} files exist, e.g. {existing[0]}: expected "
                                    "new paths (pass --overwrite to replace them)")
    if folder:
        output.mkdir(parents=True, exist_ok=True)
    for image, path in zip(result.to_pil(), paths, strict=True):
        _save(image, path, args.scale)
        print(path)
    return 0


def _save(image: Image.Image, path: Path, scale: int) -> None:
    """Write an image atomically in the format its extension names, `scale` times larger (nearest pixels)."""
    form = IMAGE_FORMATS.get(path.suffix.lower())
    if form is None:
        raise InvalidInputError(f"cannot tell the image format of {path}: expected a name ending in "
                                f"{', '.join(IMAGE_FORMATS)}, got {path.suffix or 'no extension'!r}")
    if not path.parent.is_dir():
        raise OSError(f"cannot write {path}: no such folder {path.parent} (create it first)")
    width, height = image.width * scale, image.height * scale
    if width * height > MAX_PIXELS:  # checked before the resize allocates it (--scale 10000 ran out of memory)
        raise InvalidInputError(f"the image would be {width}x{height} pixels, over the {MAX_PIXELS:,} that "
                                "infogan infer reads back: use a smaller --scale, fewer images or --separate")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    try:
        with atomic_output(path, overwrite=True) as temporary:
            image.save(temporary, format=form)
    except OSError as error:  # named after the target, not the temporary file
        raise OSError(f"cannot write {path}: {error.strerror or error}") from error
