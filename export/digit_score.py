"""The not-a-digit score, fitted and calibrated in one place.

`fit`: two signals on the encoder's features (D's body and Q's hidden layer), `train.networks.DigitScore`. A small
MLP trained at export to tell MNIST train digits (plain, degraded once and twice, a quarter distorted), as many of
the model's own samples, printed digits and plain strokes from generated blank, noise, shape and texture images and
printed letters (outlier exposure, Hendrycks et al. 2019): it rejects the kinds it saw. A class-conditional
Mahalanobis distance fitted on the same digits alone (Lee et al. 2018): it rejects what lies far from every class,
kinds never seen included (any model's score, `export.domain_score`, is this kind alone). Each is shifted to reject
half the budget on the MNIST train images the fit never saw, and the score is the smaller. `calibrate`: the
threshold that `Encoder.infer(...).is_digit` uses, the score's FALSE_REJECTS quantile on those images, read through
the SDK on the written files as users run them.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from evaluate import not_digit
from export import domain_score
from export.domain_score import FALSE_REJECTS, RIDGE, class_whitening
from export.graphs import GeneratorGraph
from infogan_sdk import Encoder
from infogan_sdk.images.decode import read_images
from infogan_sdk.latents.draw import draw
from infogan_sdk.loading.sessions import chunks
from infogan_sdk.spec import LatentSpec
from train.augment import degraded, distorted
from train.networks import Density, DigitScore, Discriminator
from train.pixels import to_pixels
from train.printed import printed_bank, printed_characters

FIT_IMAGES = 50_000  # MNIST train images the score is fitted on; the other 10,000 calibrate it
# letters and symbols the score learns to refuse (in the stage 2 fonts only): not those that look like digits
NOT_DIGITS = "".join(c for c in string.ascii_letters if c not in not_digit.LOOKALIKES) + not_digit.SYMBOLS
METHOD = ("the smaller of two scores on the encoder's features (D's body and Q's hidden layer), each shifted to its "
          "own threshold: minus the squared Mahalanobis distance to the nearest class centre (one shared covariance, "
          "classes as the encoder reads them), fitted on the digits below alone; and the logit of a small MLP "
          "trained at export on MNIST train digits (plain, degraded once and twice, a quarter distorted), as many of "
          "the model's own samples, digits printed in 14 fonts and plain pen strokes against generated blank, noise, "
          "shape and texture images (seeds the not-a-digit suite does not use) and letters and symbols printed in "
          "the same 14 fonts (the suite's letters use 7 others; export.digit_score_fit in the manifest has the "
          "counts); each rejects about half of 1% of the other train images, and the threshold 1% of them")


@dataclass(frozen=True)
class ScoreSizes:
    """How many images the fit uses: the defaults ship; tests use `ScoreSizes.quick()`."""

    digits: int = FIT_IMAGES  # train digits (plus as many views and samples)
    negatives: int = 2_000  # generated non-digits per kind
    drawn_repeats: int = 8  # printed digits and plain strokes (~2,300), each this many times: ~8% of the digits
    letters: bool = True  # letters and symbols in the stage 2 fonts (train/printed.py) among the non-digits

    @classmethod
    def quick(cls) -> ScoreSizes:
        return cls(digits=2_000, negatives=100, drawn_repeats=1, letters=False)


def split(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(fit, calibration) indices into MNIST train: a seeded permutation cut at FIT_IMAGES."""
    order = np.random.default_rng(seed).permutation(count)
    return order[:FIT_IMAGES], order[FIT_IMAGES:]


def fit(generator: GeneratorGraph, discriminator: Discriminator, train_images: np.ndarray,
        sizes: ScoreSizes) -> tuple[DigitScore, dict[str, Any]]:
    """The score for this model, and the record of what it was fitted on (`export.digit_score_fit`)."""
    spec = generator.spec
    rows = split(len(train_images))[0][: sizes.digits]
    real = to_pixels(torch.from_numpy(train_images[rows]), spec)
    # real digits, as users pass them too, and the model's own (its codes reach thicker and thinner strokes than
    # MNIST has), against generated non-digits as the SDK's preprocessing hands them to the encoder
    views = _digit_views(real, spec.pixel_range[0])
    drawn = _drawn_digits(sizes.drawn_repeats)  # printed digits and plain strokes: digits that MNIST lacks
    digits = torch.cat([real, views, _generated_pixels(generator, len(real)), to_pixels(torch.from_numpy(drawn), spec)])
    negatives = read_images(not_digit.negatives(sizes.negatives), spec.image_shape[1:], "auto")
    letters, _ = printed_characters(NOT_DIGITS) if sizes.letters else (np.zeros((0, 28, 28), np.uint8), [])
    others = to_pixels(torch.from_numpy(np.concatenate([negatives, letters])), spec)
    features, classes = domain_score.features(discriminator, digits, spec.digit_code_size)
    score = fit_digit_score(features, domain_score.features(discriminator, others))
    held_out = to_pixels(torch.from_numpy(train_images[split(len(train_images))[1]]), spec)
    calibration = domain_score.features(discriminator, held_out)
    score.density = fit_density(score, features, classes, calibration)
    record = {"train_digits": len(rows), "digit_views": len(views), "samples": len(rows),
              "drawn_digits": len(drawn), "non_digits": len(negatives), "letters_and_symbols": len(letters),
              "first_non_digit_seed": not_digit.NEGATIVE_SEEDS}
    return score, record


def calibrate(folder: str | os.PathLike[str], train_images: np.ndarray) -> dict[str, Any] | None:
    """The manifest's `not_a_digit` entry for the model folder (None for an encoder without a digit score)."""
    held_out = train_images[split(len(train_images))[1]]
    scores = Encoder(folder, device="cpu").infer(held_out, preprocess="none").digit_score
    if scores is None:
        return None
    return {"threshold": float(np.quantile(scores, FALSE_REJECTS)), "score": "digit_score",
            "false_reject_target": FALSE_REJECTS, "calibration_images": len(held_out), "method": METHOD}


def fit_digit_score(digits: torch.Tensor, others: torch.Tensor, epochs: int = 6, seed: int = 0) -> DigitScore:
    """Train the score on (N, F) features of digits against (M, F) features of non-digits, each class weighing
    the same in the loss (Adam, batches of 512); a function of the features and `seed`."""
    features = torch.cat([digits, others]).float()
    is_digit = torch.cat([torch.ones(len(digits)), torch.zeros(len(others))])
    weight = torch.where(is_digit == 1, 1.0, len(digits) / len(others))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        score = DigitScore(features.mean(dim=0), features.std(dim=0) + 1e-6)
        optimizer = torch.optim.Adam(score.net.parameters(), lr=1e-3, weight_decay=1e-4)
        for _ in range(epochs):
            for rows in torch.randperm(len(features)).split(512):
                loss = nn.functional.binary_cross_entropy_with_logits(score(features[rows]), is_digit[rows],
                                                                      weight=weight[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return score.eval()


@torch.no_grad()
def fit_density(score: DigitScore, digits: torch.Tensor, classes: torch.Tensor, calibration: torch.Tensor,
                ridge: float = RIDGE) -> Density:
    """The Mahalanobis part of `score`: class centres and one shared covariance of the (N, F) digit features by their
    (N,) classes, and shifts that make `score` reject FALSE_REJECTS of the (M, F) calibration features, each signal
    rejecting about as many (the same quantile of each)."""
    centres, whitening = class_whitening(((digits - score.mean) / score.scale).double(), classes, ridge=ridge)
    density = Density(centres, whitening, (0.0, 0.0, 1.0))
    logit = score.net((calibration - score.mean) / score.scale).flatten(0)
    distance = density((calibration - score.mean) / score.scale)
    low, high = 0.0, FALSE_REJECTS
    for _ in range(40):  # the quantile q of each signal whose union rejects FALSE_REJECTS
        q = (low + high) / 2
        rejected = (logit < torch.quantile(logit, q)) | (distance < torch.quantile(distance, q))
        low, high = (q, high) if rejected.float().mean() < FALSE_REJECTS else (low, q)
    shifts = (float(torch.quantile(logit, low)), float(torch.quantile(distance, low)),
              float(logit.std() / distance.std()))
    return Density(centres, whitening, shifts)


@torch.no_grad()
def _generated_pixels(graph: GeneratorGraph, count: int, seed: int = 0) -> torch.Tensor:
    """`count` images drawn as the SDK draws them (every code from its prior), (N, 1, 28, 28) model pixels."""
    spec: LatentSpec = graph.spec
    latents = draw(spec, count, seed, None, {}, None)
    images = []
    for rows in chunks(count, 1000):
        feeds = latents.feeds(spec, rows)
        images.append(graph(*(torch.from_numpy(feeds[name]) for name in spec.generator_inputs())))
    return torch.cat(images)


def _drawn_digits(repeats: int) -> np.ndarray:
    """uint8 (N, 28, 28), as the SDK's preprocessing hands them over: digits printed in the stage 2 fonts, and plain
    pen strokes (a 1: 3-40 px wide, 50-190 px long, tilted up to 12 degrees, light or dark paper, round or square
    ends), each `repeats` times. The robustness suite's plain strokes are rectangles on 300x300 pages: other images."""
    printed, _ = printed_bank()
    rng, strokes = np.random.default_rng(7), []
    for _ in range(600):
        length, angle = int(rng.integers(50, 191)), float(rng.uniform(-12, 12))
        width = int(rng.integers(3, max(4, min(41, length // 4))))  # a 1 is at least 4 times as long as wide
        paper, ink = (235, 25) if rng.random() < 0.7 else (10, 230)
        page = Image.new("L", (220, 220), paper)
        end = np.radians(angle)
        dx, dy = np.sin(end) * length / 2, np.cos(end) * length / 2
        ImageDraw.Draw(page).line([(110 - dx, 110 - dy), (110 + dx, 110 + dy)], fill=ink, width=width,
                                  joint="curve" if rng.random() < 0.5 else None)
        strokes.append(np.asarray(page))
    drawn = np.concatenate([printed, read_images(strokes, (28, 28), "auto")])
    return np.tile(drawn, (repeats, 1, 1))


@torch.no_grad()
def _digit_views(real: torch.Tensor, background: float, seed: int = 0) -> torch.Tensor:
    """(N, 1, 28, 28) real digits -> 2.25 N views of them that the digit score must still accept: degraded once and
    twice (thinner, thicker, blurred, low-resolution: `train.augment.degraded`) and a quarter distorted (rotated,
    sheared, scaled and moved, as the SDK's crop of a photo leaves them). Without them, half of the digits reduced
    to 8x8 and a third of the thinned ones read as not digits."""
    rng = torch.Generator().manual_seed(seed)
    once = torch.cat([degraded(rows, background, rng) for rows in real.split(1000)])
    twice = torch.cat([degraded(rows, background, rng) for rows in once.split(1000)])
    moved = torch.cat([distorted(rows, background, rng) for rows in real[: len(real) // 4].split(1000)])
    return torch.cat([once, twice, moved])
