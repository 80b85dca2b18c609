"""`python -m train`: train InfoGAN on MNIST. A thin argparse skin over `train.loop.train`.

Examples:
    python -m train --mode unsupervised --epochs 1 --out runs/unsup
    python -m train --mode semi-supervised --labels-per-class 10 --arch compact --out runs/semi
    python -m train --dry-run --out runs/dry          # seconds, tiny fake data, a real checkpoint
    python -m train --data fashion --mode supervised --arch compact --out runs/fashion
    python -m train --data folder:photos --image-size 32 --channels 3 --resize-policy crop --out runs/photos
    python -m train --dry-run --out runs/dry --resume # continue it (--overwrite: start it again)
    python -m train --dry-run --preset svhn --categorical 10,5 --out runs/dry-svhn  # the paper's SVHN layout, 32x32 RGB
    python -m train --data npz:dsprites.npz --preset dsprites --arch small --spectral-norm --cr-weight 2 --out runs/cr
                                                    # InfoGAN-CR's regulariser (scripts/train_shapes.sh: the recipe)
    torchrun --nproc_per_node 2 -m train --dry-run --out runs/ddp
    python -m train --stage reader --generator-run runs/semi --epochs 10 --out runs/semi-reader   # stage 2
    python -m train --stage noise --model mnist --epochs 4 --out runs/mnist-noise   # stage 3, on a model folder
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from infogan_sdk.cli.arguments import Parser
from infogan_sdk.cli.interrupts import interruptible
from infogan_sdk.errors import InfoGANError
from infogan_sdk.spec import LatentSpec
from train import distributed
from train.bookkeeping import RunFolderError, has_checkpoint
from train.checkpoint import TrainingError
from train.config import ARCHITECTURES, MODES, PRESETS, NoiseConfig, ReaderConfig, TrainConfig, architecture
from train.data import data_shape
from train.loop import train
from train.noise import train_noise
from train.reader import train_reader

# TrainConfig fields that are plain command-line options
INT_OPTIONS = ("batch_size", "labels_per_class", "labelled_batch", "label_shift", "max_steps", "checkpoint_every",
               "log_every", "image_size", "generator_steps", "cr_start", "keep_every")
READER_OPTIONS = ("lr", "pseudo_label_threshold", "sample_weight", "real_weight", "supervised_weight",
                  "realness_weight", "printed_weight", "teacher_refresh", "teachers", "depth")
NOISE_OPTIONS = ("lr", "hidden", "noise_weight", "pixel_weight", "feature_weight")
SHARED_OPTIONS = ("epochs", "seed", "batch_size", "average_decay", "max_steps", "log_every")  # stages 2 and 3 too
FLOAT_OPTIONS = ("generator_lr", "discriminator_lr", "categorical_weight", "continuous_weight", "supervised_weight",
                 "consistency_weight", "consistency_threshold", "average_decay", "morph_probability", "cr_weight",
                 "cr_lr")


def parse(argv: list[str] | None) -> argparse.Namespace:
    defaults = TrainConfig()
    spec = LatentSpec()
    parser = Parser(prog="python -m train", description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run folder: checkpoint, metrics.jsonl, sample grids")
    parser.add_argument("--mode", choices=MODES, default=defaults.mode)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    existing = parser.add_mutually_exclusive_group()  # a folder that holds a run is refused without one of them
    existing.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    existing.add_argument("--auto-resume", action="store_true",
                          help="--resume if --out holds a checkpoint, else start the run there (under torchrun "
                               "--max-restarts, one command starts and restarts a run)")
    existing.add_argument("--overwrite", action="store_true",
                          help="start the run in --out again: its checkpoints, metrics and samples are deleted")
    parser.add_argument("--dry-run", action="store_true", help="a few steps of a tiny model on fake data")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    data = parser.add_argument_group("data (imagedata/sources.py)")
    data.add_argument("--data", default=defaults.data,
                      help="mnist (default), fashion, fake, shapes, idx:DIR, npz:FILE, folder:DIR, or a path (an .npz "
                           "file, a folder of IDX files, a folder of images: one subfolder per class, or flat)")
    data.add_argument("--data-dir", default=None,
                      help="the folder of mnist or fashion (default: $INFOGAN_MNIST_DIR or the cache; Debian's "
                           "/usr/share/datasets/fashion-mnist)")
    data.add_argument("--channels", type=int, choices=(1, 3), default=None,
                      help="1 grey or 3 RGB (default: the data's own)")
    data.add_argument("--resize-policy", choices=("resize", "crop"), default="",
                      help="bring images of another size than --image-size to it: resize, or crop a centred square "
                           "and resize (default: refuse them)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    model = parser.add_argument_group("model")
    model.add_argument("--arch", choices=sorted(ARCHITECTURES), default="paper")
    model.add_argument("--preset", choices=sorted(PRESETS), default=None,
                       help="the paper's setting for that data set (appendix C; PRESETS in train/config.py): its "
                            "latent layout and image shape, which the flags below, --image-size and --channels "
                            "override (default: mnist's layout, the data's image shape)")
    model.add_argument("--noise-size", type=int, default=None, help=f"default: the preset's ({spec.noise_size})")
    model.add_argument("--categorical", type=_sizes, default=None,
                       help="sizes of the categorical codes, comma-separated, e.g. 10,10,10,10 (empty for none; "
                            f"default: the preset's, {','.join(map(str, spec.categorical_sizes))})")
    model.add_argument("--continuous", type=int, default=None,
                       help=f"number of continuous codes (default: the preset's, {spec.n_continuous})")
    model.add_argument("--learned-std", action="store_true",
                       help="continuous codes: Q also predicts a log-std (default: std fixed at 1)")
    model.add_argument("--spectral-norm", action="store_true",
                       help="ModelConfig.spectral_norm in train/config.py: D (and the CR discriminator) spectrally "
                            "normalised, without BatchNorm")
    loop = parser.add_argument_group("training")
    for names, kind in ((INT_OPTIONS, int), (FLOAT_OPTIONS, float)):
        for name in names:  # each field's meaning is documented once, beside it in train/config.py
            loop.add_argument("--" + name.replace("_", "-"), type=kind, default=getattr(defaults, name),
                              help=f"TrainConfig.{name} in train/config.py (default %(default)s)")
    loop.add_argument("--robust-views", action="store_true", help="TrainConfig.robust_views in train/config.py")
    reader = parser.add_argument_group("stage 2, the reader (--stage reader; --epochs, --seed, --batch-size, "
                                       "--average-decay, --max-steps and --log-every apply to it too)")
    parser.add_argument("--stage", choices=("gan", "reader", "noise"), default="gan",
                        help="gan: InfoGAN (stage 1, the paper's); reader: train the encoder on a stage 1 run; "
                             "noise: a head that infers the noise, on a model folder (its networks frozen)")
    reader.add_argument("--generator-run", default="", help="the stage 1 run folder (ReaderConfig.generator_run)")
    _stage_options(reader, "reader", ReaderConfig(generator_run="-"), READER_OPTIONS)
    noise = parser.add_argument_group("stage 3, the noise encoder (--stage noise; the shared options as stage 2)")
    noise.add_argument("--model", default="", help="the model folder or bundled name (NoiseConfig.model)")
    _stage_options(noise, "noise", NoiseConfig(model="-"), NOISE_OPTIONS)
    return parser.parse_args(argv)


def _stage_options(group: argparse._ArgumentGroup, prefix: str, defaults: Any, names: tuple[str, ...]) -> None:
    """--PREFIX-NAME for each of a stage config's own fields, typed and defaulted as the config."""
    for name in names:
        group.add_argument(f"--{prefix}-" + name.replace("_", "-"), type=type(getattr(defaults, name)),
                           default=getattr(defaults, name),
                           help=f"{type(defaults).__name__}.{name} in train/config.py (default %(default)s)")


def reader_config(args: argparse.Namespace, argv: list[str]) -> ReaderConfig:
    """The ReaderConfig of the command line: its own options, and the shared ones the user gave."""
    own = {name: getattr(args, "reader_" + name) for name in READER_OPTIONS}
    return ReaderConfig(generator_run=args.generator_run, **own, **_shared(args, argv))


def noise_config(args: argparse.Namespace, argv: list[str]) -> NoiseConfig:
    """The NoiseConfig of the command line: its own options, and the shared ones the user gave."""
    own = {name: getattr(args, "noise_" + name) for name in NOISE_OPTIONS}
    return NoiseConfig(model=args.model, **own, **_shared(args, argv))


def _shared(args: argparse.Namespace, argv: list[str]) -> dict[str, object]:
    """The options stage 1 shares with stages 2 and 3 that the user gave (the later stages have their own
    defaults for the rest)."""
    return {name: getattr(args, name) for name in SHARED_OPTIONS if _given(argv, "--" + name.replace("_", "-"))}


def latent_spec(args: argparse.Namespace) -> LatentSpec:
    """The --preset's latent layout (mnist's without one) with --noise-size, --categorical and --continuous put over
    it; the image shape is the preset's (the data's decides it in `_train`)."""
    given = {"noise_size": args.noise_size, "categorical_sizes": args.categorical, "n_continuous": args.continuous}
    return replace(PRESETS[args.preset or "mnist"], **{k: v for k, v in given.items() if v is not None})


def _sizes(text: str) -> tuple[int, ...]:
    """--categorical's sizes: "10,10,10,10" -> (10, 10, 10, 10); "" -> ()."""
    try:
        return tuple(int(value) for value in text.split(",") if value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes separated by commas (10,10,10,10), got {text!r}") from None


def _given(argv: list[str], flag: str) -> bool:
    return any(word == flag or word.startswith(flag + "=") for word in argv)


@interruptible("python -m train")  # SIGTERM and SIGHUP stop it as Ctrl-C does: one line, exit 128 + N
def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    argv = sys.argv[1:] if argv is None else argv
    try:
        path = _train(args, argv)
    except InfoGANError as error:  # a refused folder (2), a bad checkpoint, a non-finite loss, a full disk (1)
        print(f"python -m train: {error}", file=sys.stderr)
        return 2 if isinstance(error, RunFolderError) else 1
    logging.getLogger("train").info("checkpoint: %s", path)
    return 0


def _train(args: argparse.Namespace, argv: list[str]) -> Path:
    """Run the stage the command line asks for; returns its checkpoint's path."""
    command = "python -m train " + shlex.join(argv)
    if args.auto_resume:  # a run that saved nothing yet is started again: what it logged is replaced
        found = has_checkpoint(Path(args.out))
        args.resume, args.overwrite = found, not found
    if args.stage == "reader":
        return train_reader(reader_config(args, argv), args.out, device=args.device, resume=args.resume,
                            data_dir=args.data_dir, command=command, overwrite=args.overwrite)
    if args.stage == "noise":
        return train_noise(noise_config(args, argv), args.out, resume=args.resume, data_dir=args.data_dir,
                           command=command, overwrite=args.overwrite)
    if args.preset:  # its image shape, where --image-size and --channels do not give one
        channels, side, _ = PRESETS[args.preset].image_shape
        args.image_size, args.channels = args.image_size or side, args.channels or channels
    options = {name: getattr(args, name) for name in INT_OPTIONS + FLOAT_OPTIONS}
    try:
        config = TrainConfig(mode=args.mode, epochs=args.epochs, seed=args.seed, robust_views=args.robust_views,
                             data=args.data, channels=args.channels or 0, resize_policy=args.resize_policy, **options)
    except ValueError as error:  # a value out of its range: one line, as any refused run
        raise TrainingError(str(error)) from error
    if args.dry_run:  # on fake data unless --data names some
        config = replace(config, data=args.data if _given(argv, "--data") else "fake", epochs=1,
                         batch_size=min(config.batch_size, 32), max_steps=config.max_steps or 6, labelled_batch=16,
                         labels_per_class=2, log_every=2)
    spec = replace(latent_spec(args), image_shape=data_shape(config, args.data_dir))  # the model draws the data
    try:
        model_config = architecture("tiny" if args.dry_run else args.arch, spec, learn_std=args.learned_std,
                                    spectral_norm=args.spectral_norm)
    except ValueError as error:  # an image size none of the architecture's variants draws
        raise TrainingError(str(error)) from error
    try:
        return train(model_config, config, args.out, device=args.device, resume=args.resume,
                     data_dir=args.data_dir, command=command, overwrite=args.overwrite)
    finally:
        distributed.teardown()


if __name__ == "__main__":
    sys.exit(main())
