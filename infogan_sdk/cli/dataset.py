"""`infogan dataset`: a labelled synthetic data set written through the public API (no math)."""

from __future__ import annotations

import argparse
from typing import Any

from infogan_sdk import Generator, InvalidInputError, write_dataset
from infogan_sdk.cli.arguments import common, positive, shard, value_range
from infogan_sdk.cli.progress import progress_bar
from infogan_sdk.datasets.plan import plan


def add_dataset(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dataset = subcommands.add_parser("dataset", parents=[common()], help="write a labelled synthetic data set")
    size = dataset.add_mutually_exclusive_group(required=True)
    size.add_argument("--per-digit", type=positive, help="images of each digit (balanced: image i is digit i %% 10)")
    size.add_argument("--count", type=positive, help="images, digits drawn at random")
    dataset.add_argument("--seed", type=int, default=0, help="seed (default 0): the same seed, the same data set")
    dataset.add_argument("--continuous-range", type=value_range, action="append", metavar="[NAME=]LO,HI",
                         help="range of the continuous codes (default the model's), or of one code; repeatable")
    dataset.add_argument("--shard", type=shard, default=(0, 1), metavar="I/K",
                         help="write only part I of K (I from 0); the K parts together are the whole data set")
    dataset.add_argument("-o", "--output", required=True, help="NAME.npz, NAME.parquet (needs pyarrow) or a folder "
                         "(PNG files + labels.csv)")
    dataset.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it is a data set this command "
                         "wrote (anything else is refused)")
    dataset.add_argument("--ignore-disk-check", action="store_true", help="start even when the free disk looks too "
                         "small for the data set (checked before any work otherwise)")
    dataset.add_argument("--compress", action="store_true", help=".npz: deflate the arrays")
    dataset.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dataset.set_defaults(handler=dataset_command)


def dataset_command(args: argparse.Namespace) -> int:
    generator = Generator(args.model, device=args.device, variant=args.variant)
    ranges = _ranges(args.continuous_range or [])
    size = len(plan(generator, count=args.count, per_digit=args.per_digit, seed=args.seed,
                    continuous_range=ranges, shard=args.shard).indices)
    with progress_bar(size, args.quiet, "image") as report:
        path = write_dataset(generator, args.output, count=args.count, per_digit=args.per_digit, seed=args.seed,
                             continuous_range=ranges, shard=args.shard, overwrite=args.overwrite,
                             compress=args.compress, progress=report, check_disk=not args.ignore_disk_check)
    print(path)
    return 0


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
