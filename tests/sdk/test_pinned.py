"""The shipped default model, pinned: what a fixed seed draws and what the images look like.

A change to the draw order, the latent layout, the pixel conversion or the graph shows here. After replacing
the default model on purpose, regenerate the one PINNED value below with `python -m tests.sdk.test_pinned`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from infogan_sdk import Encoder, Generator

SEED, COUNT = 0, 4
PINNED: dict[str, Any] = json.loads(  # regenerate: python -m tests.sdk.test_pinned, and paste its output
    '{"digits": [8, 6, 5, 2], "noise_first": [[-0.3281, -0.971, 1.2655], [1.2836, -1.7994, 0.5604], [2.3975, 0.1948, 0.2745], [-1.0116, -0.425, 1.6123]], "continuous": [[-0.9181, -0.9669], [0.6265, 0.8255], [0.2133, 0.459], [0.0872, 0.8701]], "block_means": [[[0.0, 0.0, 0.1, 0.7], [0.0, 42.4, 115.5, 64.7], [8.4, 131.6, 25.7, 0.0], [11.6, 11.3, 0.0, 0.0]], [[0.0, 0.0, 55.3, 0.0], [0.0, 50.8, 39.7, 0.0], [0.0, 120.3, 147.7, 0.0], [0.0, 0.9, 0.1, 0.0]], [[0.0, 0.0, 0.0, 0.0], [0.0, 77.0, 94.3, 67.1], [0.3, 117.2, 85.4, 0.0], [0.1, 63.4, 3.9, 0.0]], [[0.0, 72.3, 40.9, 0.0], [0.2, 29.5, 101.4, 0.0], [0.0, 39.9, 91.9, 0.0], [0.0, 66.6, 76.8, 2.0]]], "read_back": [8, 6, 5, 2]}')  # noqa: E501 (pasted)


def measure() -> dict[str, Any]:
    """What PINNED holds, for the default model: the drawn latents and 7x7 block means of the images."""
    out = Generator(device="cpu").generate(count=COUNT, seed=SEED)
    blocks = out.images.reshape(COUNT, 4, 7, 4, 7).mean(axis=(2, 4))  # (N, 4, 4): each 7x7 block's mean pixel
    return {"digits": out.digits.tolist(), "noise_first": np.round(out.noise[:, :3].astype(np.float64), 4).tolist(),
            "continuous": np.round(out.continuous.astype(np.float64), 4).tolist(),
            "block_means": np.round(blocks, 1).tolist(),
            "read_back": Encoder(device="cpu").infer(out.images).digits.tolist()}


def test_the_default_model_draws_the_pinned_latents_and_images() -> None:
    got = measure()
    assert got["digits"] == PINNED["digits"]
    np.testing.assert_allclose(got["noise_first"], PINNED["noise_first"], atol=1e-4)
    np.testing.assert_allclose(got["continuous"], PINNED["continuous"], atol=1e-4)
    # block means of uint8 pixels: a tolerance of 1 grey level absorbs rounding differences between CPUs
    np.testing.assert_allclose(got["block_means"], PINNED["block_means"], atol=1.0)
    assert got["read_back"] == PINNED["read_back"]


if __name__ == "__main__":
    print(json.dumps(measure()))
