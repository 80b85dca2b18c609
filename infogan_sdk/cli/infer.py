"""`infogan infer`: the digit and codes of image files, folders, globs or stdin, written as rows (no math)."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import chain
from typing import TextIO

from infogan_sdk import Encoder, InvalidInputError
from infogan_sdk.atomic import atomic_output
from infogan_sdk.cli.arguments import PREPROCESS_HELP, common, positive
from infogan_sdk.cli.progress import progress_bar
from infogan_sdk.cli.rows import ANSWER, MNIST_ANSWER, RowWriter, rows
from infogan_sdk.errors import shown
from infogan_sdk.images.files import FileInput, read_stdin
from infogan_sdk.images.walk import IMAGE_SUFFIXES

EXIT_UNREADABLE = 3  # infer --skip-errors: some files could not be read (their rows say why)


def add_infer(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    infer = subcommands.add_parser("infer", parents=[common()], help="read the digit (or any model's classes) and "
                                   "codes of image files")
    infer.add_argument("images", nargs="+", help="image files (any size, either polarity), folders, globs, or - "
                       "(stdin: paths one per line, or one image's bytes)")
    infer.add_argument("-r", "--recursive", action="store_true", help="folders: also their subfolders; globs: ** "
                       "(real subfolders only, never a symlink to one; each file once)")
    infer.add_argument("--format", choices=["table", "csv", "jsonl", "json"], default="table",
                       help="output format (default table). A file name that is not UTF-8 keeps its bytes: table "
                       "and csv write them as they are (as ls does), json and jsonl as \\udcXX escapes (Python's "
                       "surrogateescape: os.fsencode(row['file']) gives the bytes back)")
    infer.add_argument("-o", "--output", help="write the rows to this file (atomically) instead of stdout")
    infer.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    infer.add_argument("--skip-errors", action="store_true", help="record unreadable files (and folders that "
                       "cannot be listed, FIFOs, broken links) as rows with their error and go on (exit code 3 if any)")
    infer.add_argument("--chunk-size", type=positive, default=256, help="files read at a time (default 256)")
    infer.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    infer.add_argument("--preprocess", choices=["auto", "mnist", "none"], default="auto", help=PREPROCESS_HELP)
    infer.add_argument("--json", action="store_true", help="same as --format json")
    infer.add_argument("--realness", action="store_true", help="add the discriminator's realness (> 0 looks real "
                       "to it); deprecated in the bundled models, whose manifests say it tells real from generated no "
                       "better than chance: use is_digit")
    infer.set_defaults(handler=infer_command)


def infer_command(args: argparse.Namespace) -> int:
    encoder = Encoder(args.model, device=args.device, variant=args.variant)
    sources: Iterable[FileInput] = chain.from_iterable(  # infer_files expands folders and globs
        read_stdin(sys.stdin.buffer) if item == "-" else [item] for item in args.images)
    failed = read = 0
    with ExitStack() as stack:
        if args.output:
            work = stack.enter_context(atomic_output(args.output, overwrite=args.overwrite))
            stream: TextIO = stack.enter_context(open(work, "w", encoding="utf-8", errors="surrogateescape",
                                                      newline=""))
        else:
            stream = stack.enter_context(_bytes_kept(sys.stdout))
        report = stack.enter_context(progress_bar(None, args.quiet, "file"))
        digits = len(encoder.code_to_digit) if encoder.spec.categorical_sizes else 0
        answer = MNIST_ANSWER if encoder.has_digit_score else ANSWER if encoder.has_domain_score else ()
        classes = encoder.categorical_names if encoder.spec.categorical_sizes and not encoder.code_to_digit else ()
        writer = RowWriter(stream, "json" if args.json else args.format, encoder.continuous_names, digits, answer,
                           args.realness, classes)
        if args.realness and encoder.realness_deprecated is not None:
            print(f"infogan: warning: this model's manifest marks realness deprecated: "
                  f"{encoder.realness_deprecated}", file=sys.stderr)
        for batch in encoder.infer_files(sources, recursive=args.recursive, chunk_size=args.chunk_size,
                                         skip_errors=args.skip_errors, preprocess=args.preprocess):
            writer.write(list(rows(batch, answer, args.realness, bool(classes))))
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
def _bytes_kept(stream: TextIO) -> Iterator[TextIO]:
    """`stream` writing a name's surrogate escapes as the bytes they stand for, instead of raising
    UnicodeEncodeError (as under LC_ALL=en_US.UTF-8); its error handler is restored after."""
    if not isinstance(stream, io.TextIOWrapper) or stream.errors == "surrogateescape":
        yield stream
        return
    errors = stream.errors
    stream.reconfigure(errors="surrogateescape")
    try:
        yield stream
    finally:
        stream.reconfigure(errors=errors)
