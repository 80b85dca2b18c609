"""The description of a loaded model that `GET /v1/models` returns: everything a client in another language needs
to drive it (latent layout, code names and ranges, digits, image convention), read from the SDK and its manifest."""

from __future__ import annotations

from typing import Any

from infogan_sdk import Encoder, Generator
from infogan_sdk.spec import CATEGORICAL, CONTINUOUS, NOISE


def describe_model(name: str, generator: Generator, encoder: Encoder) -> dict[str, Any]:
    """A JSON-ready dict: name, manifest description, latent layout, digits (MNIST models; [] otherwise), categorical
    codes and their labels, continuous codes, image convention and preprocessing, the data set (format 2 folders).

    Each continuous code carries its index, its training range (ContinuousCode.range: what the SDK accepts without
    beyond_range), the sweep a traversal covers by default and
    every other field the manifest records for it (e.g. "effects": measured slant and width per unit).
    """
    spec, manifest = generator.spec, generator.info
    low, high = spec.continuous_range
    middle, width = (low + high) / 2, high - low
    entries = {entry.get("name"): entry for entry in manifest.get("continuous_codes") or [] if isinstance(entry, dict)}
    codes = []
    for index, code in enumerate(generator.continuous_names):
        extra = {key: value for key, value in entries.get(code, {}).items() if key != "name"}
        codes.append({"name": code, "index": index, "default": middle,
                      "sweep": extra.pop("sweep", [middle - width, middle + width]), **extra,
                      "range": list(generator.continuous_codes[index].range)})  # the SDK's: a turned code's is wider
    return {
        "name": name,
        "description": manifest.get("description", ""),
        "device": generator.device,
        "layout": latent_layout(generator),
        "digits": sorted(generator.code_to_digit),
        "code_to_digit": list(generator.code_to_digit),
        "categorical": [{"name": code.name, "index": code.index, "labels": list(code.labels)}
                        for code in generator.categorical_codes],
        "continuous": codes,
        "image": {"shape": list(spec.image_shape), "model_pixel_range": list(spec.pixel_range),
                  "png": "8-bit RGB" if spec.image_shape[0] == 3 else "8-bit grayscale, 0 = black background, 255 "
                  "= white ink" if generator.code_to_digit else "8-bit grayscale",
                  "preprocess": generator.preprocess_mode},
        **({"data": {key: manifest["data"].get(key) for key in ("name", "source", "class_names", "counts")}}
           if isinstance(manifest.get("data"), dict) else {}),
        "encoder_outputs": list(encoder.info.get("io", {}).get("encoder", {}).get("outputs", [])),
        "can_edit": encoder.has_noise,  # POST /v1/edit works (the encoder infers the noise too)
    }


def latent_layout(generator: Generator) -> list[dict[str, Any]]:
    """The generator's input blocks in concatenation order, with their offsets in the latent vector."""
    spec = generator.spec
    blocks: list[dict[str, Any]] = [{"input": NOISE, "size": spec.noise_size, "distribution": spec.noise_distribution},
              {"input": CATEGORICAL, "size": spec.categorical_size, "sizes": list(spec.categorical_sizes),
               "encoding": "one-hot per code, concatenated"},
              {"input": CONTINUOUS, "size": spec.n_continuous, "names": list(generator.continuous_names),
               "distribution": f"uniform{list(spec.continuous_range)}",
               "basis": generator.basis.tolist(), "to_network": "network input = values @ basis; read back: "
                                                                "values = network output @ transpose(basis)"}]
    offset, layout = 0, []
    for block in blocks:
        if block["size"]:
            layout.append({**block, "offset": offset})
            offset += block["size"]
    return layout
