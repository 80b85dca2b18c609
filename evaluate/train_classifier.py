"""Trains a data set's evaluator classifier (`evaluate/classifier.py` runs it) on its train split; needs torch.

    python -m evaluate.train_classifier                                  # MNIST: evaluate/assets/evaluator.onnx
    python -m evaluate.train_classifier --data fashion --flip --epochs 8 --widths 64,128,128 --threads 1
                                                                         # evaluate/assets/evaluator-fashion.onnx
    python -m evaluate.train_classifier --data folder:photos --out my-evaluator.onnx   # any labelled source

The data set comes through `imagedata` (labels required); the ONNX file's sidecar JSON records its test accuracy
and the data set it read.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from evaluate.classifier import FEATURES, evaluator_path
from imagedata import DataSet, Options, open_source
from infogan_sdk.atomic import atomic_output
from infogan_sdk.errors import DataSetError

logger = logging.getLogger(__name__)
WIDTHS = (32, 64, 64)  # channels of the three conv stages (MNIST's evaluator)
POOLED = 4  # a side still longer than this after the stages is average-pooled to it (64x64 images)


class Classifier(nn.Module):
    """(N, C, H, W) in [0, 1] -> (logits (N, classes), features (N, 128)); at 28x28 grey, 10 classes:
    (N, 1, 28, 28) -> (N, 32, 14, 14) -> (N, 64, 7, 7) -> (N, 64, 3, 3) -> (N, 128)."""

    def __init__(self, channels: int = 1, height: int = 28, width: int = 28, classes: int = 10,
                 widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = channels
        for out in widths:
            layers += [nn.Conv2d(previous, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]  # (N, out, H/2, W/2)
            previous, height, width = out, height // 2, width // 2
        if max(height, width) > POOLED:  # (N, 64, 4, 4): the feature layer stays small at any size
            height, width = min(height, POOLED), min(width, POOLED)
            layers.append(nn.AdaptiveAvgPool2d((height, width)))
        self.body = nn.Sequential(
            *layers, nn.Flatten(1),
            nn.Linear(previous * height * width, FEATURES), nn.ReLU(),  # (N, 128): the features
        )
        self.head = nn.Linear(FEATURES, classes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(images)
        return self.head(features), features


def shifted(images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random shifts of up to 2 pixels: generated images are not always perfectly centred."""
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=rng))
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, 3) -> float (N, C, H, W) in [0, 1]."""
    pixels = torch.from_numpy(np.ascontiguousarray(images))
    pixels = pixels.unsqueeze(1) if pixels.dim() == 3 else pixels.permute(0, 3, 1, 2)
    return pixels.float() / 255


def train_classifier(data: DataSet, epochs: int, seed: int, flip: bool = False,
                     widths: tuple[int, ...] = WIDTHS) -> tuple[Classifier, float]:
    """The classifier trained on `data`'s train split (Adam, one-cycle, shifts; mirrored halves with `flip`) and
    its accuracy on the test split."""
    if data.train.labels is None or data.test.labels is None:
        raise DataSetError(f"{data.source}: an evaluator learns the labels; expected a labelled data set")
    x, y = as_tensor(data.train.images), torch.from_numpy(data.train.labels)
    torch.manual_seed(seed)
    model = Classifier(*data.image_shape, classes=data.classes, widths=widths)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = torch.Generator().manual_seed(seed)
    steps = epochs * (len(x) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=rng)
        for start in range(0, len(x) - 127, 128):
            index = order[start : start + 128]
            batch = shifted(x[index], rng)
            if flip:  # every other image mirrored: the classes look the same either way round
                batch[::2] = batch[::2].flip(3)
            logits, _ = model(batch)
            loss = F.cross_entropy(logits, y[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        logger.info("epoch %d: loss %.4f", epoch + 1, loss.item())
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(as_tensor(data.test.images[start : start + 1000]))[0]
                            for start in range(0, len(data.test), 1000)])
    accuracy = float((logits.argmax(1).numpy() == data.test.labels).mean())
    return model, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluate.train_classifier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    parser.add_argument("--data", default="mnist", help="an imagedata source with labels (default mnist)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the ONNX file (default: the data set's evaluator in evaluate/assets)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flip", action="store_true", help="mirror half of each batch (not for digits)")
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)),
                        help="channels of the conv stages, comma-separated (default %(default)s)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where a named source's files are")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    try:
        widths = tuple(int(value) for value in args.widths.split(","))
    except ValueError:
        parser.error(f"--widths takes comma-separated channel counts such as 32,64,64, got {args.widths!r}")
    try:
        data = open_source(args.data, Options(data_dir=args.data_dir))
        model, accuracy = train_classifier(data, args.epochs, args.seed, args.flip, widths)
    except DataSetError as error:
        print(f"python -m evaluate.train_classifier: error: {error}", file=sys.stderr)
        return 1
    out = args.out or evaluator_path(data.name)
    write_evaluator(model, data, out, {
        "test_accuracy": accuracy, "epochs": args.epochs, "seed": args.seed, "flip": args.flip, "widths": list(widths),
        "seconds": round(time.perf_counter() - started, 1),
        "command": "python -m evaluate.train_classifier " + " ".join(argv if argv is not None else sys.argv[1:])})
    logger.info("evaluator: %s test accuracy %.4f, written to %s", data.name, accuracy, out)
    return 0


def write_evaluator(model: Classifier, data: DataSet, out: Path, record: dict[str, object]) -> None:
    """The ONNX file (images (N, C, H, W) -> logits, features) and its sidecar JSON, each written atomically."""
    channels, height, width = data.image_shape
    with atomic_output(out, overwrite=True) as temporary:
        torch.onnx.export(model, (torch.zeros(2, channels, height, width),), str(temporary), dynamo=False,
                          opset_version=18, input_names=["images"], output_names=["logits", "features"],
                          dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    described = data.describe()
    sidecar = {"test_accuracy": record.pop("test_accuracy"), **record,
               "input": "[0, 1], (N, C, H, W)" + (", white on black" if data.name == "mnist" else ""),
               "data_sha256": dict(data.sha256),
               "data": {key: described[key] for key in ("name", "source", "image_shape", "classes", "class_names",
                                                       "counts")}}
    with atomic_output(out.with_suffix(".json"), overwrite=True) as temporary:
        temporary.write_text(json.dumps(sidecar, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
