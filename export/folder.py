"""Checkpoint -> verified, self-described model folder, written atomically.

Everything is built in a hidden sibling folder; only when every check has passed is it renamed
into place, so a failed or interrupted export never leaves a folder that looks valid.
"""

from __future__ import annotations

import logging
import os
import platform
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import onnxscript
import torch

from export import verify
from export.graphs import OPSET, EncoderGraph, GeneratorGraph, export_encoder, export_generator
from infogan_sdk.manifest import FORMAT, FORMAT_VERSION, file_entry, write_manifest
from train import leftovers
from train.checkpoint import code_version, load_checkpoint
from train.data import load_mnist
from train.loop import to_pixels
from train.measures import SWEEP, GenerateFn, continuous_effects, name_codes
from train.metrics import confusion, hungarian_mapping, normalized_mutual_information, predict_codes
from train.networks import build
from train.samples import to_uint8

logger = logging.getLogger(__name__)
MAPPING_IMAGES = 10_000  # labelled training images used to name the categorical values


def export_checkpoint(checkpoint: str | Path, out: str | Path, exporter: str = "dynamo", name: str | None = None,
                      description: str = "", provisional: bool = False, data_dir: str | Path | None = None,
                      mapping_images: int = MAPPING_IMAGES, training_note: str = "") -> Path:
    """Export, verify and describe a training checkpoint as a model folder at `out`; returns `out`.

    Raises verify.VerificationError (and writes nothing at `out`) if a check fails.
    """
    started = time.perf_counter()
    state = load_checkpoint(checkpoint)
    model_config, train_config = state["model_config"], state["train_config"]
    spec = model_config.latent
    if spec.digit_code_size != 10:  # the SDK's digits are MNIST's ten classes
        raise verify.VerificationError(f"export maps the first categorical code to the 10 digits, but this model's "
                                       f"first categorical code has {spec.digit_code_size} values")
    generator, discriminator = build(model_config, seed=0)
    averages = state.get("averages")  # trained with --average-decay: the averaged weights are the model
    generator.load_state_dict((averages or state)["generator"])
    discriminator.load_state_dict((averages or state)["discriminator"])
    generator.eval()
    discriminator.eval()
    g_graph, e_graph = GeneratorGraph(generator, spec), EncoderGraph(discriminator, model_config.learn_std)

    train_images, train_labels = load_mnist("train", data_dir)
    test_images, test_labels = load_mnist("test", data_dir)
    test_pixels = to_pixels(torch.from_numpy(test_images), model_config)
    pick = np.random.default_rng(0).permutation(len(train_images))[:mapping_images]
    size = spec.digit_code_size

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    leftovers.remove_dead(out.parent, f".{out.name}.partial-")  # what a killed export of this folder left
    # mkdir, not mkdtemp: the finished folder gets the permissions of any new folder (umask), not 0700
    work = out.parent / f"{leftovers.prefix(f'.{out.name}.partial-')}{secrets.token_hex(4)}"
    work.mkdir()
    try:
        export_generator(generator, spec, work / "generator.onnx", exporter)
        export_encoder(discriminator, spec, model_config.learn_std, work / "encoder.onnx", exporter)
        for file in ("generator.onnx", "encoder.onnx"):
            verify.check_graph(work / file)
        parity = verify.parity(g_graph, e_graph, work, "generator.onnx", "encoder.onnx", test_pixels.numpy())

        mapping_codes = predict_codes(discriminator, to_pixels(torch.from_numpy(train_images[pick]), model_config),
                                      size)
        code_to_digit = hungarian_mapping(confusion(mapping_codes, train_labels[pick], size))
        if train_config.mode != "unsupervised" and code_to_digit != list(range(size)):
            raise verify.VerificationError(
                f"a {train_config.mode} model must map code k to digit k, but Q's best matching is {code_to_digit}")
        torch_codes = predict_codes(discriminator, test_pixels, size)
        ort_codes = verify.onnx_codes(work / "encoder.onnx", test_pixels.numpy(), size)
        accuracy = verify.accuracy_parity(torch_codes, ort_codes, test_labels, code_to_digit)
        best = hungarian_mapping(confusion(ort_codes, test_labels, size))
        effects = continuous_effects(_torch_generate(g_graph, code_to_digit), spec.n_continuous, test_images)

        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "name": name or out.name,
            "description": description, "provisional": provisional, "spec": spec.to_dict(),
            "files": {role: file_entry(work, f"{role}.onnx") for role in ("generator", "encoder")},
            "io": {"generator": {"inputs": list(spec.generator_inputs()), "outputs": ["images"]},
                   "encoder": {"inputs": ["images"], "outputs": verify.encoder_outputs(model_config.learn_std)}},
            "pixel_range": list(spec.pixel_range),
            "code_to_digit": code_to_digit,
            "continuous_codes": [{"name": code_name, "effects": effect, "sweep": list(SWEEP)}
                                 for code_name, effect in zip(name_codes(effects), effects, strict=True)],
            "mapping": {"method": "identity (checked)" if train_config.mode != "unsupervised" else "hungarian",
                        "labelled_images": mapping_images, "source": "MNIST train split, seeded sample"},
            "training": {**_training_record(state), "note": training_note},
            "evaluation": {
                "q_accuracy_test": accuracy["onnx"],
                "q_accuracy_test_best_matching": float(np.mean(np.asarray(best)[ort_codes] == test_labels)),
                "nmi_test": normalized_mutual_information(ort_codes, test_labels, size),
                "test_images": len(test_labels)},
            "export": {"exporter": exporter, "opset": OPSET, "parity": parity, "accuracy_parity": accuracy,
                       "versions": _versions(), "code_version": code_version(),
                       "seconds": round(time.perf_counter() - started, 2)},
        }
        write_manifest(work, manifest)
        _swap_into_place(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    logger.info("exported %s -> %s in %.1f s", checkpoint, out, time.perf_counter() - started)
    return out


def _torch_generate(graph: GeneratorGraph, code_to_digit: list[int]) -> GenerateFn:
    """Images as the SDK would draw them, from the PyTorch generator (eval mode), for measuring codes."""
    code_of = np.argsort(code_to_digit)  # digit -> categorical value

    @torch.no_grad()
    def generate(digits: np.ndarray, continuous: np.ndarray, seed: int) -> np.ndarray:
        feeds = verify.random_latents(graph, len(digits), np.random.default_rng(seed))
        feeds["categorical"][:, : len(code_of)] = np.eye(len(code_of), dtype=np.float32)[code_of[digits]]
        feeds["continuous"] = continuous
        images = graph(*(torch.from_numpy(feeds[name]) for name in graph.spec.generator_inputs()))
        return to_uint8(images, graph.spec)

    return generate


def _training_record(state: dict[str, Any]) -> dict[str, Any]:
    config = state["train_config"]
    return {"mode": config.mode, "label_budget": config.label_budget, "step": state["step"],
            "epochs": state.get("epoch"), "model_config": state["model_config"].to_dict(),
            "train_config": config.to_dict(), "data_sha256": state.get("data_sha256"),
            "command": state.get("command"), "world_size": state.get("world_size"),
            "code_version": state.get("code_version"), "evaluation_during_training": state.get("evaluation"),
            "weights": f"moving average (decay {config.average_decay})" if state.get("averages") else "last step"}


def _versions() -> dict[str, str]:
    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxscript": onnxscript.__version__,
            "onnxruntime": onnxruntime.__version__, "python": platform.python_version()}


def _swap_into_place(work: Path, out: Path) -> None:
    """Rename the finished folder to `out`; an existing `out` is replaced only after that succeeds."""
    if not out.exists():
        os.replace(work, out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.replace(out, old)
    os.replace(work, out)
    shutil.rmtree(old, ignore_errors=True)
