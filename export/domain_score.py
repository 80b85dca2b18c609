"""Any model's "is this one of mine" score, fitted and calibrated in one place (MNIST's digit score builds on it).

`fit`: a class-conditional Mahalanobis density (Lee et al. 2018) of the encoder's features on the model's own
training images, no negatives: minus the squared distance to the nearest class centre under one shared covariance.
The classes are the data set's labels where it has them, else the first categorical code's reading (one class for a
model without one). `calibrate`: the threshold that `Encoder.infer(...).in_domain` uses, the score's FALSE_REJECTS
quantile on the part of the training split the fit never saw, read through the SDK on the written files as users run
them. Neither the test split nor any other data set trains, calibrates or tunes it: evaluate reports on those.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from imagedata import DataSet
from imagedata.dataset import holdout_rows
from infogan_sdk import Encoder
from infogan_sdk.spec import DOMAIN_SCORE
from train.config import ModelConfig
from train.networks import Density, Discriminator, body_shape
from train.pixels import to_pixels

FALSE_REJECTS = 0.01  # the threshold rejects this fraction of the held-out training images
RIDGE = 1e-3  # added to the covariance's diagonal (standardised features): keeps it invertible
CALIBRATION_SHARE = 1 / 6  # of the train split held out to calibrate (as MNIST's digit score holds 10,000 of 60,000)
FIT_IMAGES = 50_000  # at most this many of the rest fit the density (a seeded sample)
METHOD = ("minus the squared Mahalanobis distance to the nearest class centre (one shared covariance, Lee et al. "
          "2018) of the encoder's features (D's body, averaged over positions where it ends in a convolution, and "
          "Q's hidden layer), standardised, fitted on the train split's images alone (no negatives); the threshold "
          "rejects 1% of a seeded sixth of the train split that the fit never saw")


class DomainScore(nn.Module):
    """(N, F) encoder features (`Discriminator.forward_with_features`' last) -> (N,) domain score, higher is more
    like the training images: `Density` of the features, reduced (`reduce`) and standardised by `mean` and `scale`.

    pooled: (channels, positions) of a body that ends in a convolution: its features are then averaged over
    positions (as Lee et al. pool each convolution), so the covariance stays channels + q_fc wide."""

    def __init__(self, mean: torch.Tensor, scale: torch.Tensor, pooled: tuple[int, int] | None = None,
                 density: Density | None = None) -> None:
        super().__init__()
        self.pooled = pooled
        self.register_buffer("mean", mean.float())  # (F',)
        self.register_buffer("scale", scale.float())  # (F',)
        self.density = density

    def reduce(self, features: torch.Tensor) -> torch.Tensor:
        """(N, F) -> (N, F'): the body's positions averaged where `pooled`, Q's hidden layer as it is."""
        if self.pooled is None:
            return features
        channels, positions = self.pooled
        body = features[:, : channels * positions].reshape(-1, channels, positions).mean(dim=2)  # (N, channels)
        return torch.cat([body, features[:, channels * positions :]], dim=1)  # (N, channels + q_fc)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        assert self.density is not None, "fit the density first"
        return self.density((self.reduce(features) - self.mean) / self.scale)  # (N,)


def split(count: int, seed: int = 0) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(fit, calibration) rows of a train split of `count` images: a seeded CALIBRATION_SHARE held out to calibrate,
    at most FIT_IMAGES of the rest (a seeded sample) to fit; each sorted."""
    calibration, rest = holdout_rows(count, CALIBRATION_SHARE, seed)
    fit_rows = np.sort(np.random.default_rng(seed).permutation(rest)[:FIT_IMAGES])
    return fit_rows, calibration


@torch.no_grad()
def fit(discriminator: Discriminator, config: ModelConfig, data: DataSet) -> tuple[DomainScore, dict[str, Any]]:
    """The score for this model, fitted on its training images at `split`'s fit rows, and the record of how."""
    rows, sizes = split(len(data.train))[0], config.latent.categorical_sizes
    channels, height, width = body_shape(config)
    pooled = None if config.discriminator_fc else (channels, height * width)
    score = DomainScore(torch.zeros(0), torch.zeros(0), pooled)
    reduced, read = [], []
    for start in range(0, len(rows), 1000):  # 1,000 images at a time: a large colour set never sits in float32
        pixels = to_pixels(torch.from_numpy(np.asarray(data.train.images[rows[start : start + 1000]])), config.latent)
        found, codes = features(discriminator, pixels, sizes[0]) if sizes else (features(discriminator, pixels), None)
        reduced.append(score.reduce(found))
        read.append(codes if codes is not None else torch.zeros(len(pixels), dtype=torch.int64))
    standard = torch.cat(reduced)  # (N, F')
    if data.train.labels is not None:
        classes, source = torch.from_numpy(np.asarray(data.train.labels[rows])), "the data set's labels"
    else:
        classes = torch.cat(read)
        source = "the first categorical code's reading" if sizes else "one class (the model has no categorical code)"
    score.mean, score.scale = standard.mean(dim=0), standard.std(dim=0) + 1e-6
    # the whitening rounded as the folder stores it (fp16: export.graphs.HALF_PRECISION) before the centres move into
    # its coordinates, so that both are in the same ones
    centres, whitening = class_whitening(((standard - score.mean) / score.scale).double(), classes,
                                         lambda w: w.half().double())
    score.density = Density(centres, whitening, (0.0, 0.0, 1.0))
    return score.eval(), {"fit_images": len(rows), "classes": source, "features": standard.shape[1]}


def calibrate(folder: str | os.PathLike[str], data: DataSet) -> dict[str, Any]:
    """The manifest's `in_domain` entry for the model folder (its encoder has a domain_score output), calibrated on
    the train split's held-out rows through the SDK; `record` from `fit` is added by the caller."""
    rows = split(len(data.train))[1]
    scores = Encoder(folder, device="cpu").infer(np.asarray(data.train.images[rows]), preprocess="none").domain_score
    assert scores is not None, f"{folder}'s encoder has no {DOMAIN_SCORE} output"
    return {"threshold": float(np.quantile(scores, FALSE_REJECTS)), "score": DOMAIN_SCORE,
            "false_reject_target": FALSE_REJECTS, "calibration_images": len(rows),
            "calibration": f"a seeded {CALIBRATION_SHARE:.4g} of the train split (imagedata.dataset.holdout_rows, "
                           "seed 0), never fitted on", "method": METHOD}


def class_whitening(standard: torch.Tensor, classes: torch.Tensor, rounded: Any = None,
                    ridge: float = RIDGE) -> tuple[torch.Tensor, torch.Tensor]:
    """float64 (N, F) standardised features and their (N,) classes -> (the class centres in whitened coordinates
    (F, K), the whitening W (F, F), W W^T the inverse of the shared covariance plus `ridge`), as `Density` takes
    them; `rounded` (W -> W) is applied to W before the centres are moved."""
    present = torch.unique(classes)
    centres = torch.stack([standard[classes == k].mean(dim=0) for k in present])  # (K, F)
    residual = standard - centres[torch.searchsorted(present, classes)]
    covariance = residual.T @ residual / len(standard) + ridge * torch.eye(standard.shape[1], dtype=torch.float64)
    whitening = torch.linalg.cholesky(torch.linalg.inv(covariance))  # W W^T = covariance^-1
    whitening = whitening if rounded is None else rounded(whitening)
    return (centres @ whitening).T, whitening


@torch.no_grad()
def features(discriminator: Discriminator, pixels: torch.Tensor, classes: int = 0) -> Any:
    """The encoder's features, (N, F), for (N, C, H, W) model pixels (`Discriminator.forward_with_features`); with
    `classes` (the size of the first categorical code), also the (N,) category the encoder reads in each."""
    parts = [discriminator.forward_with_features(pixels[start : start + 1000]) for start in range(0, len(pixels), 1000)]
    found = torch.cat([part[4] for part in parts])
    if not classes:
        return found
    return found, torch.cat([part[1][:, :classes].argmax(dim=1) for part in parts])
