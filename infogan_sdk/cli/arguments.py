"""The pieces every subcommand's parser uses: the global options and the argparse types."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

PREPROCESS_HELP = "auto (default): MNIST-normalise unless already 28x28 white on black"


def common() -> argparse.ArgumentParser:
    """The global options; a fresh parser per use, since parents share their option objects (and defaults)."""
    options = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand only overrides the value given before it when the option is repeated after it
    options.add_argument("--model", default=argparse.SUPPRESS,
                         help="bundled model name or model folder (default mnist)")
    options.add_argument("--device", default=argparse.SUPPRESS, help="auto (default), cpu, cuda or cuda:N")
    options.add_argument("--variant", default=argparse.SUPPRESS, help="another file of the model, e.g. int8, or auto "
                         "(the fastest the folder has, timed on this machine); the bundled models ship none (float32 "
                         "only): python -m export.quantize makes an int8 copy")
    options.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr")
    return options


def positive(text: str) -> int:
    """argparse type for an integer >= 1."""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def value_range(text: str) -> tuple[str | None, tuple[float, float]]:
    """argparse type for "LO,HI" or "NAME=LO,HI"."""
    name, _, pair = text.rpartition("=")
    values = numbers(float)(pair)
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected LO,HI or NAME=LO,HI, got {text!r}")
    return name or None, (values[0], values[1])


def shard(text: str) -> tuple[int, int]:
    """argparse type for "I/K", 0 <= I < K."""
    index, _, parts = text.partition("/")
    if not all(part.isascii() and part.isdigit() for part in (index, parts)) or not int(index) < int(parts):
        raise argparse.ArgumentTypeError(f"expected I/K with 0 <= I < K (e.g. 0/4), got {text!r}")
    return int(index), int(parts)


def numbers(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """argparse type for comma-separated numbers, e.g. "7,7,1"."""
    def parse(text: str) -> list[Any]:
        try:
            return [kind(part) for part in text.split(",")]
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from error
    return parse
