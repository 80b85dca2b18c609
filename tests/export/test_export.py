"""Export: a verified, self-described folder that runs with nothing but onnxruntime, or no folder at all."""

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import export.folder
import export.graphs
from evaluate.describe import Sizes
from export.__main__ import main as export_main
from export.digit_score import ScoreSizes
from export.folder import export_checkpoint
from export.verify import VerificationError
from infogan_sdk.errors import CorruptModelError
from infogan_sdk.loading.manifest import load_manifest
from infogan_sdk.spec import LatentSpec
from train.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow
SCORE_QUICK = ScoreSizes.quick()  # the digit score fitted on few images
QUICK = Sizes.quick()  # the description's figures from few images: these tests check export, not the model


def mapped(images: int) -> Sizes:
    return replace(QUICK, mapping_images=images)


def quick_export(checkpoint: Path, out: Path, mapping_images: int, **options: Any) -> Path:
    """export_checkpoint with the description and the digit score from few images (`mapping_images` name the codes)."""
    return export_checkpoint(checkpoint, out, score_sizes=SCORE_QUICK, sizes=mapped(mapping_images), **options)


def test_folder_round_trips_through_the_manifest(exported, dry_checkpoint):
    manifest = load_manifest(exported)
    assert manifest.spec == LatentSpec()
    data = manifest.data
    assert data["training"]["mode"] == "unsupervised" and data["training"]["label_budget"] == 0
    assert data["training"]["data_sha256"] == load_checkpoint(dry_checkpoint)["data_sha256"]
    assert data["export"]["exporter"] == "dynamo" and data["export"]["opset"] == 18
    assert set(data["export"]["versions"]) >= {"torch", "onnx", "onnxscript", "onnxruntime"}
    assert data["mapping"]["labelled_images"] == 1000
    assert sorted(p.name for p in exported.iterdir()) == ["encoder.onnx", "generator.onnx", "manifest.json"]
    assert not list(exported.parent.glob(".*.tmp")), "a temporary folder was left behind"


@pytest.mark.parametrize("batch", [1, 2, 257])
def test_graphs_run_with_nothing_but_the_folder_at_any_batch(exported, batch):
    generator = ort.InferenceSession(str(exported / "generator.onnx"), providers=["CPUExecutionProvider"])
    encoder = ort.InferenceSession(str(exported / "encoder.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in generator.get_inputs()] == ["noise", "categorical", "continuous"]
    rng = np.random.default_rng(batch)
    feeds = {"noise": rng.standard_normal((batch, 62), dtype=np.float32),
             "categorical": np.eye(10, dtype=np.float32)[rng.integers(10, size=batch)],
             "continuous": rng.uniform(-1, 1, (batch, 2)).astype(np.float32)}
    (images,) = generator.run(["images"], feeds)
    assert images.shape == (batch, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    outputs = encoder.run(None, {"images": images})
    shapes = {o.name: v.shape for o, v in zip(encoder.get_outputs(), outputs, strict=True)}
    assert shapes == {"categorical_logits": (batch, 10), "continuous_mean": (batch, 2),
                      "continuous_log_std": (batch, 2), "realness": (batch,), "digit_score": (batch,)}


def test_parity_numbers_are_recorded_and_within_tolerance(exported):
    parity = load_manifest(exported).data["export"]["parity"]
    assert parity["batches"] == [1, 2, 257]
    errors = parity["max_abs_error"]
    assert max(v for name, v in errors.items() if name != "digit_score") <= 1e-4
    assert errors["digit_score"] <= 1e-2  # a distance of tens: the tolerance is 1e-4 relative to it


def test_legacy_exporter_is_an_explicit_fallback(dry_checkpoint, tmp_path):
    out = quick_export(dry_checkpoint, tmp_path / "legacy", 500, exporter="legacy")
    assert load_manifest(out).data["export"]["exporter"] == "legacy"


def test_a_graph_that_computes_wrong_numbers_fails_export_and_leaves_nothing(dry_checkpoint, exported, tmp_path,
                                                                              monkeypatch):
    real = export.graphs.to_onnx

    def corrupting(module, example, input_names, output_names, path, exporter):
        real(module, example, input_names, output_names, path, exporter)
        model = onnx.load(str(path))
        weight = max(model.graph.initializer, key=lambda t: int(np.prod(t.dims)))
        values = onnx.numpy_helper.to_array(weight).copy()
        values.flat[0] += 1.0  # one wrong weight, as a buggy exporter might write
        weight.CopyFrom(onnx.numpy_helper.from_array(values, weight.name))
        onnx.save(model, str(path))

    out = tmp_path / "model"
    shutil.copytree(exported, out)  # an earlier export, which --overwrite would replace
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    monkeypatch.setattr(export.graphs, "to_onnx", corrupting)
    with pytest.raises(VerificationError, match="max abs error"):
        quick_export(dry_checkpoint, out, 500, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["model"], "a partial folder was left behind"
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before, "the previous folder was touched"


def test_planted_permutation_is_recovered(supervised_checkpoint, tmp_path):
    state = torch.load(supervised_checkpoint, weights_only=True)
    del state["content_sha256"]  # edited below: the checksum of the contents would no longer hold
    permutation = [3, 7, 0, 9, 1, 5, 2, 8, 6, 4]  # Q's new row k is the old row permutation[k]
    for key in ("q_head.categorical.weight", "q_head.categorical.bias"):
        state["discriminator"][key] = state["discriminator"][key][permutation]
    state["train_config"]["mode"] = "unsupervised"
    planted = tmp_path / "planted.pt"
    torch.save(state, planted)
    manifest = load_manifest(quick_export(planted, tmp_path / "planted", 3000))
    # new code k is what old code permutation[k] was, and the supervised model's old code j is digit j
    assert list(manifest.code_to_digit) == permutation
    assert manifest.data["evaluation"]["q_accuracy_test"] > 0.3  # chance is 0.1


def test_a_supervised_model_whose_codes_are_not_the_digits_is_refused(supervised_checkpoint, tmp_path):
    state = torch.load(supervised_checkpoint, weights_only=True)
    del state["content_sha256"]  # edited below: the checksum of the contents would no longer hold
    for key in ("q_head.categorical.weight", "q_head.categorical.bias"):
        state["discriminator"][key] = state["discriminator"][key].roll(1, dims=0)
    torch.save(state, tmp_path / "rolled.pt")
    with pytest.raises(VerificationError, match="map code k to digit k"):
        quick_export(tmp_path / "rolled.pt", tmp_path / "rolled", 3000)
    assert not (tmp_path / "rolled").exists()


def test_identity_mapping_of_a_supervised_model(supervised_checkpoint, tmp_path):
    manifest = load_manifest(quick_export(supervised_checkpoint, tmp_path / "sup", 3000))
    assert list(manifest.code_to_digit) == list(range(10))
    assert manifest.data["mapping"]["method"] == "identity (checked)"
    assert json.dumps(manifest.data).count('"code_to_digit"') == 1  # one map: training's per-epoch ones are dropped


def test_a_stage_two_run_exports_stage_ones_generator_and_the_reader(supervised_checkpoint, tmp_path):
    from train.config import ReaderConfig
    from train.reader import train_reader

    config = ReaderConfig(generator_run=str(supervised_checkpoint), batch_size=32, epochs=1, max_steps=20)
    run = train_reader(config, tmp_path / "reader")
    folder = quick_export(run, tmp_path / "two", 3000, stage1_realness=True)
    alone = quick_export(supervised_checkpoint, tmp_path / "one", 3000)
    training = load_manifest(folder).data["training"]
    assert training["stage"] == "reader" and training["reader_config"]["max_steps"] == 20
    assert training["stage1"]["step"] == load_checkpoint(supervised_checkpoint)["step"]
    feeds = {"noise": np.ones((2, 62), np.float32), "categorical": np.eye(10, dtype=np.float32)[:2],
             "continuous": np.zeros((2, 2), np.float32)}
    drawn = [ort.InferenceSession(str(f / "generator.onnx")).run(None, feeds)[0] for f in (folder, alone)]
    np.testing.assert_array_equal(drawn[0], drawn[1])  # the generator is stage 1's, unchanged
    images = {"images": np.asarray(torch.rand(4, 1, 28, 28) * 2 - 1)}
    read = [ort.InferenceSession(str(f / "encoder.onnx")).run(["categorical_logits", "realness"], images)
            for f in (folder, alone)]
    assert not np.allclose(read[0][0], read[1][0])  # the codes are the reader's
    np.testing.assert_allclose(read[0][1], read[1][1], atol=1e-5)  # realness is still stage 1 D's verdict
    assert "realness" not in load_manifest(folder).data
    plain = quick_export(run, tmp_path / "plain", 3000)  # realness: the reader's, deprecated
    assert load_manifest(plain).data["realness"]["deprecated"] is True


def test_a_deeper_reader_exports_and_is_read_by_the_sdk(supervised_checkpoint, tmp_path):
    from infogan_sdk import Encoder
    from train.config import ReaderConfig
    from train.reader import train_reader

    run = train_reader(ReaderConfig(generator_run=str(supervised_checkpoint), batch_size=32, epochs=1, max_steps=150,
                                    depth=2), tmp_path / "reader")
    folder = quick_export(run, tmp_path / "deep", 3000)
    assert load_manifest(folder).data["training"]["model_config"]["discriminator_depth"] == 2
    graph = onnx.load(str(folder / "encoder.onnx")).graph
    assert sum(node.op_type == "Conv" for node in graph.node) == 4  # two stages, each a stride-2 and a 3x3 conv
    assert Encoder(folder).infer(np.zeros((2, 28, 28), np.uint8)).digits.shape == (2,)


def test_tampered_export_is_refused_on_load(exported, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in exported.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    data = bytearray((copy / "encoder.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "encoder.onnx").write_bytes(bytes(data))
    with pytest.raises(CorruptModelError, match="sha256"):
        load_manifest(copy)


def test_cli_reports_a_bad_checkpoint(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"nope")
    assert export_main([str(tmp_path / "bad.pt"), "--out", str(tmp_path / "m")]) == 1
    assert "bad.pt" in capsys.readouterr().err and not (tmp_path / "m").exists()


def test_manifest_is_plain_json(exported):
    json.loads((exported / "manifest.json").read_text())


def test_a_model_whose_first_code_is_not_ten_digits_exports_as_any_model(tmp_path):
    import train.loop
    from train.config import TrainConfig, architecture

    spec = LatentSpec(noise_size=8, categorical_sizes=(5,), n_continuous=1)
    config = TrainConfig(data="fake", fake_size=64, batch_size=16, epochs=1, max_steps=2, log_every=1)
    checkpoint = train.loop.train(architecture("tiny", spec), config, tmp_path / "five", device="cpu")
    manifest = load_manifest(export_checkpoint(checkpoint, tmp_path / "model", sizes=QUICK, score_sizes=SCORE_QUICK))
    assert manifest.format_version == 2 and "not_a_digit" not in manifest.data and manifest.preprocess == "resize"
    (code,) = manifest.categorical  # its five values named by the fake digits they were matched to
    assert code.name == "category0" and len(set(code.labels)) == 5 and set(code.labels) <= set("0123456789")


def test_averaged_weights_are_what_gets_exported(dry_checkpoint, tmp_path):
    state = torch.load(dry_checkpoint, weights_only=True)
    del state["content_sha256"]  # edited below: the checksum of the contents would no longer hold
    averaged = {net: {k: v.clone() for k, v in state[net].items()} for net in ("generator", "discriminator")}
    averaged["discriminator"]["d_head.bias"] += 5.0  # realness moves by exactly +5 if these weights are used
    state["averages"] = averaged
    torch.save(state, tmp_path / "averaged.pt")
    out = quick_export(tmp_path / "averaged.pt", tmp_path / "averaged", 1000)
    plain = quick_export(dry_checkpoint, tmp_path / "plain", 1000)
    images = np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32)
    realness = [ort.InferenceSession(str(folder / "encoder.onnx"), providers=["CPUExecutionProvider"])
                .run(["realness"], {"images": images})[0] for folder in (out, plain)]
    np.testing.assert_allclose(realness[0] - realness[1], 5.0, atol=1e-4)
    assert load_manifest(out).data["training"]["weights"].startswith("moving average")
    assert load_manifest(plain).data["training"]["weights"] == "last step"


def test_exported_folder_has_the_permissions_of_any_new_folder(exported, tmp_path):
    reference = tmp_path / "plain-mkdir"
    reference.mkdir()
    assert exported.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777  # not mkdtemp's 0700


def test_the_digit_score_is_calibrated_on_held_out_digits_and_read_by_the_sdk(supervised_checkpoint, tmp_path):
    from infogan_sdk import Encoder
    from mnist_data.files import load_mnist

    folder = quick_export(supervised_checkpoint, tmp_path / "scored", 1000)
    entry = load_manifest(folder).data["not_a_digit"]
    assert entry["false_reject_target"] == 0.01 and entry["calibration_images"] == 10_000
    # fitted on the quick sizes' 2,000 train digits (+ 2.25 x as many views, as many samples) vs 4 x 100 non-digits
    assert load_manifest(folder).data["export"]["digit_score_fit"] == {
        "train_digits": 2000, "digit_views": 4500, "samples": 2000, "non_digits": 400, "first_non_digit_seed": 100_000,
        "drawn_digits": 2280, "letters_and_symbols": 0}  # quick sizes: printed digits and strokes once, no letters
    test_images, _ = load_mnist("test")
    read = Encoder(folder, device="cpu").infer(test_images[:2000], preprocess="none")
    assert read.digit_score.shape == (2000,) and read.is_digit.dtype == bool
    assert np.array_equal(read.is_digit, read.digit_score >= entry["threshold"])
    assert 0.95 <= read.is_digit.mean() <= 1.0  # 1% of held-out train digits fall below: about as many test ones
    # (what it rejects depends on the model: the shipped models' card guard checks that, not this tiny one)
    assert load_manifest(folder).data["export"]["parity"]["max_abs_error"]["digit_score"] <= 1e-2
