"""The pieces every subcommand's parser uses: the parser class, the global options and the argparse types."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from infogan_sdk.errors import did_you_mean

PREPROCESS_HELP = "auto (default): MNIST-normalise unless already 28x28 white on black"


class Parser(argparse.ArgumentParser):
    """argparse with suggestions: an unknown option or a misspelt choice gets "(did you mean ...?)"."""

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        options = [word.partition("=")[0] for word in extras if word.startswith("-") and len(word) > 1]
        if options:  # with subcommands, the chosen subcommand's options are the known ones
            chosen = None
            if self._subparsers is not None:
                commands = self._subparsers._group_actions[0].choices
                chosen = commands.get(getattr(parsed, "command", None) or "") if isinstance(commands, dict) else None
            known = [name for action in (chosen or self)._actions for name in action.option_strings]
            self.error(f"unrecognized arguments: {' '.join(extras)}"
                       + "".join(did_you_mean(option, known).replace("'", "") for option in options))
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '(.*?)' \(choose from (.*)\)$", message)
        if choice is not None and "did you mean" not in message:
            message += did_you_mean(choice.group(1), re.findall(r"'(.*?)'", choice.group(2)))
        super().error(message)


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
