"""Section 10's pieces: the OpenVINO session the SDK's job runs on, and how rows relate to the SDK and render.
Speed is never asserted."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from bench import peers
from infogan_sdk import Encoder, Generator
from infogan_sdk.loading.folders import BUNDLED_DIR
from mnist_data.files import load_mnist

pytestmark = pytest.mark.slow
MNIST = BUNDLED_DIR / "mnist"


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason='OpenVINO not installed (".[peers]")')
def test_openvino_runs_the_sdks_own_job_with_the_sdks_results() -> None:
    import openvino

    core = openvino.Core()
    generator = peers._swapped(Generator(MNIST, device="cpu", threads=1), core, "f32", 1)
    encoder = peers._swapped(Encoder(MNIST, device="cpu", threads=1), core, "f32", 1)
    assert isinstance(generator, Generator) and isinstance(encoder, Encoder)
    assert isinstance(generator._session, peers.OpenVinoSession)
    drawn, expected = generator.generate(count=64, seed=3), Generator(MNIST, device="cpu").generate(count=64, seed=3)
    assert np.abs(drawn.images.astype(int) - expected.images).max() <= 1
    np.testing.assert_array_equal(drawn.digits, expected.digits)
    images = load_mnist("test", download=False)[0][:64]
    read, reference = encoder.infer(images), Encoder(MNIST, device="cpu").infer(images)
    np.testing.assert_array_equal(read.digits, reference.digits)
    np.testing.assert_allclose(read.probabilities, reference.probabilities, atol=1e-4)
    np.testing.assert_allclose(read.continuous, reference.continuous, atol=1e-4)


def test_rows_say_how_much_faster_the_sdk_is_and_skipped_rows_say_why() -> None:
    rows = [{"call": "generate", "batch": 1, "threads": 1, "runtime": "SDK (onnxruntime)", "p50_ms": 0.5},
            {"call": "generate", "batch": 1, "threads": 1, "runtime": "PyTorch eager", "p50_ms": 1.5},
            {"call": "generate", "batch": 256, "threads": 1, "runtime": "SDK (onnxruntime)", "images_per_s": 900.0},
            {"call": "generate", "batch": 256, "threads": 1, "runtime": "OpenVINO fp32", "images_per_s": 1800.0},
            {"call": "generate", "batch": 256, "threads": 1, "runtime": "OpenVINO bf16", "skipped": "skipped: no bf16"}]
    peers._relate(rows)
    assert [row.get("sdk_speedup") for row in rows] == [1.0, 3.0, 1.0, 0.5, None]
    text = "\n".join(peers.render({"peers": rows}))
    assert "PyTorch eager" in text and "3.00" in text and "0.50" in text and "skipped: no bf16" in text
    assert peers.render({}) == []
