"""`python -m export CHECKPOINT --out MODEL_DIR`: write a verified, self-described ONNX model folder (any model: MNIST
digits get the digit score and the MNIST description, others the data set's class names as labels).

A thin skin over `export.folder.export_checkpoint`, or `export.noise.export_noise` for a noise run (`python -m
train --stage noise`: its model folder again, the encoder with a `noise` output). Exit status 1 when verification
fails (and nothing is written at MODEL_DIR), 2 on bad arguments, a MODEL_DIR that may not be replaced included:
an existing model folder is replaced only with --overwrite, and nothing else ever is (the run folder, a folder
holding it, any other non-empty folder).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace

from evaluate.describe import Sizes
from export.digit_score import ScoreSizes
from export.folder import export_checkpoint
from export.graphs import EXPORTERS
from export.noise import export_noise
from export.verify import VerificationError
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.cli.interrupts import interruptible
from infogan_sdk.errors import InfoGANError, OutputExistsError
from train.checkpoint import load_checkpoint


@interruptible("python -m export")  # SIGTERM and SIGHUP stop it as Ctrl-C does: one line, exit 128 + N
def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m export", description=__doc__, allow_abbrev=False)
    parser.add_argument("checkpoint", help="a checkpoint.pt written by python -m train (or its run folder)")
    parser.add_argument("--out", required=True, help="the model folder to write (new, or empty)")
    parser.add_argument("--overwrite", action="store_true", help="replace the model folder already at --out")
    parser.add_argument("--exporter", choices=EXPORTERS, default="dynamo",
                        help="torch.onnx dynamo exporter (default) or the legacy TorchScript one as a fallback")
    parser.add_argument("--name", default=None, help="model name in the manifest (default: the folder name)")
    parser.add_argument("--description", default="")
    parser.add_argument("--provisional", action="store_true", help="mark the model as a stand-in in its manifest")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $INFOGAN_MNIST_DIR or the cache)")
    parser.add_argument("--mapping-images", type=int, default=Sizes.mapping_images,
                        help="labelled training images used to map categorical values to digits")
    parser.add_argument("--quick-describe", action="store_true",
                        help="describe, and fit the digit score, with few images (seconds; for smoke tests, not "
                             "for shipping)")
    parser.add_argument("--workers", type=int, default=1, help="processes for the shape measures")
    parser.add_argument("--training-note", default="",
                        help="how the checkpoint was produced, if the recorded command does not say it all")
    parser.add_argument("--stage1-realness", action="store_true",
                        help="two-stage runs: realness from stage 1 D inside encoder.onnx (twice the encoder's cost, "
                             "3.5 MB more; default: the reader's head, marked deprecated in the manifest)")
    parser.add_argument("--continuous-names", type=_names, default=None, metavar="NAME,NAME,...",
                        help="models other than MNIST digits: the continuous codes' names, in order (default c0, c1, "
                             "...); MNIST models' names come from the description")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("onnx_ir").setLevel(logging.WARNING)  # one line per graph pass otherwise
    try:
        if load_checkpoint(args.checkpoint, frozenset({"checkpoint_version"})).get("stage") == "noise":
            export_noise(args.checkpoint, args.out, exporter=args.exporter, name=args.name, data_dir=args.data_dir,
                         overwrite=args.overwrite)
            return 0
        export_checkpoint(args.checkpoint, args.out, exporter=args.exporter, name=args.name,
                          description=args.description, provisional=args.provisional, data_dir=args.data_dir,
                          sizes=replace(Sizes.quick() if args.quick_describe else Sizes(),
                                        mapping_images=args.mapping_images),
                          training_note=args.training_note, workers=args.workers,
                          stage1_realness=args.stage1_realness,
                          score_sizes=ScoreSizes.quick() if args.quick_describe else ScoreSizes(),
                          overwrite=args.overwrite, continuous_names=args.continuous_names)
    except OutputExistsError as error:
        print(f"export refused: {error}", file=sys.stderr)
        return 2
    except (VerificationError, InfoGANError) as error:  # CheckpointError is an InfoGANError
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    return 0


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(name.isidentifier() for name in names):
        raise argparse.ArgumentTypeError(f"expected names such as size,hue,x (identifiers, comma-separated), got "
                                         f"{text!r}")
    return names


if __name__ == "__main__":
    sys.exit(main())
