"""The bulk subcommands, `infogan dataset` and `infogan infer`: each calls the public API and writes what it
returns (no math), with a progress bar on stderr (tqdm, when installed and stderr is a terminal)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import chain
from typing import Any, TextIO

from infogan_sdk import Encoder, Generator, InvalidInputError
from infogan_sdk.atomic import atomic_output
from infogan_sdk.dataset import plan
from infogan_sdk.dataset_files import write_dataset
from infogan_sdk.errors import shown
from infogan_sdk.files import IMAGE_SUFFIXES, FileInput, expand, infer_files, read_stdin
from infogan_sdk.rows import RowWriter, rows

EXIT_UNREADABLE = 3  # infer --skip-errors: some files could not be read (their rows say why)


def dataset(args: argparse.Namespace) -> int:
    generator = Generator(args.model, device=args.device, variant=args.variant)
    ranges = _ranges(args.continuous_range or [])
    size = len(plan(generator, count=args.count, per_digit=args.per_digit, seed=args.seed,
                    continuous_range=ranges, shard=args.shard).indices)
    with progress_bar(size, args.quiet, "image") as report:
        path = write_dataset(generator, args.output, count=args.count, per_digit=args.per_digit, seed=args.seed,
                             continuous_range=ranges, shard=args.shard, overwrite=args.overwrite,
                             compress=args.compress, progress=report)
    print(path)
    return 0


def infer(args: argparse.Namespace) -> int:
    encoder = Encoder(args.model, device=args.device, variant=args.variant)
    sources: Iterable[FileInput] = chain.from_iterable(
        read_stdin(sys.stdin.buffer) if item == "-" else expand([item], args.recursive) for item in args.images)
    failed = read = 0
    with ExitStack() as stack:
        stream: TextIO = sys.stdout
        if args.output:
            work = stack.enter_context(atomic_output(args.output, overwrite=True))
            stream = stack.enter_context(open(work, "w", encoding="utf-8", newline=""))
        report = stack.enter_context(progress_bar(None, args.quiet, "file"))
        digits = len(encoder.code_to_digit) if encoder.spec.categorical_sizes else 0
        scored = encoder.has_digit_score
        writer = RowWriter(stream, "json" if args.json else args.format, encoder.continuous_names, digits, scored)
        for batch in infer_files(encoder, sources, chunk_size=args.chunk_size, skip_errors=args.skip_errors,
                                 preprocess=args.preprocess):
            writer.write(list(rows(batch, scored)))
            failed += sum(error is not None for error in batch.errors)
            read += len(batch.files)
            report(len(batch.files))
        if not read:  # an empty folder or standard input is a mistake to report, not an empty success
            raise InvalidInputError(f"no images found in {shown(' '.join(args.images))} (image files end in "
                                    f"{' '.join(IMAGE_SUFFIXES)}; -r searches below a folder's top level)")
        writer.close()
    if failed:
        print(f"infogan: {failed} file(s) could not be read; their rows carry the error", file=sys.stderr)
    return EXIT_UNREADABLE if failed else 0


@contextmanager
def progress_bar(total: int | None, quiet: bool, unit: str) -> Iterator[Callable[[int], None]]:
    """A callback advancing a tqdm bar on stderr; a no-op with `quiet`, off a terminal, or without tqdm."""
    bar: Any = None
    if not quiet and sys.stderr.isatty():
        try:
            from tqdm import tqdm  # optional: not a dependency of the SDK
        except ImportError:
            pass
        else:
            bar = tqdm(total=total, unit=unit, unit_scale=True, file=sys.stderr, dynamic_ncols=True)
    try:
        yield (lambda n: None) if bar is None else bar.update
    finally:
        if bar is not None:
            bar.close()


def _ranges(given: list[tuple[str | None, tuple[float, float]]]) -> Any:
    """--continuous-range values -> None, one (low, high) for every code, or {name: (low, high)}."""
    if not given:
        return None
    named = {name: pair for name, pair in given if name is not None}
    unnamed = [pair for name, pair in given if name is None]
    if unnamed and (named or len(unnamed) > 1):
        raise InvalidInputError("--continuous-range takes one LO,HI for every code or NAME=LO,HI per code, "
                                f"not both; got {len(unnamed)} LO,HI and {sorted(named)}")
    return unnamed[0] if unnamed else named
