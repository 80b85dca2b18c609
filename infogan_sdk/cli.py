"""`infogan` command line: a skin over the public API. Exit codes: 0 ok, 1 error, 2 bad arguments.

    infogan generate --digit 7 --count 16 --seed 0 -o sevens.png
    infogan traverse --digit 3 --code rotation -o rotation.png
    infogan infer seven.png three.jpg [--json]
    infogan info [--json]
    infogan bench [--batch 256] [--repeats 50] [--threads N] [--json]

Negative comma lists need "=": --values=-2,0,2 (argparse would read "-2,0,2" as an option).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from infogan_sdk import commands
from infogan_sdk.errors import InfoGANError


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
        return handler(args)
    except (InfoGANError, OSError) as error:  # expected failures: a message, no traceback
        print(f"infogan: error: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; global options work before or after the subcommand."""
    parser = argparse.ArgumentParser(prog="infogan", description=(__doc__ or "").split("\n")[0], parents=[_common()])
    parser.set_defaults(model="mnist", device="auto", variant=None, verbose=False)
    subcommands = parser.add_subparsers(dest="command", required=True)

    generate = subcommands.add_parser("generate", parents=[_common()], help="generate digits into a grid PNG")
    generate.add_argument("--digit", type=_numbers(int), help="digit(s) 0-9, comma-separated (default random)")
    generate.add_argument("--count", type=int, help="number of images (repeats a single digit)")
    generate.add_argument("--continuous", type=_numbers(float), help="every continuous code, e.g. --continuous=0.5,-1")
    generate.add_argument("--rotation", type=float, help="the continuous code named rotation")
    generate.add_argument("--width", type=float, help="the continuous code named width")
    generate.set_defaults(handler=commands.generate)

    traverse = subcommands.add_parser("traverse", parents=[_common()], help="sweep one continuous code into a row PNG")
    traverse.add_argument("--digit", type=int, help="digit 0-9 (default random)")
    traverse.add_argument("--code", default="0", help="continuous code: index or name (default 0)")
    traverse.add_argument("--values", type=_numbers(float), help="values to sweep (default -2..2 in 10 steps)")
    traverse.set_defaults(handler=commands.traverse)
    for command in (generate, traverse):
        command.add_argument("--seed", type=int, help="seed for everything not given (default: fresh randomness)")
        command.add_argument("-o", "--output", required=True, help="PNG file (with --separate: folder or NAME.png)")
        command.add_argument("--separate", action="store_true", help="one PNG per image instead of a grid")
        command.add_argument("--columns", type=int, help="grid columns")
        command.add_argument("--padding", type=int, default=2, help="pixels between grid cells (default 2)")

    infer = subcommands.add_parser("infer", parents=[_common()], help="read the digit and codes of image files")
    infer.add_argument("images", nargs="+", help="image files (any size, either polarity)")
    infer.add_argument("--preprocess", choices=["auto", "mnist", "none"], default="auto",
                       help="auto (default): MNIST-normalise unless already 28x28 white on black")
    infer.add_argument("--json", action="store_true", help="JSON instead of a table")
    infer.set_defaults(handler=commands.infer)

    info = subcommands.add_parser("info", parents=[_common()], help="model summary, providers and versions (doctor)")
    info.add_argument("--json", action="store_true", help="JSON instead of text")
    info.set_defaults(handler=commands.info)

    bench = subcommands.add_parser("bench", parents=[_common()], help="time generate and infer on this machine")
    bench.add_argument("--batch", type=_positive, default=256, help="images per call for throughput (default 256)")
    bench.add_argument("--repeats", type=_positive, default=50, help="timed batch-1 calls (default 50; a tenth "
                       "as many batch calls)")
    bench.add_argument("--threads", type=_positive, help="onnxruntime intra-op threads (default: onnxruntime's)")
    bench.add_argument("--json", action="store_true", help="JSON instead of text")
    bench.set_defaults(handler=commands.bench)
    return parser


def _common() -> argparse.ArgumentParser:
    """The global options; a fresh parser per use, since parents share their option objects (and defaults)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand only overrides the value given before it when the option is repeated after it
    common.add_argument("--model", default=argparse.SUPPRESS, help="bundled model name or model folder (default mnist)")
    common.add_argument("--device", default=argparse.SUPPRESS, help="auto (default), cpu, cuda or cuda:N")
    common.add_argument("--variant", default=argparse.SUPPRESS, help="model file variant, e.g. int8 or fp16")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr")
    return common


def _positive(text: str) -> int:
    """argparse type for an integer >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _numbers(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """argparse type for comma-separated numbers, e.g. "7,7,1"."""
    def parse(text: str) -> list[Any]:
        try:
            return [kind(part) for part in text.split(",")]
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from error
    return parse
