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
    '{"digits": [8, 6, 5, 2], "noise_first": [[-1.1382, -0.3383, -1.5297], [0.4709, 0.0763, 1.4206], [-0.2043, 0.8529, 0.6624], [1.1342, 0.8542, -0.0659]], "continuous": [[-0.9181, -0.338, -1.1015], [0.8255, 0.4584, -0.2145], [0.0872, 1.0726, 0.0754], [-0.9945, -0.052, 1.1741]], "block_means": [[[0.0, 7.4, 23.8, 0.0], [0.0, 76.5, 59.5, 0.0], [0.0, 28.3, 77.6, 0.0], [0.0, 28.2, 33.3, 0.0]], [[0.0, 31.8, 39.2, 0.0], [2.0, 118.2, 71.0, 43.3], [19.6, 164.2, 162.5, 43.9], [0.0, 25.5, 13.4, 0.0]], [[0.0, 0.0, 0.0, 0.0], [0.0, 50.3, 64.4, 40.5], [13.0, 85.7, 49.7, 0.0], [6.2, 44.9, 0.0, 0.0]], [[0.0, 2.1, 0.0, 0.0], [0.0, 86.8, 22.4, 7.0], [0.0, 100.3, 80.7, 42.2], [0.0, 0.1, 0.0, 0.0]]], "read_back": [8, 6, 5, 2]}')  # noqa: E501 (pasted)


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
