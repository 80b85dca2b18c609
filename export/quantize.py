"""Post-training static int8 quantization of a model folder, for the CPU (onnxruntime, QDQ, per channel).

    python -m export.quantize mnist --out /tmp/mnist-int8      # calibrated on 1000 MNIST training images
    infogan --model /tmp/mnist-int8 --variant int8 bench       # or Generator("/tmp/mnist-int8", variant="int8")

    from export.quantize import quantize_folder
    quantize_folder("infogan_sdk/models/mnist", "/tmp/mnist-int8", mnist_train_images[:500])

The copy gains `generator_int8.onnx` and `encoder_int8.onnx`, listed in the manifest's files as
"generator_int8" / "encoder_int8" (the SDK's `variant="int8"`), plus a `variants.int8` record of how
they were made. Calibration: real digit images for the encoder, latents drawn as the SDK draws them
for the generator. The float32 files are untouched.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from export.target import check_target
from infogan_sdk.atomic import atomic_output
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.errors import InfoGANError, OutputExistsError
from infogan_sdk.images.convention import to_model
from infogan_sdk.latents.draw import draw
from infogan_sdk.loading.folders import resolve_model
from infogan_sdk.loading.manifest import Manifest, file_entry, load_manifest, write_manifest
from infogan_sdk.spec import IMAGES

CALIBRATION_BATCH = 100  # rows per calibration batch (the graphs have a dynamic batch axis)
LAYERS = ("Conv", "ConvTranspose", "Gemm", "MatMul")  # the nodes whose weights are quantized


class Batches(CalibrationDataReader):
    """Feeds dicts to the calibrator, CALIBRATION_BATCH rows at a time."""

    def __init__(self, feeds: dict[str, np.ndarray]) -> None:
        rows = len(next(iter(feeds.values())))
        self._batches: Iterator[dict[str, np.ndarray]] = iter(
            [{name: value[start:start + CALIBRATION_BATCH] for name, value in feeds.items()}
             for start in range(0, rows, CALIBRATION_BATCH)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_file(source: Path, target: Path, feeds: dict[str, np.ndarray],
                  keep_float: tuple[str, ...] = ()) -> list[str]:
    """One ONNX file -> int8 QDQ (uint8 activations, int8 per-channel weights), calibrated on `feeds` (the 99.999th
    percentile of each activation). The layers reading the inputs named in `keep_float` stay float32; returns
    their node names."""
    with tempfile.TemporaryDirectory() as work:
        prepared = Path(work) / "prepared.onnx"
        # shape inference + graph optimisation: cleaner QDQ. onnxruntime's symbolic shape inference cannot take an
        # opset 18 ReduceMin with its axes as an input (the digit score's density has one): ONNX's own inference
        # then does the shapes (every axis here but the batch is static)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=_has_reduce_min(source))
        kept = [node.name for node in onnx.load(str(prepared)).graph.node
                if node.op_type in LAYERS and set(node.input) & set(keep_float)]
        quantize_static(str(prepared), str(target), Batches(feeds), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.Percentile, nodes_to_exclude=kept)
    return kept


def _has_reduce_min(path: Path) -> bool:
    return any(node.op_type == "ReduceMin" for node in onnx.load(str(path)).graph.node)


def quantize_folder(model_dir: str | Path, out: str | Path, calibration_images: np.ndarray,
                    calibration_latents: int = 500, seed: int = 0, overwrite: bool = False) -> Path:
    """Copy the model folder to `out` and add its int8 files, atomically; returns `out`.

    `out` must be new or empty, or a model folder to replace with `overwrite` (`export.target.check_target`:
    never the source or a folder holding it); OutputExistsError otherwise, before any work.

    calibration_images: uint8 (N, 28, 28) real digits, white on black (e.g. 500 MNIST images).
    calibration_latents: how many latent vectors to draw (seeded) to calibrate the generator.
    """
    source, out = Path(model_dir), Path(out)
    existing = check_target(out, (source,), overwrite)
    manifest = load_manifest(source)
    with atomic_output(out, folder=True, overwrite=existing) as work:  # nothing half-written, ever
        _quantize_into(manifest, source, work, calibration_images, calibration_latents, seed)
    return out


def _quantize_into(manifest: Manifest, source: Path, out: Path, calibration_images: np.ndarray,
                   calibration_latents: int, seed: int) -> None:
    """Fill the empty folder `out` with `source`'s files and their int8 versions, and the manifest."""
    spec = manifest.spec
    shutil.copytree(source, out, dirs_exist_ok=True)
    latents = draw(spec, calibration_latents, seed, None, {}, None)
    inputs = {"generator": latents.feeds(spec, slice(0, calibration_latents)),
              "encoder": {IMAGES: to_model(np.asarray(calibration_images, dtype=np.uint8), spec.pixel_range)}}
    data: dict[str, Any] = manifest.data
    kept = {}
    for role, feeds in inputs.items():
        name = f"{role}_int8.onnx"
        # the encoder's first convolution stays float: in int8 it cost 0.56 points of accuracy on MNIST test
        # (98.71% -> 98.15%), the rest of the network 0.04 (98.67%)
        kept[role] = quantize_file(manifest.file(role), out / name, feeds, (IMAGES,) if role == "encoder" else ())
        data["files"][f"{role}_int8"] = file_entry(out, name)
    data["variants"] = {**data.get("variants", {}), "int8": {
        "method": "onnxruntime.quantization.quantize_static: QDQ, per-channel int8 weights, uint8 activations, "
                  "percentile calibration (99.999)",
        "float_layers": kept,
        "calibration": {"encoder_images": len(calibration_images), "generator_latents": calibration_latents,
                        "seed": seed},
        "onnxruntime": onnxruntime.__version__}}
    write_manifest(out, data)


def main(argv: list[str] | None = None) -> int:
    """`python -m export.quantize MODEL --out DIR`: a copy of MODEL (a bundled name or a folder) with int8 files."""
    from mnist_data.files import load_mnist  # the calibration images; only this command needs MNIST

    parser = Parser(prog="python -m export.quantize", description=main.__doc__, allow_abbrev=False)
    parser.add_argument("model", help="bundled model name (mnist) or model folder")
    parser.add_argument("--out", required=True, help="the model folder to write (new, or empty)")
    parser.add_argument("--overwrite", action="store_true", help="replace the model folder already at --out")
    parser.add_argument("--calibration", type=int, default=1000, help="MNIST training images (and latents) used")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $INFOGAN_MNIST_DIR or the cache)")
    args = parser.parse_args(argv)
    try:
        source = resolve_model(args.model)
        check_target(Path(args.out), (source,), args.overwrite)  # before MNIST is read
        images, _ = load_mnist("train", args.data_dir)
        print(quantize_folder(source, args.out, images[:args.calibration], args.calibration, overwrite=args.overwrite))
    except InfoGANError as error:
        print(f"python -m export.quantize: {error}", file=sys.stderr)
        return 2 if isinstance(error, OutputExistsError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
