"""`infogan info` (the doctor: model, codes, devices, versions, what to fix) and `infogan models` (no math)."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
from typing import Any

import infogan_sdk
from infogan_sdk import Encoder, Generator, InfoGANError
from infogan_sdk.cli.arguments import common
from infogan_sdk.loading.codebook import ContinuousCode, network_inputs
from infogan_sdk.loading.folders import BUNDLED_DIR, DEFAULT_MODEL
from infogan_sdk.loading.manifest import load_manifest

CUDA = "CUDAExecutionProvider"
RUNTIMES = ("onnxruntime", "onnxruntime-gpu")  # distributions that each install the `onnxruntime` module


def add_info(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    info = subcommands.add_parser("info", parents=[common()], help="model summary, providers and versions (doctor)")
    info.add_argument("--json", action="store_true", help="JSON instead of text")
    info.set_defaults(handler=info_command)


def add_models(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subcommands.add_parser("models", help="list the bundled models")  # no model options: they mean nothing
    models.set_defaults(handler=models_command)


def info_command(args: argparse.Namespace) -> int:
    """Environment doctor: versions, providers, the model and its sessions (exit 1 if the model fails to load)."""
    report: dict[str, Any] = {"infogan_sdk": infogan_sdk.__version__, "environment": infogan_sdk.environment(),
                              "bundled_models": infogan_sdk.available_models(), "warnings": _warnings()}
    try:
        generator = Generator(args.model, device=args.device, variant=args.variant)
        encoder = Encoder(args.model, device=args.device, variant=args.variant)
        report["model"] = {"path": str(generator.path), "image_shape": list(generator.spec.image_shape),
                           "preprocess": generator.preprocess_mode,
                           "categorical_codes": [{"name": code.name, "labels": list(code.labels)}
                                                 for code in generator.categorical_codes],
                           "digits": bool(generator.code_to_digit),
                           "continuous_names": list(generator.continuous_names),
                           "continuous_codes": [_code(code) for code in generator.continuous_codes],
                           "variant": generator.variant, "variants": _variants(generator.info),
                           "generator": {"device": generator.device, "providers": generator.providers},
                           "encoder": {"device": encoder.device, "providers": encoder.providers},
                           "manifest": generator.info}
    except InfoGANError as error:
        report["model_error"] = str(error)
    print(json.dumps(report, indent=2, default=str) if args.json else "\n".join(_report(report)))
    return 1 if "model_error" in report else 0


def models_command(args: argparse.Namespace) -> int:
    """The bundled models, one line each: name, training mode, named codes, description."""
    lines = []
    for name in infogan_sdk.available_models():
        manifest = load_manifest(BUNDLED_DIR / name, verify=False).data
        codes = ", ".join(str(code.get("name")) for code in manifest.get("continuous_codes") or [])
        mode = (manifest.get("training") or {}).get("mode", "?")
        default = " (default)" if name == DEFAULT_MODEL else ""
        lines.append(f"{name}{default}\t{mode}\tcodes: {codes or 'none'}\t{manifest.get('description', '')}")
    print("\n".join(lines) if lines else "no bundled models installed")
    return 0


def _report(report: dict[str, Any]) -> list[str]:
    environment = report["environment"]
    lines = []
    if "model_error" in report:
        lines.append(f"model       NOT LOADED: {report['model_error']}")
    else:
        model, manifest = report["model"], report["model"]["manifest"]
        training = manifest.get("training") or {}
        lines += [f"model       {manifest.get('name', '?')}  ({model['path']})",
                  f"            {manifest.get('description', '')}".rstrip()]
        if training:
            labels = {0: "no labels", None: "all labels"}.get(training.get("label_budget"),
                                                              f"{training.get('label_budget')} labels")
            lines.append(f"            trained {training.get('mode', '?')}, {labels}")
        if manifest.get("provisional"):
            lines.append("            provisional: a stand-in model")
        lines += _categorical(model, manifest)
        for index, code in enumerate(model["continuous_codes"]):
            effects = ", ".join(f"{k} {v:+.2f} sd" for k, v in code["effects"].items())
            feeds = f"feeds {network_inputs(1, code['network'])}"
            lines.append(f"{'codes' if index == 0 else '':<12}{code['name']:<10} column {code['index']}, {feeds}, "
                         f"range {code['range']}"
                         + (f": from -2 to +2 moves {effects}" if effects else ": no measured effects"))
        lines.append(f"variants    {', '.join(model['variants']) or 'none'}"
                     f"{'' if model['variants'] else ' (make int8 with python -m export.quantize, see docs/sdk.md)'}; "
                     f"in use: {model['variant'] or 'float32'}")
        for role in ("generator", "encoder"):
            lines.append(f"{'runs on' if role == 'generator' else '':<12}{role} on {model[role]['device']} "
                         f"({', '.join(model[role]['providers'])})")
    available = environment["available_providers"]
    lines.append(f"providers   available: {', '.join(available)}")
    if CUDA not in available:
        lines.append("            no CUDA: for a GPU, pip uninstall onnxruntime, then pip install onnxruntime-gpu "
                     "(built for your CUDA and cuDNN); device='auto' then uses it")
    lines.append(f"versions    infogan_sdk {report['infogan_sdk']}, onnxruntime {environment['onnxruntime']}, numpy "
                 f"{environment['numpy']}, pillow {environment['pillow']}, python {environment['python']}")
    lines.append(f"platform    {environment['platform']}")
    lines.append(f"bundled     {', '.join(report['bundled_models']) or 'none installed'} (infogan models)")
    lines += [f"WARNING     {warning}" for warning in report["warnings"]]
    return lines


def _categorical(model: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The categorical codes' lines: MNIST models' digits as ever; any other model's image shape, data set and each
    code's labels."""
    if model["digits"] and manifest.get("format_version") == 1:
        return [f"digits      code k draws digit {manifest.get('code_to_digit')}"]
    channels, height, width = model["image_shape"]
    data = manifest.get("data") or {}
    lines = [f"images      {height}x{width} {'RGB' if channels == 3 else 'grey'}, preprocess {model['preprocess']}"
             + (f"; data {data.get('name')} ({data.get('source')})" if data else "")]
    for index, code in enumerate(model["categorical_codes"]):
        labels = code["labels"]
        shown = ", ".join(labels[:12]) + (f" and {len(labels) - 12} more" if len(labels) > 12 else "")
        lines.append(f"{'classes' if index == 0 else '':<12}{code['name']:<10} column {index}, {len(labels)} values: "
                     f"{shown}")
    return lines


def _code(code: ContinuousCode) -> dict[str, Any]:
    return {"name": code.name, "index": code.index, "direction": code.direction, "effects": dict(code.effects),
            "range": list(code.range), "rotated": code.rotated, "network": [code.direction * v for v in code.axis]}


def _variants(manifest: dict[str, Any]) -> list[str]:
    """The file variants a model folder has ("int8", ...): files named generator_<variant>."""
    return sorted(role.split("_", 1)[1] for role in manifest.get("files", {}) if role.startswith("generator_"))


def _warnings() -> list[str]:
    installed = []
    for name in RUNTIMES:
        try:
            installed.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    if len(installed) > 1:
        return [f"both {' and '.join(installed)} are installed: they overwrite each other's files, so the "
                "providers above may not be the build you expect; pip uninstall both, then install one"]
    return []
