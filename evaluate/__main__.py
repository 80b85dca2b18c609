"""`python -m evaluate MODEL [--write] [--json PATH] [--markdown] [--pictures DIR]`: describe a model folder or
bundled model.

Computes the code-to-class mapping, the continuous codes' names, directions and effects, and every
figure of the model card, all through the SDK, on the data set the model was trained on (its manifest's `data`;
MNIST's card for MNIST models, evaluate.general's for the others; `--data` names another source). `--write`
stores them in the folder's manifest (the bundled models are described this way); `--json` writes the description
to a file; `--markdown` prints the model card's tables; `--pictures` writes one traversal per continuous code.
Exit status 1 when the model or its data set cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from pathlib import Path

from evaluate.card import card
from evaluate.describe import DESCRIBED_KEYS, describe_model, write_description
from evaluate.general import model_data_set
from evaluate.pictures import write_traversals
from evaluate.scores import Sizes
from infogan_sdk import Generator, InfoGANError, available_models
from infogan_sdk.atomic import atomic_output
from infogan_sdk.cli.arguments import Parser


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    parser.add_argument("model", help=f"a bundled model name ({', '.join(available_models())}) or a model folder")
    parser.add_argument("--write", action="store_true", help="store the description in the model's manifest")
    parser.add_argument("--json", type=Path, help="write the description to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="print the model card's tables (Markdown)")
    parser.add_argument("--quick", action="store_true", help="few images per figure (seconds; for smoke tests)")
    parser.add_argument("--stored", action="store_true",
                        help="with --markdown: the tables of the description stored in the manifest (no measuring)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes for the shape measures (default: up to 2)")
    parser.add_argument("--data-dir", default=None, help="where a named data set's files are (MNIST: default "
                                                         "$INFOGAN_MNIST_DIR or the cache)")
    parser.add_argument("--data", default=None, help="the data set, an imagedata source (default: the one in the "
                                                     "model's manifest, else mnist)")
    parser.add_argument("--evaluator", type=Path, default=None,
                        help="the data set's evaluator ONNX file (default: the one shipped for its name)")
    parser.add_argument("--pictures", type=Path, default=None, help="write one traversal PNG per continuous code here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    if args.stored:
        try:
            stored = Generator(args.model, device="cpu").info
        except InfoGANError as error:
            print(f"python -m evaluate: error: {error}", file=sys.stderr)
            return 1
        print(card({key: stored[key] for key in DESCRIBED_KEYS if key in stored}))
        return 0
    try:
        model = Generator(args.model, device="cpu")
        folder, mode = model.path, model.info.get("training", {}).get("mode", "unsupervised")
        description = describe_model(folder, model_data_set(model, args.data, args.data_dir),
                                     Sizes.quick() if args.quick else Sizes(), args.seed, args.workers,
                                     mode != "unsupervised", args.data_dir, args.evaluator)
        if args.pictures:
            write_traversals(model, args.pictures, description["continuous_codes"], args.seed)
    except InfoGANError as error:
        print(f"python -m evaluate: error: {error}", file=sys.stderr)
        return 1
    command = "python -m evaluate " + shlex.join(sys.argv[1:] if argv is None else argv)
    if args.json:
        with atomic_output(args.json, overwrite=True) as temporary:
            temporary.write_text(json.dumps({**description, "model": str(folder), "command": command}, indent=2)
                                 + "\n", encoding="utf-8")
    if args.write:
        write_description(folder, description, command)
    if args.markdown:
        print(card(description))
    elif not args.json:
        print(json.dumps(description, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
