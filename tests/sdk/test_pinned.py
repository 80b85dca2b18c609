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
    '{"digits": [8, 6, 5, 2], "noise_first": [[-1.1382, -0.3383, -1.5297], [0.4709, 0.0763, 1.4206], [-0.2043, 0.8529, 0.6624], [1.1342, 0.8542, -0.0659]], "continuous": [[-0.0836, -0.9669, -1.1083], [-0.8103, 0.2133, 0.4854], [-0.5907, 0.8701, -0.2403], [1.3051, 0.7148, -0.3949]], "block_means": [[[0.0, 15.2, 0.2, 0.0], [0.1, 69.1, 43.6, 0.0], [0.0, 32.7, 51.7, 0.0], [0.0, 7.3, 25.6, 0.0]], [[0.0, 0.0, 62.7, 0.0], [0.3, 74.0, 101.8, 11.4], [0.2, 150.5, 108.0, 13.3], [0.0, 33.8, 9.0, 0.2]], [[0.0, 0.0, 33.5, 14.7], [22.1, 161.7, 143.8, 3.4], [16.7, 17.2, 31.9, 67.6], [13.1, 80.6, 65.1, 0.1]], [[1.1, 124.3, 71.5, 0.0], [0.4, 90.2, 161.4, 0.0], [0.2, 191.9, 207.7, 84.4], [0.0, 70.8, 64.9, 22.3]]], "read_back": [8, 6, 5, 2]}')  # noqa: E501 (pasted)


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
