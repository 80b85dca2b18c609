"""`infogan` command line: a skin over the public API. Exit codes: 0 ok, 1 error, 2 bad arguments,
3 infer --skip-errors read some files but not all (their rows carry the error), 130 / 143 / 129 stopped by Ctrl-C,
SIGTERM or SIGHUP (one line on stderr; no temporary left).

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
    infogan export-web site/ [--model NAME]     # the playground as a static folder, run in the browser
    infogan --version

Negative comma lists need "=": --values=-2,0,2 (argparse would read "-2,0,2" as an option).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import sys
from collections.abc import Callable

from infogan_sdk.cli import bench, dataset, draw, infer, info, serve, web
from infogan_sdk.cli.arguments import Parser, common
from infogan_sdk.cli.interrupts import interruptible
from infogan_sdk.errors import InfoGANError


@interruptible("infogan")
def main(argv: list[str] | None = None) -> int:
    """Run the command line on `argv` (default sys.argv[1:]) and return the exit code (128 + N when signal N, Ctrl-C,
    SIGTERM or SIGHUP, stopped it: one line on stderr, and the outputs' temporaries removed)."""
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


def version() -> str:
    """The installed package's version; in a checkout that was never installed, the one the source declares."""
    try:
        return importlib.metadata.version("infogan-sdk")
    except importlib.metadata.PackageNotFoundError:
        from infogan_sdk import __version__
        return __version__


class _Version(argparse.Action):
    """--version, looked up only when asked for (not on every run)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(f"{parser.prog} {version()}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; global options work before or after the subcommand."""
    parser = Parser(prog="infogan", description=(__doc__ or "").split("\n\n")[0], parents=[common()])
    parser.add_argument("--version", action=_Version, nargs=0, help="print the package's version and exit")
    parser.set_defaults(model="mnist", device="auto", variant=None, verbose=False)
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser)
    for add in (draw.add_generate, draw.add_traverse, draw.add_edit, draw.add_reconstruct, infer.add_infer,
                dataset.add_dataset, info.add_info, info.add_models, bench.add_bench, serve.add_serve,
                web.add_export_web):
        add(subcommands)
    return parser
