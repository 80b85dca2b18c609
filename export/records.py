"""What both exports (MNIST digits, `export.folder`; any other model, `export.general`) take from a checkpoint and
write about it: the networks, stage 1's critic, the training record and the producer versions."""

from __future__ import annotations

import platform
from typing import Any

import onnx
import onnxruntime
import onnxscript
import torch

from infogan_sdk.spec import LatentSpec
from train.checkpoint import load_checkpoint
from train.data import DIGIT_SOURCES
from train.networks import Discriminator, Generator, build, fold_spectral_norm


def is_digits(state: dict[str, Any]) -> bool:
    """Whether the checkpoint is an MNIST digit model: trained on digits (mnist, or fake digits for dry runs), 28x28
    grey, its first categorical code of ten values. Only those get the digit score and the MNIST checks."""
    latent, mnist = state["model_config"].latent, LatentSpec()
    source = (state.get("data") or {}).get("name", state["train_config"].data)
    return source in DIGIT_SOURCES and tuple(latent.image_shape) == mnist.image_shape \
        and latent.digit_code_size == mnist.digit_code_size


def networks(state: dict[str, Any]) -> tuple[Generator, Discriminator]:
    """The checkpoint's generator and discriminator in eval mode (the averaged weights of a run trained with them),
    a spectral norm folded into D's weights: the graphs then hold plain layers."""
    generator, discriminator = build(state["model_config"], seed=0)
    weights = state.get("averages") or state  # trained with --average-decay: the averaged weights are the model
    generator.load_state_dict(weights["generator"])
    discriminator.load_state_dict(weights["discriminator"])
    return generator.eval(), fold_spectral_norm(discriminator)


def critic(state: dict[str, Any]) -> Discriminator | None:
    """A stage 2 run's stage 1 discriminator (averaged weights), the judge of realness; None for one-stage runs."""
    if state.get("stage") != "reader":
        return None
    stage1 = load_checkpoint(state["reader_config"]["generator_run"])
    _, critic = build(stage1["model_config"], seed=0)
    critic.load_state_dict((stage1.get("averages") or stage1)["discriminator"])
    return fold_spectral_norm(critic)


def training_record(state: dict[str, Any]) -> dict[str, Any]:
    config = state["train_config"]
    return {"mode": config.mode, "label_budget": config.label_budget, "step": state["step"],
            "epochs": state.get("epoch"), "model_config": state["model_config"].to_dict(),
            "train_config": config.to_dict(), "data_sha256": state.get("data_sha256"),
            "command": state.get("command"), "world_size": state.get("world_size"),
            "code_version": state.get("code_version"), "evaluation_during_training": _scores(state.get("evaluation")),
            "weights": f"moving average (decay {config.average_decay})" if state.get("averages") else "last step",
            # two-stage models: the encoder is stage 2's reader, the generator stage 1's (train/reader.py)
            "stage": state.get("stage", "gan"),
            **({"reader_config": state["reader_config"],
                "stage1": {**state["stage1"], "evaluation": _scores(state["stage1"].get("evaluation"))}}
               if "reader_config" in state else {})}


def _scores(evaluation: dict[str, Any] | None) -> dict[str, Any] | None:
    """Training's per-epoch scores without their code-to-digit map: the manifest's one is the described map."""
    return None if evaluation is None else {key: value for key, value in evaluation.items() if key != "code_to_digit"}


def versions() -> dict[str, str]:
    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxscript": onnxscript.__version__,
            "onnxruntime": onnxruntime.__version__, "python": platform.python_version()}

