"""`python -m imagedata shapes|dsprites --out PATH [--format folder|npz] [--count N] [--test-count M] [--seed S]`:
write a generated data set with known factors, as an image folder or an .npz archive the adapter reads.

    shapes     coloured shapes on coloured backgrounds, 32x32 RGB (`imagedata.shapes`); default: a folder of 2,000
               train and 500 test images
    dsprites   the dSprites factor grid, 64x64 binary (`imagedata.dsprites`); default: all 737,280 images and a
               10,000-image test split as an .npz of packed bits
Seeded and drawn here: nothing is downloaded. Exit status 1 when --out cannot be written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from imagedata import dsprites, shapes
from imagedata.write import FORMATS
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.errors import InfoGANError


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m imagedata", description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("shapes", "dsprites"))
    parser.add_argument("--out", type=Path, required=True, help="the folder or .npz file to write")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="folder or npz (default: folder for shapes, npz for dsprites)")
    parser.add_argument("--count", type=int, default=None,
                        help=f"train images (default: 2,000 shapes; all {dsprites.TOTAL:,} dSprites)")
    parser.add_argument("--test-count", type=int, default=None,
                        help="test images (default: a quarter of --count for shapes, 10,000 for dsprites)")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed (default: 0)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.kind == "shapes":
            data = shapes.write(args.out, args.format or "folder", 2000 if args.count is None else args.count,
                                args.test_count, args.seed, args.overwrite)
            counts = (len(data.train), len(data.test))
        else:
            test_count = 10_000 if args.test_count is None else args.test_count
            counts = dsprites.write(args.out, args.format or "npz", args.count, test_count, args.seed,
                                    args.overwrite)
    except ValueError as error:
        parser.error(str(error))
    except (InfoGANError, OSError) as error:
        print(f"python -m imagedata: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {counts[0]:,} train and {counts[1]:,} test images in "
          f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
