"""KServe's Python client (InferenceRESTClient, protocol "v2") against a real `infogan serve`: JSON and binary
tensors both ways get the SDK's images and readings. KServe 0.21 cannot join the main environment (it needs
pandas < 3 and would add kubernetes and grpcio-tools), so the client runs in its own venv
(`python -m bench.serving_peers.envs kserve`); without that venv the test is skipped, saying how to make it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from bench.serving_peers import envs
from infogan_sdk import Encoder, Generator
from tests.serve.conftest import assert_same_render, serving

CLIENT = Path(__file__).with_name("kserve_client.py")
ROWS = 4


@pytest.mark.slow
def test_kserve_rest_client_gets_the_sdk_answers(tmp_path: Path) -> None:
    if reason := envs.missing("kserve"):
        pytest.skip(f"KServe's client {reason}")
    generator, encoder = Generator("mnist", device="cpu", threads=1), Encoder("mnist", device="cpu", threads=1)
    latents = generator.latents(count=ROWS, seed=5)
    np.savez(tmp_path / "in.npz", **latents.feeds(generator.spec, slice(0, ROWS)))
    expected = generator.render(latents).images
    with serving("--model", "mnist") as (url, _):
        run = subprocess.run([str(envs.python("kserve")), str(CLIENT), url, "mnist", str(tmp_path / "in.npz"),
                              str(tmp_path / "out.npz")], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    found = np.load(tmp_path / "out.npz")
    reading = encoder.infer(expected, preprocess="none")
    for mode in ("json", "binary"):
        assert_same_render(found[f"{mode}_images"], expected, f"kserve {mode}")
        np.testing.assert_array_equal(found[f"{mode}_digit"], reading.digits)
        np.testing.assert_allclose(found[f"{mode}_probabilities"], reading.probabilities, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(found[f"{mode}_continuous"], reading.continuous, rtol=1e-5, atol=1e-5)
