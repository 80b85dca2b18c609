"""Write js/test/golden.json.gz: what the Python SDK does, for the JavaScript package's parity tests (node --test).

    python js/test/golden.py          # from the repository root; needs MNIST ($INFOGAN_MNIST_DIR)

Cases: explicit latents -> images (generate, and a traverse's sweep); images of many kinds (MNIST digits, dark
ink on paper at several sizes, noisy paper, transparent backgrounds, thin and blank ones, a plain stroke) ->
the preprocessed pixels, digits, probabilities, codes, realness, digit scores, is_digit and noise; an edit.
Pixels travel as base64, floats as lists.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from infogan_sdk import Encoder, Generator
from mnist_data.files import load_mnist

OUT = Path(__file__).resolve().parent / "golden.json.gz"
MODEL = "mnist"


def b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode()


def floats(array: np.ndarray | None) -> list[float] | None:
    return None if array is None else np.asarray(array, dtype=np.float64).ravel().round(7).tolist()


def inputs(digits: np.ndarray) -> list[tuple[str, Image.Image | np.ndarray]]:
    """Named inputs, each a grey array or an RGBA PIL image, made deterministically from MNIST test digits."""
    rng = np.random.default_rng(0)
    cases: list[tuple[str, Image.Image | np.ndarray]] = [(f"mnist_{i}", digits[i]) for i in range(6)]
    for i, (size, turn) in enumerate([((120, 90), 0), ((300, 300), 10), ((64, 200), -8), ((37, 41), 0)]):
        scan = Image.fromarray(255 - digits[10 + i]).resize((size[0] // 2, size[1] // 2), Image.Resampling.BICUBIC)
        page = Image.new("L", size, 250)
        page.paste(scan.rotate(turn, fillcolor=255), (size[0] // 4, size[1] // 4))
        cases.append((f"paper_{size[0]}x{size[1]}", np.asarray(page)))
    noisy = np.clip(np.asarray(Image.fromarray(255 - digits[20]).resize((140, 140))).astype(np.float64) * 0.6 + 90
                    + rng.normal(0, 20, (140, 140)), 0, 255).astype(np.uint8)
    cases.append(("noisy_grey_paper", noisy))
    blurred = Image.fromarray(digits[21]).resize((84, 84)).filter(ImageFilter.GaussianBlur(3))
    cases.append(("blurred_84", np.asarray(blurred)))
    low = Image.fromarray(digits[22]).resize((8, 8), Image.Resampling.BILINEAR)
    cases.append(("low_res_8", np.asarray(low)))
    for i, name in enumerate(["transparent_dark_ink", "transparent_light_ink"]):
        alpha = np.asarray(Image.fromarray(digits[30 + i]).resize((112, 112)))
        colour = (20, 40, 160) if i == 0 else (250, 240, 200)
        rgba = np.zeros((112, 112, 4), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = alpha
        cases.append((name, Image.fromarray(rgba, "RGBA")))
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    pen = ImageDraw.Draw(canvas)
    pen.line([(140, 40), (150, 240)], fill=(255, 255, 255, 255), width=20)  # a drawn 1, as the playground sends it
    cases.append(("canvas_stroke", canvas))
    stroke = np.full((300, 300), 255, np.uint8)
    stroke[40:260, 145:157] = 0  # a plain vertical line on white paper
    cases.append(("plain_stroke", stroke))
    thin = np.zeros((28, 28), np.uint8)
    thin[4:24, 14] = 200  # one pixel wide, already 28x28 white on black: passes through
    cases.append(("thin_28", thin))
    cases.append(("blank_50", np.full((50, 50), 255, np.uint8)))
    speck = np.zeros((60, 60), np.uint8)
    speck[30, 31] = 255
    cases.append(("speck_60", speck))
    return cases


def encoded_input(item: Image.Image | np.ndarray) -> dict[str, object]:
    if isinstance(item, Image.Image):
        return {"width": item.width, "height": item.height, "channels": 4, "data": b64(np.asarray(item))}
    return {"width": item.shape[1], "height": item.shape[0], "channels": 1, "data": b64(item)}


def build() -> dict[str, object]:
    """The golden cases, from the Python SDK as installed."""
    generator, encoder = Generator(MODEL, device="cpu", threads=1), Encoder(MODEL, device="cpu", threads=1)
    images, _ = load_mnist("test", os.environ.get("INFOGAN_MNIST_DIR"))
    latents = generator.latents(count=8, seed=0, digits=[0, 1, 2, 3, 4, 5, 6, 7])
    made = generator.render(latents)
    sweep = generator.traverse_latents(digit=3, code="thickness", seed=0)
    cases = inputs(images)
    read = [encoder.infer(item) for _, item in cases]
    edit_source = images[40]
    edited = generator.edit(edit_source, thickness=[-1.0, 1.0], digit=[5, 5])
    return {
        "model": MODEL, "continuous_names": list(generator.continuous_names),
        "generate": {"codes": latents.codes.ravel().tolist(), "continuous": floats(latents.continuous),
                     "noise": floats(latents.noise), "images": b64(made.images), "digits": made.digits.tolist()},
        "traverse": {"code": "thickness", "continuous": floats(sweep.continuous)},
        "infer": [{"name": name, "input": encoded_input(item), "pixels": b64(result.images),
                   "digit": int(result.digits[0]), "probabilities": floats(result.probabilities),
                   "continuous": floats(result.continuous), "realness": floats(result.realness),
                   "digit_score": floats(result.digit_score),
                   "is_digit": None if result.is_digit is None else bool(result.is_digit[0]),
                   "noise": floats(result.noise)}
                  for (name, item), result in zip(cases, read, strict=True)],
        "edit": {"input": encoded_input(edit_source), "thickness": [-1.0, 1.0], "digit": [5, 5],
                 "images": b64(edited.images), "digits": edited.digits.tolist()},
    }


def main() -> None:
    golden = build()
    OUT.write_bytes(gzip.compress(json.dumps(golden, separators=(",", ":")).encode(), mtime=0))
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB, {len(golden['infer'])} infer cases)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
