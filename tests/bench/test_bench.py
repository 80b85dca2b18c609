"""The benchmark suite's pieces: the MAC counter, the torch weight copy and its parity check, int8 quantization,
the cold-start child, the training-record reader and the plumbing of `python -m bench`. Speed is never asserted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from bench import cold, inference, training
from bench.__main__ import main
from bench.flops import count_macs, model_flops
from bench.timing import Budget
from bench.weights import ParityError, check_parity, copy_weights, initializers, torch_networks
from export.quantize import quantize_folder
from infogan_sdk import Encoder, Generator
from infogan_sdk.loading.folders import BUNDLED_DIR
from infogan_sdk.loading.manifest import load_manifest
from mnist_data.files import load_mnist
from train.config import ModelConfig
from train.networks import DIGIT_SCORE_HIDDEN

pytestmark = pytest.mark.slow
MNIST = BUNDLED_DIR / "mnist"
TINY_BUDGET = Budget(latency_calls=2, throughput_seconds=0.0, throughput_calls=1, batches=(4,), cold_runs=1,
                     ceiling_sizes=(64,), train_steps=1, accuracy_images=100)


def tiny_graph() -> onnx.ModelProto:
    """x (batch, 8) -Gemm-> (batch, 4) -> (batch, 1, 2, 2) -Conv-> (batch, 3, 1, 1) -ConvTranspose-> (batch, 2, 2, 2)
    -> (batch, 8) -MatMul-> (batch, 5)."""
    weights = {"gemm_w": (4, 8), "gemm_b": (4,), "conv_w": (3, 1, 2, 2), "deconv_w": (3, 2, 2, 2), "mm_w": (8, 5)}
    inits = [numpy_helper.from_array(np.ones(shape, np.float32), name) for name, shape in weights.items()]
    inits += [numpy_helper.from_array(np.array(shape, np.int64), name)
              for name, shape in (("to_image", (-1, 1, 2, 2)), ("to_flat", (-1, 8)))]
    nodes = [helper.make_node("Gemm", ["x", "gemm_w", "gemm_b"], ["g"], transB=1),
             helper.make_node("Reshape", ["g", "to_image"], ["r"]),
             helper.make_node("Conv", ["r", "conv_w"], ["c"]),
             helper.make_node("ConvTranspose", ["c", "deconv_w"], ["d"]),
             helper.make_node("Relu", ["d"], ["a"]),  # not counted
             helper.make_node("Reshape", ["a", "to_flat"], ["f"]),
             helper.make_node("MatMul", ["f", "mm_w"], ["y"])]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def test_mac_counter_on_a_known_graph() -> None:
    # batch 2: Gemm 2*4*8; Conv (2*3*1*1 outputs) * (1*2*2); ConvTranspose (2*3*1*1 inputs) * (2*2*2); MatMul 2*5*8
    assert count_macs(tiny_graph(), batch=2) == {"Gemm": 64, "MatMul": 80, "Conv": 24, "ConvTranspose": 48}
    assert count_macs(tiny_graph(), batch=1) == {"Gemm": 32, "MatMul": 40, "Conv": 12, "ConvTranspose": 24}


def test_onnx_count_agrees_with_torch_flop_counter() -> None:
    """Two independent counters on the same networks: the ONNX graph and PyTorch's FlopCounterMode."""
    config = ModelConfig.from_dict(load_manifest(MNIST).data["training"]["model_config"])
    flops = training.forward_flops(config)
    assert model_flops(MNIST / "generator.onnx") == flops["generator"] == 5_056_000
    # the exported encoder also computes the digit score (not part of training): an MLP from D's body and Q's
    # hidden features (256 + 128) through 64 units to one logit
    digit_score = 2 * ((config.discriminator_fc + config.q_fc) * DIGIT_SCORE_HIDDEN + DIGIT_SCORE_HIDDEN)
    # and the noise head (train/noise.py): those features and the 14x14 pooled image through two hidden layers
    hidden = load_manifest(MNIST).data["noise_encoder"]["noise_config"]["hidden"]
    noise_head = 2 * ((config.discriminator_fc + config.q_fc + 14 * 14) * hidden + hidden * hidden
                      + hidden * config.latent.noise_size)
    # and the digit score's density: those features whitened (F x F), then against the 10 class centres
    features = config.discriminator_fc + config.q_fc
    density = 2 * (features * features + features * config.latent.digit_code_size)
    assert model_flops(MNIST / "encoder.onnx") - digit_score - noise_head - density == flops["discriminator"] \
        == 5_086_976
    # G: forward + full backward; D step: 2B + L images, forward + full backward; G step: B images, input grads only
    assert training.step_flops(flops, labelled=64) == 3 * 5_056_000 * 128 + 5_086_976 * (3 * (2 * 128 + 64) + 2 * 128)
    with_consistency = training.step_flops(flops, labelled=64, distorted=128)  # one more D pass, fully trained
    assert with_consistency - training.step_flops(flops, labelled=64) == 3 * 5_086_976 * 128


def test_weights_copied_by_name_pass_parity_and_a_wrong_weight_fails() -> None:
    generator, discriminator, note = torch_networks(MNIST)
    assert "by name" in note["weights"] and max(note["parity_max_abs_error"].values()) < 1e-4
    manifest = load_manifest(MNIST)
    with torch.no_grad():
        discriminator.q_head.categorical.bias[3] += 0.01  # one logit off by 0.01: far beyond the tolerance
    with pytest.raises(ParityError, match="categorical_logits"):
        check_parity(manifest, generator, discriminator)


def test_weights_copied_by_shape_in_order_when_names_differ() -> None:
    generator, discriminator, _ = torch_networks(MNIST)
    manifest = load_manifest(MNIST)
    renamed = {f"onnx::{index}": array for index, array in enumerate(initializers(manifest.file("generator")).values())}
    assert copy_weights(generator, renamed, "generator.") == "by shape in order"
    assert max(check_parity(manifest, generator.eval(), discriminator).values()) < 1e-4
    with pytest.raises(ParityError, match="cannot map"):
        copy_weights(generator, dict(list(renamed.items())[2:]), "generator.")  # the first layer is missing


def test_quantized_folder_loads_as_the_int8_variant(tmp_path: Path) -> None:
    test_images, test_labels = load_mnist("test", download=False)
    folder = quantize_folder(MNIST, tmp_path / "mnist-int8", test_images[:200], calibration_latents=200)
    manifest = load_manifest(folder)  # every file's sha256 checked
    assert {"generator_int8", "encoder_int8"} <= set(manifest.data["files"])
    assert manifest.data["variants"]["int8"]["calibration"]["encoder_images"] == 200
    assert (folder / "generator.onnx").read_bytes() == (MNIST / "generator.onnx").read_bytes()
    images, labels = test_images[-500:], test_labels[-500:]
    fp32 = np.mean(Encoder(folder, device="cpu").infer(images).digits == labels)
    int8 = np.mean(Encoder(folder, device="cpu", variant="int8").infer(images).digits == labels)
    assert fp32 > 0.9 and abs(int8 - fp32) < 0.05
    drawn = Generator(folder, device="cpu", variant="int8").generate(digits=np.arange(100) % 10, seed=0)
    assert np.mean(Encoder(folder, device="cpu").infer(drawn.images).digits == drawn.digits) > 0.9


def test_inference_rows_and_preprocessing_with_a_tiny_budget() -> None:
    images, labels = load_mnist("test", download=False)
    generator, discriminator, _ = torch_networks(MNIST)
    config = ModelConfig.from_dict(load_manifest(MNIST).data["training"]["model_config"])
    setup = inference.Setup(MNIST, config, generator, discriminator, images[:300], labels[:300],
                            {"generator": 5_055_488, "encoder": 5_086_720}, TINY_BUDGET)
    sections = inference.compare(setup, threads=1)
    assert [(r["batch"], r["metric"]) for r in sections["generate"]] == [(1, "latency"), (4, "throughput")]
    latency_row, throughput_row = sections["infer"]
    assert latency_row["ratio"] == pytest.approx(latency_row["sdk"]["p50_ms"] / latency_row["torch"]["p50_ms"])
    assert throughput_row["sdk_gflops"] == pytest.approx(throughput_row["sdk"]["images_per_s"] * 5_086_720 / 1e9)
    inference.add_fractions(sections["infer"], {"1": {"gflops": 10.0}})
    assert throughput_row["torch_ceiling_fraction"] == pytest.approx(throughput_row["torch_gflops"] / 10.0)
    digits, probabilities, _, _ = inference.torch_infer(discriminator, config, images[:50])
    sdk = Encoder(MNIST, device="cpu").infer(images[:50])
    assert np.array_equal(digits, sdk.digits) and np.allclose(probabilities, sdk.probabilities, atol=1e-4)
    wild = inference.preprocessing(setup, threads=1)
    assert wild["uint8_28x28"]["accuracy"] > 0.9 and wild["wild_pil_64x64_rgb"]["accuracy"] > 0.8
    assert inference.wild_images(images[:1])[0].size == (64, 64)


def test_sdk_cold_start_child_never_imports_torch() -> None:
    report = cold.run_child(cold.SDK_CHILD, str(MNIST), "1")
    assert report["torch_imported"] is False and report["peak_rss_mb"] > 10
    assert all(report[phase] > 0 for phase in cold.PHASES)
    assert report["total"] == pytest.approx(sum(report[p] for p in cold.PHASES[:-1]))


def test_training_records_skip_a_partial_last_line(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "images_per_second": 10.0}\n{"step": 2, "images_per_second": 20.0}\n{"step": 3, "im')
    assert [r["step"] for r in training._records(path)] == [1, 2]
    assert training._records(tmp_path / "absent.jsonl") == []


def test_main_writes_json_and_prints_the_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert main(["--quick", "--threads", "1", "--sections", "none", "--json", str(out)]) == 0
    results = json.loads(out.read_text())
    # the encoder with its digit score (49,280 for the MLP, 302,592 for the density) and noise head (320,256)
    assert results["flops"] == {"generator": 5_056_000, "encoder": 5_759_104}
    assert results["ceiling"]["1"]["gflops"] > 0 and results["meta"]["run"] == "quick"
    text = capsys.readouterr().out
    assert "generator 5.06 M, encoder 5.76 M" in text and "parity max abs error" in text
    with pytest.raises(SystemExit):
        main(["--sections", "inference,bogus"])


def test_bulk_section_times_every_job_and_renders() -> None:
    from bench import bulk

    figures = bulk.bulk(MNIST, 64, with_ray=False)
    assert [row["name"] for row in figures["rows"]] == ["generate", "dataset .npz", "dataset PNG", "infer",
                                                        "infer PNG", "infer JPG"]
    assert all(row["images"] == 64 and row["images_per_s"] > 0 for row in figures["rows"])
    text = "\n".join(bulk.render({"bulk": figures}))
    assert "8. Bulk jobs, 64 images" in text and "infogan dataset --count N -o d.npz" in text
