"""Export of any model that is not MNIST digits (`records.is_digits`): another data set, size, colour or code layout.

The same steps as `export.folder`, read top to bottom, without what only MNIST digits have: no digit score, no MNIST
accuracy checks, no Morpho-MNIST measures. In the digit score's place, any model's "is this one of mine" score
(`export.domain_score`: the encoder's `domain_score` output, and the manifest's `in_domain` threshold, calibrated on a
held-out part of the train split). Parity against PyTorch runs on the run's own data set's test images (through
`imagedata`, as training read them), and the description is `evaluate.general.describe_any`'s on that data set: the
first categorical code's values matched to the data set's classes (its labels then name them), Q accuracy and class
control where the data set allows, the continuous codes named after the image measures they move, or after
`continuous_names` when given. The manifest is format 2; what was not done is absent from it, and `export.skipped`
says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evaluate.general import describe_any
from evaluate.scores import Sizes
from export import domain_score, verify
from export.graphs import OPSET, EncoderGraph, GeneratorGraph
from export.records import critic, networks, training_record, versions
from export.target import check_target
from imagedata import DataSet
from infogan_sdk.atomic import atomic_output
from infogan_sdk.loading.manifest import FORMAT, FORMAT_VERSION, file_entry, load_manifest, write_manifest
from infogan_sdk.spec import LatentSpec
from train.bookkeeping import predict_codes
from train.checkpoint import code_version
from train.data import open_data
from train.pixels import to_pixels

logger = logging.getLogger(__name__)
SKIPPED = "the digit score and is_digit (trained against generated non-digits; this model's domain_score and " \
    "in_domain are its density part, fitted on the model's own training images), the MNIST accuracy checks and the " \
    "Morpho-MNIST measures are for MNIST digit models only"


def export_general(state: dict[str, Any], checkpoint: Path, out: Path, existing: bool, exporter: str = "dynamo",
                   name: str | None = None, description: str = "", provisional: bool = False,
                   data_dir: str | Path | None = None, training_note: str = "",
                   continuous_names: Sequence[str] | None = None, stage1_realness: bool = False,
                   overwrite: bool = False, sizes: Sizes | None = None, workers: int = 1) -> Path:
    """Export, verify and write a model folder at `out` for a loaded checkpoint `state` (see `export.folder`'s
    `export_checkpoint`, which calls this for every model but MNIST digits); returns `out`.
    Raises verify.VerificationError (writing nothing at `out`) if a check fails."""
    started = time.perf_counter()
    spec: LatentSpec = state["model_config"].latent
    names = _continuous_names(spec, continuous_names)
    # 1. load: the networks, and the run's data set at the model's shape
    generator, discriminator = networks(state)
    data = _data(state, data_dir)
    test_pixels = to_pixels(torch.from_numpy(np.ascontiguousarray(data.test.images)), spec)
    # 2. the graphs, with the domain score fitted on the train split's images (`domain_score.split`'s fit rows)
    g_graph = GeneratorGraph(generator, spec)
    score, score_record = domain_score.fit(discriminator, state["model_config"], data)
    e_graph = EncoderGraph(discriminator, state["model_config"].learn_std, None,
                           critic(state) if stage1_realness else None, domain_score=score)
    with atomic_output(out, folder=True, overwrite=existing) as work:
        # 3. verify: the ONNX files checked, and run against PyTorch on the data set's test images
        parity = verify.export_checked(g_graph, e_graph, work, exporter, test_pixels.numpy())
        agreement = None
        if spec.categorical_sizes:
            torch_codes = predict_codes(discriminator, test_pixels, spec.digit_code_size)
            ort_codes = verify.onnx_codes(work / "encoder.onnx", test_pixels.numpy(), spec.digit_code_size)
            agreement = verify.code_agreement(torch_codes, ort_codes)
        # 4. a draft manifest, which says how to open the written files through the SDK
        draft = {"format": FORMAT, "format_version": FORMAT_VERSION, "spec": spec.to_dict(),
                 "files": {role: file_entry(work, f"{role}.onnx") for role in ("generator", "encoder")},
                 "io": {"generator": {"inputs": list(spec.generator_inputs()), "outputs": ["images"]},
                        "encoder": {"inputs": ["images"], "outputs": e_graph.outputs}},
                 "categorical_codes": _categorical(spec, data.class_names, _label_factor(data)),
                 "preprocess": "resize",
                 "data": state.get("data") or data.describe()}
        write_manifest(work, draft)
        # 5. calibrate the domain score through the SDK, on the train split's held-out rows; describe with it
        draft["in_domain"] = {**domain_score.calibrate(work, data), **score_record}
        write_manifest(work, draft)
        described = describe_any(work, data, sizes, workers=workers,
                                 supervised=state["train_config"].mode != "unsupervised")
        if continuous_names is not None:  # the user's names over the measures'
            described["continuous_codes"] = [{**code, "name": names[code["index"]]}
                                             for code in described["continuous_codes"]]
        # 6. the manifest, once
        write_manifest(work, {
            **draft, **described, "evaluation": {**described["evaluation"],
                                                 "command": "python -m export (at export time)"},
            "name": name or out.name, "description": description,
            "provisional": provisional, "training": {**training_record(state), "note": training_note},
            "export": {"exporter": exporter, "opset": OPSET, "parity": parity, "versions": versions(),
                       "code_version": code_version(), "test_images": len(test_pixels),
                       **({"code_agreement": agreement} if agreement is not None else {}), "skipped": SKIPPED,
                       "seconds": round(time.perf_counter() - started, 2)}})
        load_manifest(work)  # as the SDK reads it: labels it refuses (a class name of odd characters) fail here
        check_target(out, (checkpoint,), overwrite)  # again: the target may have changed in the meantime
    logger.info("exported %s -> %s in %.1f s", checkpoint, out, time.perf_counter() - started)
    return out


def _continuous_names(spec: LatentSpec, given: Sequence[str] | None) -> list[str]:
    names = [f"c{index}" for index in range(spec.n_continuous)] if given is None else list(given)
    if len(names) != spec.n_continuous or not all(n.isidentifier() for n in names) or len(set(names)) != len(names):
        raise verify.VerificationError(f"continuous names must be {spec.n_continuous} distinct identifiers (one per "
                                       f"continuous code), got {names}")
    return names


def _label_factor(data: DataSet) -> str | None:
    """The known factor that is the labels themselves (dSprites' `shape`), if one is."""
    labels = data.train.labels
    return None if labels is None else next(
        (name for name, values in sorted(data.train.factors.items()) if np.array_equal(values, labels)), None)


def _categorical(spec: LatentSpec, class_names: Sequence[str] | None,
                 label_factor: str | None = None) -> list[dict[str, Any]]:
    """Each code's name and labels by its values ("0", "1", ...): the first is "class" (or the name of the factor that
    its labels are) where it has one value per class of the data set (the description then labels its values by the
    classes they draw), the others "category<i>"."""
    codes = [{"name": f"category{index}", "labels": [str(value) for value in range(size)]}
             for index, size in enumerate(spec.categorical_sizes)]
    if codes and class_names is not None and len(class_names) == spec.categorical_sizes[0]:
        codes[0]["name"] = label_factor or "class"
    return codes


def _data(state: dict[str, Any], data_dir: str | Path | None) -> DataSet:
    """The run's data set (`imagedata.DataSet`), at the model's image size and channels."""
    channels, side = state["model_config"].latent.image_shape[:2]
    config = state["train_config"]
    config = replace(config, image_size=config.image_size or side, channels=config.channels or channels)
    return open_data(config, data_dir)

