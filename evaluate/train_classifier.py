"""Trains the evaluator classifier (`evaluate/classifier.py` runs it) on the MNIST train split; needs torch.

    python -m evaluate.train_classifier --out evaluate/assets/evaluator.onnx     # minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from evaluate.classifier import ASSET, FEATURES
from infogan_sdk.atomic import atomic_output
from mnist_data.files import data_sha256, default_data_dir, load_mnist

logger = logging.getLogger(__name__)


class Classifier(nn.Module):
    """(N, 1, 28, 28) in [0, 1] -> (logits (N, 10), features (N, 128))."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 7, 7)
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 3, 3)
            nn.Flatten(1),
            nn.Linear(64 * 9, FEATURES), nn.ReLU(),  # (N, 128): the features
        )
        self.head = nn.Linear(FEATURES, 10)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(images)
        return self.head(features), features


def shifted(images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random shifts of up to 2 pixels: generated digits are not always perfectly centred."""
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=rng))
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


def train_classifier(data_dir: Path, epochs: int, seed: int) -> tuple[Classifier, float]:
    images, labels = load_mnist("train", data_dir)
    test_images, test_labels = load_mnist("test", data_dir)
    x = torch.from_numpy(images).unsqueeze(1).float() / 255
    y = torch.from_numpy(labels)
    torch.manual_seed(seed)
    model = Classifier()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = torch.Generator().manual_seed(seed)
    steps = epochs * (len(x) // 128)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=rng)
        for start in range(0, len(x) - 127, 128):
            index = order[start : start + 128]
            logits, _ = model(shifted(x[index], rng))
            loss = F.cross_entropy(logits, y[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        logger.info("epoch %d: loss %.4f", epoch + 1, loss.item())
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.from_numpy(test_images).unsqueeze(1).float() / 255)
    accuracy = float((logits.argmax(1).numpy() == test_labels).mean())
    return model, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluate.train_classifier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ASSET)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    data_dir = args.data_dir or default_data_dir()
    started = time.perf_counter()
    model, accuracy = train_classifier(data_dir, args.epochs, args.seed)
    with atomic_output(args.out, overwrite=True) as temporary:
        torch.onnx.export(model, (torch.zeros(2, 1, 28, 28),), str(temporary), dynamo=False, opset_version=18,
                          input_names=["images"], output_names=["logits", "features"],
                          dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}})
    record = {"test_accuracy": accuracy, "epochs": args.epochs, "seed": args.seed, "input": "[0, 1], white on black",
              "data_sha256": data_sha256(data_dir), "seconds": round(time.perf_counter() - started, 1),
              "command": "python -m evaluate.train_classifier " + " ".join(argv if argv is not None else sys.argv[1:])}
    with atomic_output(args.out.with_suffix(".json"), overwrite=True) as temporary:
        temporary.write_text(json.dumps(record, indent=2) + "\n")
    logger.info("evaluator: MNIST test accuracy %.4f, written to %s", accuracy, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
