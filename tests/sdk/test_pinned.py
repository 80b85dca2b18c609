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
    '{"digits": [8, 6, 5, 2], "noise_first": [[-1.1382, -0.3383, -1.5297], [0.4709, 0.0763, 1.4206], [-0.2043, 0.8529, 0.6624], [1.1342, 0.8542, -0.0659]], "continuous": [[-0.9181, -0.9669, 0.6265], [0.8255, 0.2133, 0.459], [0.0872, 0.8701, 0.6317], [-0.9945, 0.7148, -0.9328]], "block_means": [[[0.0, 0.8, 20.1, 0.0], [0.0, 31.6, 45.2, 8.2], [0.0, 45.7, 30.7, 0.0], [0.0, 35.9, 5.5, 0.0]], [[0.0, 0.0, 80.1, 3.6], [0.0, 101.0, 129.1, 0.0], [0.1, 205.6, 220.9, 1.2], [0.0, 45.4, 29.8, 0.0]], [[0.0, 0.0, 0.0, 0.2], [3.1, 121.5, 126.2, 48.8], [22.1, 77.5, 137.7, 0.0], [6.5, 48.0, 11.4, 0.0]], [[0.0, 55.5, 69.1, 0.0], [0.0, 34.7, 92.1, 0.0], [0.0, 74.5, 32.2, 33.1], [0.0, 73.4, 56.2, 1.6]]], "read_back": [8, 6, 5, 2]}')  # noqa: E501 (pasted)


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
