"""A model of another shape than MNIST's: its graphs export at its shape, and its model folder is format 2, without
the MNIST-only parts (digit score, MNIST checks and description)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from export.__main__ import main as export_main
from export.graphs import EncoderGraph, export_encoder, export_generator
from infogan_sdk.loading.manifest import load_manifest
from infogan_sdk.spec import LatentSpec
from train.checkpoint import save_checkpoint
from train.config import TrainConfig, architecture
from train.networks import build

SPEC = LatentSpec(noise_size=8, categorical_sizes=(10, 3), n_continuous=2, image_shape=(3, 32, 32))


def test_generator_and_encoder_graphs_export_at_32x32_rgb(tmp_path) -> None:
    generator, discriminator = build(architecture("tiny", SPEC), seed=0)
    generator.eval(), discriminator.eval()
    export_generator(generator, SPEC, tmp_path / "generator.onnx", "legacy")
    export_encoder(EncoderGraph(discriminator, False), SPEC, tmp_path / "encoder.onnx", "legacy")
    rng = np.random.default_rng(0)
    one_hots = [np.eye(10, dtype=np.float32)[:5], np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]]]  # two codes
    feeds = {"noise": rng.standard_normal((5, 8), dtype=np.float32), "categorical": np.concatenate(one_hots, axis=1),
             "continuous": rng.uniform(-1, 1, (5, 2)).astype(np.float32)}
    (images,) = ort.InferenceSession(tmp_path / "generator.onnx").run(["images"], feeds)
    with torch.no_grad():
        drawn = generator(*(torch.from_numpy(feeds[k]) for k in ("noise", "categorical", "continuous")))
        _, logits, means, _ = discriminator(drawn)
    assert images.shape == (5, 3, 32, 32) and np.abs(images - drawn.numpy()).max() < 1e-5
    encoder = ort.InferenceSession(tmp_path / "encoder.onnx")
    assert encoder.get_inputs()[0].shape[1:] == [3, 32, 32]
    found = dict(zip([o.name for o in encoder.get_outputs()], encoder.run(None, {"images": images}), strict=True))
    assert found["categorical_logits"].shape == (5, 13) and found["continuous_mean"].shape == (5, 2)
    assert np.abs(found["categorical_logits"] - logits.numpy()).max() < 1e-4
    assert np.abs(found["continuous_mean"] - means.numpy()).max() < 1e-4


@pytest.mark.slow  # exports and describes (2 s); the fast suite keeps its minute
def test_a_32x32_rgb_checkpoint_exports_as_format_2_without_the_mnist_only_parts(tmp_path) -> None:
    model_config = architecture("tiny", SPEC)
    generator, discriminator = build(model_config, seed=0)
    save_checkpoint(tmp_path / "run" / "checkpoint.pt", {
        "model_config": model_config.to_dict(), "train_config": TrainConfig(data="fake", fake_size=40).to_dict(),
        "step": 1, "generator": generator.state_dict(), "discriminator": discriminator.state_dict(), "averages": None})
    assert export_main([str(tmp_path / "run"), "--out", str(tmp_path / "model"), "--exporter", "legacy",
                        "--continuous-names", "size,hue", "--quick-describe"]) == 0
    manifest = load_manifest(tmp_path / "model")
    data = manifest.data
    assert manifest.format_version == 2 and manifest.preprocess == "resize" and manifest.spec == SPEC
    assert [code.name for code in manifest.categorical] == ["class", "category1"]
    assert sorted(manifest.categorical[0].labels) == list(map(str, range(10)))  # fake digits' classes, as matched
    assert [code["name"] for code in data["continuous_codes"]] == ["size", "hue"]  # over the measures' names
    assert data["mapping"]["method"] == "hungarian" and "class_control" not in data["evaluation"]  # no evaluator
    assert data["data"]["name"] == "fake" and data["data"]["image_shape"] == [3, 32, 32]
    assert not {"not_a_digit", "code_to_digit"} & set(data)  # absent, not made up
    assert "MNIST" in data["export"]["skipped"] and data["export"]["code_agreement"]["agreement"] == 1.0
    errors = data["export"]["parity"]["max_abs_error"]
    assert max(error for name, error in errors.items() if name != "domain_score") < 1e-4
    # the domain score is minus a squared distance, thousands here (25 fake images fit 32 features): its parity is
    # relative to its size, as every score's and logit's is (export.verify), and passed
    assert "domain_score" in errors and data["in_domain"]["score"] == "domain_score"
    assert data["export"]["test_images"] == 10  # the fake data's test split (a quarter, at least 10)


def test_continuous_names_of_the_wrong_count_are_refused(tmp_path, capsys) -> None:
    model_config = architecture("tiny", SPEC)
    generator, discriminator = build(model_config, seed=0)
    save_checkpoint(tmp_path / "run" / "checkpoint.pt", {
        "model_config": model_config.to_dict(), "train_config": TrainConfig(data="fake").to_dict(), "step": 1,
        "generator": generator.state_dict(), "discriminator": discriminator.state_dict(), "averages": None})
    assert export_main([str(tmp_path / "run"), "--out", str(tmp_path / "model"), "--exporter", "legacy",
                        "--continuous-names", "size"]) == 1
    assert "continuous names must be 2 distinct identifiers" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()
