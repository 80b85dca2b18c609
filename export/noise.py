"""A noise run (`python -m train --stage noise`) -> its model folder with the noise head inside encoder.onnx.

The folder is the one the head was trained on, copied, with one change: encoder.onnx is exported again from the
same networks (loaded back from the folder, `train/from_folder.py`) and gains the output `noise`. Every output it
had must come out as before (checked against the old file on real digits), so the card, the mapping and the
not-a-digit threshold still hold and are kept; the manifest gains a `noise_encoder` record. Written atomically,
at a target checked by `export.target.check_target`, which is never the folder the head was trained on.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from export import verify
from export.graphs import EncoderGraph, GeneratorGraph, export_encoder
from export.target import check_target
from infogan_sdk import spec as names
from infogan_sdk.atomic import atomic_output
from infogan_sdk.loading.folders import resolve_model
from infogan_sdk.loading.manifest import file_entry, write_manifest
from mnist_data.files import load_mnist
from train.checkpoint import NOISE_KEYS, code_version, load_checkpoint
from train.config import NoiseConfig
from train.from_folder import Folder, load_folder
from train.networks import NoiseHead
from train.pixels import to_pixels

logger = logging.getLogger(__name__)
OLD_OUTPUTS_IMAGES = 2000  # MNIST test digits on which the new encoder must give the old outputs


def export_noise(checkpoint: str | Path, out: str | Path, exporter: str = "dynamo", name: str | None = None,
                 data_dir: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write the noise run `checkpoint`'s model folder, its encoder with a `noise` output, at `out`; returns it.

    Raises verify.VerificationError (and writes nothing at `out`) if the folder's files are not the ones the head
    was trained on, or if the new encoder does not give the old outputs, or onnxruntime differs from PyTorch;
    OutputExistsError (before any work) if `out` may not be replaced.
    """
    started = time.perf_counter()
    out = Path(out)
    check_target(out, (Path(checkpoint),), overwrite)
    state = load_checkpoint(checkpoint, NOISE_KEYS)
    config = NoiseConfig.from_dict(state["noise_config"])
    folder = load_folder(resolve_model(config.model))  # a bundled name, or the path the run was given
    source = folder.manifest
    reads = (Path(checkpoint), source.path)  # the source folder is read until the new one is complete
    existing = check_target(out, reads, overwrite)
    if source.data["files"] != state["model_files"]:
        raise verify.VerificationError(f"{source.path} is not the folder this head was trained on: its files "
                                       f"changed since (sha256 in the checkpoint's model_files)")
    if names.NOISE in source.data["io"]["encoder"]["outputs"]:
        raise verify.VerificationError(f"{source.path}'s encoder already has a {names.NOISE!r} output")
    test_images, _ = load_mnist("test", data_dir)
    test = to_pixels(torch.from_numpy(test_images[:OLD_OUTPUTS_IMAGES]), folder.spec)
    head = NoiseHead(folder.spec, len(state["average"]["mean"]), config.hidden)
    head.load_state_dict(state["average"])
    graph = EncoderGraph(folder.reader, folder.model_config.learn_std, folder.digit_score, noise_head=head.eval())

    with atomic_output(out, folder=True, overwrite=existing) as work:
        encoder, parity = reexport_encoder(folder, graph, work, exporter, test.numpy())
        unchanged = verify.same_outputs(source.path / encoder, work / encoder,
                                        source.data["io"]["encoder"]["outputs"], test.numpy())
        manifest = dict(source.data)
        manifest["name"] = name or out.name
        manifest["files"] = {**source.data["files"], "encoder": file_entry(work, encoder)}
        manifest["io"] = {**source.data["io"], "encoder": {"inputs": [names.IMAGES], "outputs": graph.outputs}}
        manifest["noise_encoder"] = _record(state, parity, unchanged, exporter, time.perf_counter() - started)
        write_manifest(work, manifest)
        check_target(out, reads, overwrite)  # again: the target may have changed in the meantime
    logger.info("exported noise run %s on %s -> %s in %.1f s", checkpoint, source.path, out,
                time.perf_counter() - started)
    return out


def reexport_encoder(folder: Folder, graph: EncoderGraph, work: Path, exporter: str,
                     pixels: np.ndarray) -> tuple[str, dict[str, Any]]:
    """Copy `folder`'s files into `work`, export `graph` over its encoder there, check the graph and run both
    files against PyTorch on (N, 1, 28, 28) `pixels`; returns the encoder's file name and the parity record."""
    source = folder.manifest
    for entry in source.data["files"].values():
        shutil.copyfile(source.path / entry["path"], work / entry["path"])
    encoder = source.data["files"]["encoder"]["path"]
    export_encoder(graph, folder.spec, work / encoder, exporter)
    verify.check_graph(work / encoder)
    parity = verify.parity(GeneratorGraph(folder.generator, folder.spec), graph, work,
                           source.data["files"]["generator"]["path"], encoder, pixels)
    return encoder, parity


def _record(state: dict[str, Any], parity: dict[str, Any], unchanged: dict[str, float], exporter: str,
            seconds: float) -> dict[str, Any]:
    """The manifest's `noise_encoder`: how the head was trained and exported (its figures: python -m evaluate)."""
    return {"noise_config": state["noise_config"], "step": state["step"], "epochs": state.get("epoch"),
            "evaluation_during_training": state.get("evaluation"), "command": state.get("command"),
            "training_code_version": state.get("code_version"), "weights": "moving average",
            "export": {"exporter": exporter, "parity": parity, "old_outputs_max_abs_error": unchanged,
                       "code_version": code_version(), "seconds": round(seconds, 2)}}
