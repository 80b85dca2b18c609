"""`infogan generate`, `traverse`, `edit` and `reconstruct`: images drawn (or redrawn) into image files; digits on
MNIST models (--digit), any model's classes by label or index (--class)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from PIL import Image

from infogan_sdk import GenerateResult, Generator, InvalidInputError
from infogan_sdk.atomic import atomic_output
from infogan_sdk.cli.arguments import PREPROCESS_HELP, common, numbers, positive
from infogan_sdk.errors import OutputExistsError
from infogan_sdk.generator import TRAVERSE_STEPS
from infogan_sdk.images.convention import grid_shape
from infogan_sdk.images.decode import MAX_PIXELS
from infogan_sdk.images.files import expand
from infogan_sdk.latents.arguments import is_index
from infogan_sdk.latents.draw import check_count

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".gif": "GIF",
                 ".tif": "TIFF", ".tiff": "TIFF"}  # -o's extension -> the format written


def add_generate(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = subcommands.add_parser("generate", parents=[common()], help="generate images into a grid PNG")
    generate.add_argument("--digit", type=numbers(int), help="MNIST models: digit(s) 0-9, comma-separated (default "
                          "random)")
    _class_option(generate)
    generate.add_argument("--count", type=int, help="number of images (cycles through the --digit or --class values; "
                          "for big labelled sets see infogan dataset)")
    generate.add_argument("--continuous", type=numbers(float), help="every continuous code, e.g. --continuous=0.5,-1")
    generate.add_argument("--rotation", type=float, help="the continuous code named rotation")
    generate.add_argument("--width", type=float, help="the continuous code named width")
    generate.add_argument("--thickness", type=float, help="the continuous code named thickness")
    _beyond(generate, "codes outside the range the model was trained on (infogan info shows it)")
    _image_output(generate, seeded=True)
    generate.set_defaults(handler=generate_command)


def add_traverse(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    traverse = subcommands.add_parser("traverse", parents=[common()], help="sweep one continuous code into a row PNG")
    traverse.add_argument("--digit", type=int, help="MNIST models: digit 0-9 (default random)")
    _class_option(traverse)
    traverse.add_argument("--code", default="0", help="continuous code: index or name (default 0)")
    traverse.add_argument("--values", type=numbers(float), help="values to sweep (default -2..2 in 10 steps: beyond "
                          "the trained range at both ends, as stderr says)")
    _beyond(traverse, "--values outside the range the model was trained on (infogan info shows it)")
    _image_output(traverse, seeded=True)
    traverse.set_defaults(handler=traverse_command)


def add_edit(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    edit = subcommands.add_parser("edit", parents=[common()], help="redraw your digit images with codes changed")
    edit.add_argument("--digit", type=numbers(int), help="replace the digit: one for all, or one per image")
    edit.add_argument("--continuous", type=numbers(float), help="add to every continuous code: --continuous=0.5,0")
    edit.add_argument("--rotation", type=float, help="add to the code named rotation (+ leans right)")
    edit.add_argument("--width", type=float, help="add to the code named width (+ wider)")
    edit.add_argument("--thickness", type=float, help="add to the code named thickness (+ thicker)")
    _beyond(edit, "changes wider than the range the model was trained on (infogan info shows it)")
    _images_in(edit)
    _image_output(edit, seeded=False)
    edit.set_defaults(handler=edit_command)


def add_reconstruct(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reconstruct = subcommands.add_parser("reconstruct", parents=[common()], help="redraw digit images from their "
                                         "codes and noise as the model reads them (prints each reconstruction error)")
    _images_in(reconstruct)
    _image_output(reconstruct, seeded=False)
    reconstruct.set_defaults(handler=edit_command)


def _class_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--class", dest="classes", action="append", metavar="LABEL[,LABEL...] | CODE=LABEL",
                         help="categorical codes by label or index (infogan info lists them): --class sneaker, "
                         "--class sneaker,bag (one per image), or --class CODE=LABEL for any code (repeat the option)")


def _classes(given: list[str] | None, count: int | None) -> dict[str, str | list[str]] | list[str] | None:
    """--class values -> generate's classes=: a list for the first code (cycled to `count`), or {code: labels}."""
    if not given:
        return None
    named = [value.partition("=") for value in given]
    if not any(equals for _, equals, _ in named):
        labels = [label for value in given for label in value.split(",")]
        return [labels[index % len(labels)] for index in range(count)] if count and len(labels) > 1 else labels
    if not all(equals for _, equals, _ in named):
        raise InvalidInputError(f"--class takes labels or CODE=LABEL pairs, not both: got {given}")
    return {code: labels.split(",") if "," in labels else labels for code, _, labels in named}


def _beyond(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--beyond-range", action="store_true", help=f"allow {what}: the model never learnt to "
                         "draw there, so such images are extrapolations (often blobs)")


def _images_in(command: argparse.ArgumentParser) -> None:
    command.add_argument("images", nargs="+", help="image files (any size, either polarity), folders or globs")
    command.add_argument("--preprocess", choices=["auto", "mnist", "none"], default="auto", help=PREPROCESS_HELP)


def _image_output(command: argparse.ArgumentParser, seeded: bool) -> None:
    if seeded:
        command.add_argument("--seed", type=int, help="seed for everything not given (default: fresh randomness)")
    command.add_argument("-o", "--output", required=True, help="image file, in the format its extension names "
                         f"({', '.join(IMAGE_FORMATS)}); with --separate: a folder (PNG) or NAME.EXT")
    command.add_argument("--scale", type=positive, default=1, help="make images N times larger (nearest pixels)")
    command.add_argument("--separate", action="store_true", help="one PNG per image instead of a grid")
    command.add_argument("--overwrite", action="store_true", help="--separate: replace existing PNG files")
    command.add_argument("--columns", type=int, help="grid columns")
    command.add_argument("--padding", type=int, default=2, help="pixels between grid cells (default 2)")


def generate_command(args: argparse.Namespace) -> int:
    digits = args.digit
    if args.count is not None:
        check_count(args.count)  # before the digits are cycled to it
    if digits and args.count and len(digits) > 1:  # --digit 0,...,9 --count 20000: 0..9 in turn, 2000 each
        digits = [digits[index % len(digits)] for index in range(args.count)]
    classes = _classes(args.classes, args.count)
    generator = _generator(args)
    _check_output(args, generator, args.count or len(digits or (classes if isinstance(classes, list) else [0])))
    latents = generator.latents(digits=digits, classes=classes, count=args.count, continuous=args.continuous,
                                rotation=args.rotation, width=args.width, thickness=args.thickness, seed=args.seed,
                                beyond_range=args.beyond_range)  # drawn after every check of the output
    return _write(generator.render(latents), args)


def traverse_command(args: argparse.Namespace) -> int:
    code = int(args.code) if is_index(args.code) else args.code
    generator = _generator(args)
    _check_output(args, generator, len(args.values or [0] * TRAVERSE_STEPS), one_row=True)
    result = generator.traverse(digit=args.digit, code=code, values=args.values, classes=_classes(args.classes, None),
                                seed=args.seed, beyond_range=args.beyond_range)
    outside = generator.outside_range(result.continuous)
    if outside.any():  # the default sweep goes beyond on purpose: say which images the model never learnt
        low, high = generator.spec.continuous_range
        print(f"infogan: note: {outside.sum()} of the {len(result)} images lie outside the range the model was "
              f"trained on, [{low:g}, {high:g}] (the sweep runs from {result.continuous.min():g} to "
              f"{result.continuous.max():g}): they are extrapolations", file=sys.stderr)
    return _write(result, args)


def edit_command(args: argparse.Namespace) -> int:
    """`infogan edit` and `infogan reconstruct`: the images redrawn, changed or not; reconstruct also says how
    well each was redrawn (on stderr: stdout lists the files written)."""
    generator, paths = _generator(args), list(expand(args.images))
    _check_output(args, generator, max(len(paths), len(args.digit or []) if args.command == "edit" else 0))
    if args.command == "reconstruct":
        result = generator.reconstruct(paths, preprocess=args.preprocess)
        assert result.reconstruction_error is not None
        for path, digit, error in zip(paths, result.digits.tolist(), result.reconstruction_error.tolist(),
                                      strict=True):
            print(f"{path}: digit {digit}, reconstruction error {error:.3f}", file=sys.stderr)
    else:
        result = generator.edit(paths, digit=args.digit, continuous=args.continuous, rotation=args.rotation,
                                width=args.width, thickness=args.thickness, preprocess=args.preprocess,
                                beyond_range=args.beyond_range)
    return _write(result, args)


def _generator(args: argparse.Namespace) -> Generator:
    return Generator(args.model, device=args.device, variant=args.variant)


def _check_output(args: argparse.Namespace, generator: Generator, n: int, one_row: bool = False) -> None:
    """What would stop -o from being written, checked before any image is made: its format, its folder, an existing
    file, the size of n images' grid (`one_row`: a traverse's) or of each image (--separate), times --scale."""
    output = Path(args.output)
    height, width = generator.spec.image_shape[1:]
    asked = f"each of the {n:,} images" if args.separate else "the image"
    if not args.separate:
        if output.exists() and not args.overwrite:  # as dataset and --separate do: never replace work silently
            raise OutputExistsError(f"{output} exists: expected a new path (pass --overwrite to replace it)")
        if n > 1 or args.columns not in (None, 1):  # one image is written as it is
            columns = args.columns or (n if one_row else math.ceil(math.sqrt(n)))
            height, width = grid_shape(n, height, width, columns, args.padding)
            asked = f"a grid of {n:,} images in {columns:,} columns"
    if not args.separate or output.suffix.lower() in IMAGE_FORMATS:
        _image_format(output)
        _folder_exists(output)
    advice = "a smaller --scale" if args.separate else "fewer images, a smaller --scale or --separate (one file per " \
        "image)" + (f"; for many images, a data set: infogan dataset --count {n} -o digits.npz"
                    if args.command == "generate" else "")
    _size_allowed(width * args.scale, height * args.scale, asked + (f" at --scale {args.scale}" if args.scale > 1
                                                                      else ""), advice)


def _write(result: GenerateResult, args: argparse.Namespace) -> int:
    """One image file at args.output (a grid; one image as it is), or with --separate one file per image (in a
    folder, or NAME_0000_digitD.EXT; NAME_0000_LABEL.EXT for a model's classes); the format is the extension's, the
    size times --scale."""
    output = Path(args.output)
    if not args.separate:
        image = result.grid(columns=args.columns, padding=args.padding)  # one row for traverse; one image as it is
        _save(image, output, args.scale)
        print(output)
        return 0
    folder = output.suffix.lower() not in IMAGE_FORMATS
    names = [f"{index:04d}_digit{digit}" for index, digit in enumerate(result.digits)] \
        if (result.digits >= 0).all() or not result.codes.shape[1] \
        else [f"{index:04d}_{_file_safe(row)}" for index, row in enumerate(result.classes.tolist())]
    paths = [output / f"{name}.png" if folder else output.with_name(f"{output.stem}_{name}{output.suffix}")
             for name in names]
    if not args.overwrite:
        existing = [path for path in paths if path.exists()]
        if existing:
            raise OutputExistsError(f"{len(existing)} of the {len(paths)} files exist, e.g. {existing[0]}: expected "
                                    "new paths (pass --overwrite to replace them)")
    if folder:
        output.mkdir(parents=True, exist_ok=True)
    for image, path in zip(result.to_pil(), paths, strict=True):
        _save(image, path, args.scale)
        print(path)
    return 0


def _file_safe(labels: list[str]) -> str:
    """A row's class labels as part of a file name ("t-shirt/top" -> "t-shirt-top"); "image" without codes."""
    return "_".join("".join(c if c.isalnum() or c in "-." else "-" for c in label) for label in labels) or "image"


def _save(image: Image.Image, path: Path, scale: int) -> None:
    """Write an image atomically in the format its extension names, `scale` times larger (nearest pixels)."""
    form = _image_format(path)
    _folder_exists(path)
    _size_allowed(image.width * scale, image.height * scale, f"{path} at --scale {scale}", "a smaller --scale")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    try:
        with atomic_output(path, overwrite=True) as temporary:
            image.save(temporary, format=form)
    except OSError as error:  # named after the target, not the temporary file
        raise OSError(f"cannot write {path}: {error.strerror or error}") from error


def _image_format(path: Path) -> str:
    """The PIL format that `path`'s extension names, or InvalidInputError."""
    form = IMAGE_FORMATS.get(path.suffix.lower())
    if form is None:
        raise InvalidInputError(f"cannot tell the image format of {path}: expected a name ending in "
                                f"{', '.join(IMAGE_FORMATS)}, got {path.suffix or 'no extension'!r}")
    return form


def _folder_exists(path: Path) -> None:
    if not path.parent.is_dir():
        raise OSError(f"cannot write {path}: no such folder {path.parent} (create it first)")


def _size_allowed(width: int, height: int, asked: str, advice: str) -> None:
    """InvalidInputError for an image of more than MAX_PIXELS (--scale 10000 ran out of memory), saying what was
    `asked` for and what to do instead (`advice`)."""
    if width * height > MAX_PIXELS:
        raise InvalidInputError(f"{asked} would be {width:,}x{height:,} pixels, over the limit of {MAX_PIXELS:,} "
                                f"pixels per image file (what infogan infer reads back): use {advice}")
