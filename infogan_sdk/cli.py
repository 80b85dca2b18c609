"""`infogan` command line: a skin over the public API. Exit codes: 0 ok, 1 error, 2 bad arguments,
3 infer --skip-errors read some files but not all (their rows carry the error).

    infogan generate --digit 7 --count 16 --seed 0 -o sevens.png
    infogan traverse --digit 3 --code rotation -o rotation.png
    infogan edit seven.png --thickness +1 [--rotation=-0.5] [--digit 3] -o thicker.png
    infogan reconstruct seven.png three.jpg -o redrawn.png   # the digits redrawn from what the model reads
    infogan infer seven.png three.jpg scans/ "more/*.jpg" [--recursive] [--format csv -o digits.csv] [--skip-errors]
    find scans -name '*.png' | infogan infer -          # "-": paths on stdin, one per line (or one image's bytes)
    infogan dataset --per-digit 1000 --seed 0 -o digits.npz [--shard 0/4] [--continuous-range=-2,2]
    infogan info [--json]
    infogan models
    infogan bench [--batch 256] [--repeats 50] [--threads N] [--json] [--variant int8]
    infogan serve [--host 127.0.0.1] [--port 8000] [--model NAME ...] [--cors-origin URL]  (token: INFOGAN_TOKEN=...)

Negative comma lists need "=": --values=-2,0,2 (argparse would read "-2,0,2" as an option).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from infogan_sdk import commands, commands_bulk, commands_info
from infogan_sdk.errors import InfoGANError
from infogan_sdk.serve.config import ServeConfig  # the limits' defaults; imports no web library


def main(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default sys.argv[1:]) and return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # argparse exits on --help (0) and on bad arguments (2)
        return stop.code if isinstance(stop.code, int) else 2
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        code = handler(args)
        sys.stdout.flush()  # here, so that a closed pipe is seen below and not at the interpreter's exit
        return code
    except BrokenPipeError:  # the reader went away (`infogan info --json | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's last flush of stdout finds no pipe
        os.close(devnull)
        return 141  # 128 + SIGPIPE, as a command killed by the closed pipe would end
    except (InfoGANError, OSError) as error:  # expected failures: a message, no traceback
        print(f"infogan: error: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; global options work before or after the subcommand."""
    parser = argparse.ArgumentParser(prog="infogan", description=(__doc__ or "").split("\n\n")[0],
                                     parents=[_common()])
    parser.set_defaults(model="mnist", device="auto", variant=None, verbose=False)
    subcommands = parser.add_subparsers(dest="command", required=True)

    generate = subcommands.add_parser("generate", parents=[_common()], help="generate digits into a grid PNG")
    generate.add_argument("--digit", type=_numbers(int), help="digit(s) 0-9, comma-separated (default random)")
    generate.add_argument("--count", type=int, help="number of images (cycles through the --digit values; for "
                          "big labelled sets see infogan dataset)")
    generate.add_argument("--continuous", type=_numbers(float), help="every continuous code, e.g. --continuous=0.5,-1")
    generate.add_argument("--rotation", type=float, help="the continuous code named rotation")
    generate.add_argument("--width", type=float, help="the continuous code named width")
    generate.add_argument("--thickness", type=float, help="the continuous code named thickness")
    generate.set_defaults(handler=commands.generate)

    traverse = subcommands.add_parser("traverse", parents=[_common()], help="sweep one continuous code into a row PNG")
    traverse.add_argument("--digit", type=int, help="digit 0-9 (default random)")
    traverse.add_argument("--code", default="0", help="continuous code: index or name (default 0)")
    traverse.add_argument("--values", type=_numbers(float), help="values to sweep (default -2..2 in 10 steps)")
    traverse.set_defaults(handler=commands.traverse)
    edit = subcommands.add_parser("edit", parents=[_common()], help="redraw your digit images with codes changed")
    edit.add_argument("--digit", type=_numbers(int), help="replace the digit: one for all, or one per image")
    edit.add_argument("--continuous", type=_numbers(float), help="add to every continuous code: --continuous=0.5,0")
    edit.add_argument("--rotation", type=float, help="add to the code named rotation (+ leans right)")
    edit.add_argument("--width", type=float, help="add to the code named width (+ wider)")
    edit.add_argument("--thickness", type=float, help="add to the code named thickness (+ thicker)")
    edit.set_defaults(handler=commands.edit)
    reconstruct = subcommands.add_parser("reconstruct", parents=[_common()], help="redraw digit images from their "
                                         "codes and noise as the model reads them (prints each reconstruction error)")
    reconstruct.set_defaults(handler=commands.edit)
    for command in (edit, reconstruct):
        command.add_argument("images", nargs="+", help="image files (any size, either polarity), folders or globs")
        command.add_argument("--preprocess", choices=["auto", "mnist", "none"], default="auto",
                             help="auto (default): MNIST-normalise unless already 28x28 white on black")
    for command in (generate, traverse, edit, reconstruct):
        if command in (generate, traverse):
            command.add_argument("--seed", type=int, help="seed for everything not given (default: fresh randomness)")
        command.add_argument("-o", "--output", required=True, help="image file, in the format its extension names "
                             f"({', '.join(commands.IMAGE_FORMATS)}); with --separate: a folder (PNG) or NAME.EXT")
        command.add_argument("--scale", type=_positive, default=1, help="make images N times larger (nearest pixels)")
        command.add_argument("--separate", action="store_true", help="one PNG per image instead of a grid")
        command.add_argument("--overwrite", action="store_true", help="--separate: replace existing PNG files")
        command.add_argument("--columns", type=int, help="grid columns")
        command.add_argument("--padding", type=int, default=2, help="pixels between grid cells (default 2)")

    infer = subcommands.add_parser("infer", parents=[_common()], help="read the digit and codes of image files")
    infer.add_argument("images", nargs="+", help="image files (any size, either polarity), folders, globs, or - "
                       "(stdin: paths one per line, or one image's bytes)")
    infer.add_argument("-r", "--recursive", action="store_true", help="folders: also their subfolders; globs: **")
    infer.add_argument("--format", choices=["table", "csv", "jsonl", "json"], default="table",
                       help="output format (default table)")
    infer.add_argument("-o", "--output", help="write the rows to this file (atomically) instead of stdout")
    infer.add_argument("--skip-errors", action="store_true", help="record unreadable files as rows with their "
                       "error and go on (exit code 3 if any)")
    infer.add_argument("--chunk-size", type=_positive, default=256, help="files read at a time (default 256)")
    infer.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    infer.add_argument("--preprocess", choices=["auto", "mnist", "none"], default="auto",
                       help="auto (default): MNIST-normalise unless already 28x28 white on black")
    infer.add_argument("--json", action="store_true", help="same as --format json")
    infer.set_defaults(handler=commands_bulk.infer)

    dataset = subcommands.add_parser("dataset", parents=[_common()], help="write a labelled synthetic data set")
    size = dataset.add_mutually_exclusive_group(required=True)
    size.add_argument("--per-digit", type=_positive, help="images of each digit (balanced: image i is digit i %% 10)")
    size.add_argument("--count", type=_positive, help="images, digits drawn at random")
    dataset.add_argument("--seed", type=int, default=0, help="seed (default 0): the same seed, the same data set")
    dataset.add_argument("--continuous-range", type=_range, action="append", metavar="[NAME=]LO,HI",
                         help="range of the continuous codes (default the model's), or of one code; repeatable")
    dataset.add_argument("--shard", type=_shard, default=(0, 1), metavar="I/K",
                         help="write only part I of K (I from 0); the K parts together are the whole data set")
    dataset.add_argument("-o", "--output", required=True, help="NAME.npz, NAME.parquet (needs pyarrow) or a folder "
                         "(PNG files + labels.csv)")
    dataset.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    dataset.add_argument("--compress", action="store_true", help=".npz: deflate the arrays")
    dataset.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dataset.set_defaults(handler=commands_bulk.dataset)

    info = subcommands.add_parser("info", parents=[_common()], help="model summary, providers and versions (doctor)")
    info.add_argument("--json", action="store_true", help="JSON instead of text")
    info.set_defaults(handler=commands_info.info)
    models = subcommands.add_parser("models", help="list the bundled models")  # no model options: they mean nothing
    models.set_defaults(handler=commands_info.models)

    bench = subcommands.add_parser("bench", parents=[_common()], help="time generate and infer on this machine "
                                   "(with --variant, a variant's files, e.g. int8 made by export/quantize.py)")
    bench.add_argument("--batch", type=_positive, default=256, help="images per call for throughput (default 256)")
    bench.add_argument("--repeats", type=_positive, default=50, help="timed batch-1 calls (default 50; a tenth "
                       "as many batch calls)")
    bench.add_argument("--threads", type=_positive, help="onnxruntime intra-op threads (default: onnxruntime's)")
    bench.add_argument("--json", action="store_true", help="JSON instead of text")
    bench.set_defaults(handler=commands.bench)

    # Not the common options: --model repeats here (several models); --device and -v as everywhere else.
    serve = subcommands.add_parser("serve", help="HTTP API and web playground (needs the serve extra: "
                                   "pip install 'infogan-sdk[serve]')")
    serve.add_argument("--device", default=argparse.SUPPRESS, help="auto (default), cpu, cuda or cuda:N")
    serve.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more to stderr")
    serve.add_argument("--model", action="append", dest="models", help="bundled model name or model folder; "
                       "repeat to serve several, the first is the default (default: every bundled model, mnist first)")
    serve.add_argument("--host", default=ServeConfig.host, help="address to bind (default 127.0.0.1: this machine "
                       "only; 0.0.0.0 for every interface)")
    serve.add_argument("--port", type=int, default=ServeConfig.port, help="port (default 8000)")
    serve.add_argument("--threads", type=_positive, help="onnxruntime intra-op threads per session")
    serve.add_argument("--token", help="bearer token required on /v1/ (default $INFOGAN_TOKEN, which is better: "
                       "other users can read --token in ps; unset: no auth)")
    serve.add_argument("--cors-origin", action="append", default=[], help="origin allowed to call the API from a "
                       "browser, e.g. http://localhost:3000 (repeatable; default: CORS off)")
    for flag, default, what in (("--max-body-bytes", ServeConfig.max_body_bytes, "request body size in bytes "
                                 "(infer, edit)"),
                                ("--max-codes-bytes", ServeConfig.max_codes_bytes, "request body size in bytes of "
                                 "generate and traverse (codes and noise)"),
                                ("--max-images", ServeConfig.max_images, "images per /v1/infer request"),
                                ("--max-pixels", ServeConfig.max_pixels, "pixels per uploaded image"),
                                ("--max-request-pixels", ServeConfig.max_request_pixels, "pixels per infer or edit "
                                 "request, all its images together"),
                                ("--max-generate", ServeConfig.max_generate, "images per generate/traverse call"),
                                ("--max-concurrent", ServeConfig.max_concurrent, "requests in flight; more get 503"),
                                ("--max-heavy", ServeConfig.max_heavy, "infer/edit requests in flight whose images "
                                 "declare over 2 M pixels in all; more get 503"),
                                ("--max-batch", ServeConfig.max_batch, "images per network call when concurrent "
                                 "requests share one (1: no batching)")):
        serve.add_argument(flag, type=_positive, default=default, help=f"limit: {what} (default {default})")
    serve.add_argument("--allow-host", action="append", default=[], help="a Host name requests may use, e.g. "
                       "digits.example.com (repeatable; default: bound to loopback, only 127.0.0.1, localhost and "
                       "::1, so DNS rebinding cannot reach the API)")
    serve.add_argument("--body-seconds", type=float, default=ServeConfig.body_seconds,
                       help=f"limit: seconds a request's whole body may take to arrive (default "
                            f"{ServeConfig.body_seconds:g}; slower ones get 408 and hold no slot)")
    serve.add_argument("--batch-wait-ms", type=float, default=ServeConfig.batch_wait_ms,
                       help="how long a network call that is not full waits for more requests to join it (default "
                            f"{ServeConfig.batch_wait_ms:g}: never; requests that arrive while a call runs join the "
                            "next one anyway)")
    serve.set_defaults(handler=commands.serve)
    return parser


def _common() -> argparse.ArgumentParser:
    """The global options; a fresh parser per use, since parents share their option objects (and defaults)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand only overrides the value given before it when the option is repeated after it
    common.add_argument("--model", default=argparse.SUPPRESS, help="bundled model name or model folder (default mnist)")
    common.add_argument("--device", default=argparse.SUPPRESS, help="auto (default), cpu, cuda or cuda:N")
    common.add_argument("--variant", default=argparse.SUPPRESS, help="another file of the model, e.g. int8, or auto "
                        "(the fastest the folder has, timed on this machine); the bundled models ship none (float32 "
                        "only): python -m export.quantize makes an int8 copy")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr")
    return common


def _positive(text: str) -> int:
    """argparse type for an integer >= 1."""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _range(text: str) -> tuple[str | None, tuple[float, float]]:
    """argparse type for "LO,HI" or "NAME=LO,HI"."""
    name, _, pair = text.rpartition("=")
    values = _numbers(float)(pair)
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected LO,HI or NAME=LO,HI, got {text!r}")
    return name or None, (values[0], values[1])


def _shard(text: str) -> tuple[int, int]:
    """argparse type for "I/K", 0 <= I < K."""
    index, _, parts = text.partition("/")
    if not all(part.isascii() and part.isdigit() for part in (index, parts)) or not int(index) < int(parts):
        raise argparse.ArgumentTypeError(f"expected I/K with 0 <= I < K (e.g. 0/4), got {text!r}")
    return int(index), int(parts)


def _numbers(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """argparse type for comma-separated numbers, e.g. "7,7,1"."""
    def parse(text: str) -> list[Any]:
        try:
            return [kind(part) for part in text.split(",")]
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from error
    return parse
