"""Checkpoint -> verified, self-described model folder, written atomically, in five steps read top to bottom:
load the networks, build the graphs (fitting the digit score, `export/digit_score.py`), verify the ONNX files
against PyTorch, describe them through the SDK (`evaluate.describe`), and write the manifest. That is an MNIST digit
model's export (`records.is_digits`), written in manifest format 1; any other model's is `export.general`'s.

Everything is built in a hidden sibling folder; only when every check has passed is it renamed
into place, so a failed or interrupted export never leaves a folder that looks valid. What is at the target is
replaced only if it is a model folder and `overwrite` is given (`check_target`): never the run folder, a folder
holding it, or anything else a user keeps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from evaluate.describe import Sizes, describe
from export import digit_score, verify
from export.digit_score import ScoreSizes
from export.general import export_general
from export.graphs import OPSET, EncoderGraph, GeneratorGraph
from export.records import critic, is_digits, networks, training_record, versions
from export.target import check_target
from infogan_sdk.atomic import atomic_output
from infogan_sdk.loading.manifest import FORMAT, file_entry, write_manifest
from infogan_sdk.spec import LatentSpec
from mnist_data.files import load_mnist
from train.bookkeeping import predict_codes
from train.checkpoint import code_version, load_checkpoint
from train.pixels import to_pixels

logger = logging.getLogger(__name__)
DIGITS_FORMAT = 1  # MNIST folders keep manifest format 1: every SDK reads them, and format 2 adds nothing they need
REALNESS_DEPRECATED = {
    "deprecated": True, "source": "the reader's D head, trained on its detached features to follow stage 1 D",
    "why": "the reader's body is trained to ignore the defects D sees, so the head does not follow D (Pearson 0.12 "
           "with stage 1 D's logit; AUROC real vs generated 0.52, D's own 0.75); keeping D's body in encoder.onnx "
           "would double the encoder's cost and take the folder over its 8 MB budget (10.5 MB). Use digit_score / "
           "is_digit to tell digits from other images; python -m export --stage1-realness keeps D's verdict"}


def export_checkpoint(checkpoint: str | Path, out: str | Path, exporter: str = "dynamo", name: str | None = None,
                      description: str = "", provisional: bool = False, data_dir: str | Path | None = None,
                      sizes: Sizes | None = None, training_note: str = "", workers: int = 1,
                      stage1_realness: bool = False, score_sizes: ScoreSizes | None = None,
                      overwrite: bool = False, continuous_names: Sequence[str] | None = None) -> Path:
    """Export, verify and describe a training checkpoint as a model folder at `out`; returns `out`.

    The graphs are built and checked against PyTorch here; the mapping, the continuous codes' names and
    directions and the evaluation come from `evaluate.describe`, through the SDK, on the finished files
    (`sizes` says how many images each part uses; `score_sizes` how many the digit score is fitted on).
    `stage1_realness`, for a two-stage run: realness is stage 1 D's verdict, run inside the encoder (a second
    body: twice the encoder's cost and 3.5 MB more); otherwise it is the reader's own D head, which does not
    follow D (deprecated; the manifest says so).
    Any other model than MNIST digits goes to `export.general.export_general` (`continuous_names` name its
    continuous codes; `data_dir`, `sizes` and `workers` serve its description; `score_sizes` does not apply).
    Raises verify.VerificationError (and writes nothing at `out`) if a check fails, OutputExistsError (before any
    work) if `out` may not be replaced (`check_target`).
    """
    started = time.perf_counter()
    out = Path(out)
    existing = check_target(out, (Path(checkpoint),), overwrite)
    # 1. load: the checkpoint's networks and MNIST
    state = load_checkpoint(checkpoint)
    if not is_digits(state):
        return export_general(state, Path(checkpoint), out, existing, exporter=exporter, name=name,
                              description=description, provisional=provisional, data_dir=data_dir,
                              training_note=training_note, continuous_names=continuous_names,
                              stage1_realness=stage1_realness, overwrite=overwrite, sizes=sizes, workers=workers)
    generator, discriminator = networks(state)
    spec, mode = state["model_config"].latent, state["train_config"].mode
    train_images, _ = load_mnist("train", data_dir)  # its labels are not read: the score fits Q's own readings
    test_images, test_labels = load_mnist("test", data_dir)
    test_pixels = to_pixels(torch.from_numpy(test_images), spec)
    # 2. the graphs, the encoder's with the digit score fitted on its features
    g_graph = GeneratorGraph(generator, spec)
    score, score_record = digit_score.fit(g_graph, discriminator, train_images, score_sizes or ScoreSizes())
    e_graph = EncoderGraph(discriminator, state["model_config"].learn_std, score,
                           critic(state) if stage1_realness else None)
    # Built in a hidden folder beside `out`, renamed into place only when every check has passed; what a killed
    # export of this folder left is removed first (infogan_sdk.atomic).
    with atomic_output(out, folder=True, overwrite=existing) as work:
        # 3. verify: the ONNX files checked, and run against PyTorch
        parity = verify.export_checked(g_graph, e_graph, work, exporter, test_pixels.numpy())
        # 4. describe, through the SDK on the written files (a draft manifest says how to open them)
        draft = _draft(work, spec, e_graph.outputs)
        write_manifest(work, draft)
        not_a_digit = digit_score.calibrate(work, train_images)
        described = describe(work, data_dir, sizes, workers=workers, supervised=mode != "unsupervised",
                             threshold=None if not_a_digit is None else not_a_digit["threshold"])
        code_to_digit = described["code_to_digit"]
        if mode != "unsupervised" and code_to_digit != list(range(spec.digit_code_size)):
            raise verify.VerificationError(
                f"a {mode} model must map code k to digit k, but Q's best matching is {code_to_digit}")
        torch_codes = predict_codes(discriminator, test_pixels, spec.digit_code_size)
        ort_codes = verify.onnx_codes(work / "encoder.onnx", test_pixels.numpy(), spec.digit_code_size)
        # 5. the manifest, once
        write_manifest(work, {
            **draft, "name": name or out.name, "description": description, "provisional": provisional,
            **described, "evaluation": {**described["evaluation"], "command": "python -m export (at export time)"},
            **({"not_a_digit": not_a_digit} if not_a_digit is not None else {}),
            "training": {**training_record(state), "note": training_note},
            **({"realness": REALNESS_DEPRECATED} if state.get("stage") == "reader" and not stage1_realness else {}),
            "export": {"exporter": exporter, "opset": OPSET, "parity": parity, "versions": versions(),
                       "code_version": code_version(), "digit_score_fit": score_record,
                       "accuracy_parity": verify.accuracy_parity(torch_codes, ort_codes, test_labels, code_to_digit),
                       "seconds": round(time.perf_counter() - started, 2)}})
        check_target(out, (Path(checkpoint),), overwrite)  # again: the target may have changed in the meantime
    logger.info("exported %s -> %s in %.1f s", checkpoint, out, time.perf_counter() - started)
    return out


def _draft(work: Path, spec: LatentSpec, encoder_outputs: list[str]) -> dict[str, Any]:
    """What the SDK needs to open the folder's files: format, spec, files with their checksums, inputs/outputs."""
    return {"format": FORMAT, "format_version": DIGITS_FORMAT, "spec": spec.to_dict(),
            "files": {role: file_entry(work, f"{role}.onnx") for role in ("generator", "encoder")},
            "io": {"generator": {"inputs": list(spec.generator_inputs()), "outputs": ["images"]},
                   "encoder": {"inputs": ["images"], "outputs": encoder_outputs}},
            "code_to_digit": list(range(spec.digit_code_size))}  # until described
