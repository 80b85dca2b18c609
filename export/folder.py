"""Checkpoint -> verified, self-described model folder, written atomically.

Everything is built in a hidden sibling folder; only when every check has passed is it renamed
into place, so a failed or interrupted export never leaves a folder that looks valid.
"""

from __future__ import annotations

import logging
import platform
import time
from pathlib import Path
from typing import Any

import onnx
import onnxruntime
import onnxscript
import torch

from evaluate import not_digit
from evaluate.describe import Sizes, describe, digit_score_split, write_description
from export import verify
from export.graphs import (
    OPSET,
    EncoderGraph,
    GeneratorGraph,
    export_encoder,
    export_generator,
    fit_digit_score,
)
from infogan_sdk.atomic import atomic_output
from infogan_sdk.latents import draw
from infogan_sdk.manifest import FORMAT, FORMAT_VERSION, file_entry, write_manifest
from infogan_sdk.reading import read_images
from infogan_sdk.runtime import chunks
from train.augment import degraded, distorted
from train.checkpoint import code_version, load_checkpoint
from train.data import load_mnist
from train.loop import predict_codes
from train.networks import Discriminator, build
from train.pixels import to_pixels

logger = logging.getLogger(__name__)
REALNESS_DEPRECATED = {
    "deprecated": True, "source": "the reader's D head, trained on its detached features to follow stage 1 D",
    "why": "the reader's body is trained to ignore the defects D sees, so the head does not follow D (Pearson 0.12 "
           "with stage 1 D's logit; AUROC real vs generated 0.52, D's own 0.75); keeping D's body in encoder.onnx "
           "would double the encoder's cost and take the folder over its 8 MB budget (10.5 MB). Use digit_score / "
           "is_digit to tell digits from other images; python -m export --stage1-realness keeps D's verdict"}


def export_checkpoint(checkpoint: str | Path, out: str | Path, exporter: str = "dynamo", name: str | None = None,
                      description: str = "", provisional: bool = False, data_dir: str | Path | None = None,
                      sizes: Sizes | None = None, training_note: str = "", workers: int = 1,
                      stage1_realness: bool = False) -> Path:
    """Export, verify and describe a training checkpoint as a model folder at `out`; returns `out`.

    The graphs are built and checked against PyTorch here; the mapping, the continuous codes' names and
    directions and the evaluation come from `evaluate.describe`, through the SDK, on the finished files
    (`sizes` says how many images each part uses). `stage1_realness`, for a two-stage run: realness is stage 1
    D's verdict, run inside the encoder (a second body: twice the encoder's cost and 3.5 MB more); otherwise it
    is the reader's own D head, which does not follow D (deprecated; the manifest says so).
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
    test_images, test_labels = load_mnist("test", data_dir)
    test_pixels = to_pixels(torch.from_numpy(test_images), spec)
    train_images, _ = load_mnist("train", data_dir)  # its labels are not read: the score fits Q's own readings
    sizes = sizes or Sizes()
    fit_rows = digit_score_split(len(train_images))[0][: sizes.digit_score_digits]
    fit_pixels = to_pixels(torch.from_numpy(train_images[fit_rows]), spec)
    g_graph = GeneratorGraph(generator, spec)
    # real digits, as users pass them too, and the model's own (its codes reach thicker and thinner strokes than
    # MNIST has), against generated non-digits as the SDK's preprocessing hands them to the encoder
    views = _digit_views(fit_pixels, spec.pixel_range[0])
    fit_pixels = torch.cat([fit_pixels, views, _generated_pixels(g_graph, len(fit_pixels))])
    negatives = read_images(not_digit.negatives(sizes.digit_score_negatives), spec.image_shape[1:], "auto")
    others = to_pixels(torch.from_numpy(negatives), spec)
    digit_score = fit_digit_score(_score_features(discriminator, fit_pixels), _score_features(discriminator, others))
    score_record = {"train_digits": len(fit_rows), "digit_views": len(views), "samples": len(fit_rows),
                    "non_digits": len(negatives), "first_non_digit_seed": not_digit.NEGATIVE_SEEDS}
    e_graph = EncoderGraph(discriminator, model_config.learn_std, digit_score,
                           _critic(state) if stage1_realness else None)
    size = spec.digit_code_size

    out = Path(out)
    # Built in a hidden folder beside `out`, renamed into place only when every check has passed; what a killed
    # export of this folder left is removed first (infogan_sdk.atomic).
    with atomic_output(out, folder=True, overwrite=True) as work:
        export_generator(generator, spec, work / "generator.onnx", exporter)
        export_encoder(e_graph, spec, work / "encoder.onnx", exporter)
        for file in ("generator.onnx", "encoder.onnx"):
            verify.check_graph(work / file)
        parity = verify.parity(g_graph, e_graph, work, "generator.onnx", "encoder.onnx", test_pixels.numpy())

        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "name": name or out.name,
            "description": description, "provisional": provisional, "spec": spec.to_dict(),
            "files": {role: file_entry(work, f"{role}.onnx") for role in ("generator", "encoder")},
            "io": {"generator": {"inputs": list(spec.generator_inputs()), "outputs": ["images"]},
                   "encoder": {"inputs": ["images"], "outputs": e_graph.outputs}},
            "code_to_digit": list(range(size)),  # until described, below
            "training": {**_training_record(state), "note": training_note},
            **({"realness": REALNESS_DEPRECATED} if state.get("stage") == "reader" and not stage1_realness else {}),
            "export": {"exporter": exporter, "opset": OPSET, "parity": parity, "versions": _versions(),
                       "code_version": code_version(), "digit_score_fit": score_record},
        }
        write_manifest(work, manifest)
        described = describe(work, data_dir, sizes, workers=workers,
                             supervised=train_config.mode != "unsupervised")
        code_to_digit = described["code_to_digit"]
        if train_config.mode != "unsupervised" and code_to_digit != list(range(size)):
            raise verify.VerificationError(
                f"a {train_config.mode} model must map code k to digit k, but Q's best matching is {code_to_digit}")
        torch_codes = predict_codes(discriminator, test_pixels, size)
        ort_codes = verify.onnx_codes(work / "encoder.onnx", test_pixels.numpy(), size)
        manifest["export"]["accuracy_parity"] = verify.accuracy_parity(torch_codes, ort_codes, test_labels,
                                                                       code_to_digit)
        manifest["export"]["seconds"] = round(time.perf_counter() - started, 2)
        write_manifest(work, manifest)
        write_description(work, described, "python -m export (at export time)")
    logger.info("exported %s -> %s in %.1f s", checkpoint, out, time.perf_counter() - started)
    return out


def _critic(state: dict[str, Any]) -> Discriminator | None:
    """A stage 2 run's stage 1 discriminator (averaged weights), the judge of realness; None for one-stage runs."""
    if state.get("stage") != "reader":
        return None
    stage1 = load_checkpoint(state["reader_config"]["generator_run"])
    _, critic = build(stage1["model_config"], seed=0)
    critic.load_state_dict((stage1.get("averages") or stage1)["discriminator"])
    return critic.eval()


@torch.no_grad()
def _generated_pixels(graph: GeneratorGraph, count: int, seed: int = 0) -> torch.Tensor:
    """`count` images drawn as the SDK draws them (every code from its prior), (N, 1, 28, 28) model pixels."""
    latents = draw(graph.spec, count, seed, None, {}, None)
    images = []
    for rows in chunks(count, 1000):
        feeds = latents.feeds(graph.spec, rows)
        images.append(graph(*(torch.from_numpy(feeds[name]) for name in graph.spec.generator_inputs())))
    return torch.cat(images)


@torch.no_grad()
def _digit_views(real: torch.Tensor, background: float, seed: int = 0) -> torch.Tensor:
    """(N, 1, 28, 28) real digits -> 2.25 N views of them that the digit score must still accept: degraded once and
    twice (thinner, thicker, blurred, low-resolution: `train.augment.degraded`) and a quarter distorted (rotated,
    sheared, scaled and moved, as the SDK's crop of a photo leaves them). Without them, half of the digits reduced
    to 8x8 and a third of the thinned ones read as not digits."""
    rng = torch.Generator().manual_seed(seed)
    once = torch.cat([degraded(rows, background, rng) for rows in real.split(1000)])
    twice = torch.cat([degraded(rows, background, rng) for rows in once.split(1000)])
    moved = torch.cat([distorted(rows, background, rng) for rows in real[: len(real) // 4].split(1000)])
    return torch.cat([once, twice, moved])


@torch.no_grad()
def _score_features(discriminator: Discriminator, pixels: torch.Tensor) -> torch.Tensor:
    """The features the digit score reads, (N, F), for (N, 1, 28, 28) model pixels."""
    return torch.cat([discriminator.forward_with_features(pixels[start : start + 1000])[4]
                      for start in range(0, len(pixels), 1000)])


def _training_record(state: dict[str, Any]) -> dict[str, Any]:
    config = state["train_config"]
    return {"mode": config.mode, "label_budget": config.label_budget, "step": state["step"],
            "epochs": state.get("epoch"), "model_config": state["model_config"].to_dict(),
            "train_config": config.to_dict(), "data_sha256": state.get("data_sha256"),
            "command": state.get("command"), "world_size": state.get("world_size"),
            "code_version": state.get("code_version"), "evaluation_during_training": state.get("evaluation"),
            "weights": f"moving average (decay {config.average_decay})" if state.get("averages") else "last step",
            # two-stage models: the encoder is stage 2's reader, the generator stage 1's (train/reader.py)
            "stage": state.get("stage", "gan"),
            **({key: state[key] for key in ("reader_config", "stage1")} if "reader_config" in state else {})}


def _versions() -> dict[str, str]:
    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxscript": onnxscript.__version__,
            "onnxruntime": onnxruntime.__version__, "python": platform.python_version()}

