"""Bit-exactness check of js/src/pillow.js against the installed Pillow.

Run from the repository root:  python js/test/pillow_check.py

It builds deterministic grey ("L") test images (noise, smooth gradients, thin
strokes, 0/255 checkerboards, impulses, constants), computes the reference
outputs with Pillow:

  * Image.fromarray(a).resize((w, H), LANCZOS).resize((w, h), LANCZOS): across, then down,
    as the Python SDK resizes (infogan_sdk/images/preprocess.py _fit_box) with every Pillow
  * Image.fromarray(a).filter(ImageFilter.MedianFilter(3))

writes inputs and references to a temporary JSON file, runs `node` on a small
ES-module harness that applies resizeLanczos / medianFilter3 from
js/src/pillow.js, and compares the outputs byte for byte. It prints the number
of cases and mismatches and exits non-zero on any mismatch (or if node fails).

"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import PIL
from PIL import Image, ImageFilter

JS_MODULE = (Path(__file__).resolve().parent.parent / "src" / "pillow.js").resolve()

# The harness: read cases, apply the JS port, write outputs (base64) back.
# Comparison is done in Python so the JS side cannot grade its own work.
HARNESS = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [modulePath, inPath, outPath] = process.argv.slice(2);
const { resizeLanczos, medianFilter3 } = await import(pathToFileURL(modulePath).href);
const spec = JSON.parse(readFileSync(inPath, 'utf8'));
const results = [];
for (const c of spec.cases) {
  const image = {
    width: c.width,
    height: c.height,
    data: new Uint8Array(Buffer.from(c.data, 'base64')),
  };
  let out;
  try {
    if (c.op === 'resize') {
      out = resizeLanczos(image, c.newWidth, c.newHeight);
    } else if (c.op === 'median3') {
      out = medianFilter3(image);
    } else {
      throw new Error(`unknown op ${c.op}`);
    }
    results.push({
      id: c.id,
      width: out.width,
      height: out.height,
      data: Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength).toString('base64'),
    });
  } catch (err) {
    results.push({ id: c.id, error: String(err && err.stack || err) });
  }
}
writeFileSync(outPath, JSON.stringify(results));
"""


# ---------------------------------------------------------------------------
# Deterministic test images
# ---------------------------------------------------------------------------


def img_noise(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    return rng.randint(0, 256, size=(h, w)).astype(np.uint8)


def img_gradient(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    """Smooth ramps plus a soft radial blob, random orientation and range."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a, b = rng.uniform(-1, 1, size=2)
    ramp = a * x / max(w, 1) + b * y / max(h, 1)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r2 = ((x - cx) ** 2 + (y - cy) ** 2) / (max(w, h) ** 2 / 4 + 1e-9)
    v = ramp + 0.8 * np.exp(-r2)
    v = (v - v.min()) / (np.ptp(v) + 1e-12)
    lo, hi = sorted(rng.uniform(0, 255, size=2))
    return np.clip(np.round(lo + v * (hi - lo)), 0, 255).astype(np.uint8)


def img_strokes(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    """Dark background with 1-2 px bright lines and a ring (MNIST-like strokes)."""
    a = np.zeros((h, w), np.uint8)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    for _ in range(rng.randint(1, 5)):
        x0, x1 = rng.uniform(0, w, size=2)
        y0, y1 = rng.uniform(0, h, size=2)
        dx, dy = x1 - x0, y1 - y0
        n = np.hypot(dx, dy) + 1e-9
        dist = np.abs(dy * (x - x0) - dx * (y - y0)) / n
        a[dist < rng.uniform(0.5, 1.5)] = rng.randint(128, 256)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    rad = rng.uniform(1, max(w, h) / 2 + 1)
    ring = np.abs(np.hypot(x - cx, y - cy) - rad) < 0.7
    a[ring] = 255
    return a


def img_checker(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    """0/255 checkerboard of random cell size: maximal Lanczos overshoot/clipping."""
    cell = rng.randint(1, 4)
    y, x = np.mgrid[0:h, 0:w]
    return (((x // cell + y // cell) % 2) * 255).astype(np.uint8)


def img_impulse(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    a = np.full((h, w), rng.choice([0, 255]), np.uint8)
    a[rng.randint(h), rng.randint(w)] = 255 - a[0, 0]
    return a


def img_salt_pepper(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    """Mostly-constant image with 0/255 specks: many ties inside median windows."""
    a = np.full((h, w), rng.randint(0, 256), np.uint8)
    m = rng.uniform(size=(h, w))
    a[m < 0.15] = 0
    a[m > 0.85] = 255
    return a


def img_constant(rng: np.random.RandomState, w: int, h: int) -> np.ndarray:
    return np.full((h, w), rng.choice([0, 1, 128, 254, 255]), np.uint8)


KINDS = {
    "noise": img_noise,
    "gradient": img_gradient,
    "strokes": img_strokes,
    "checker": img_checker,
    "impulse": img_impulse,
    "saltpepper": img_salt_pepper,
    "constant": img_constant,
}
KIND_NAMES = sorted(KINDS)


def make_image(rng: np.random.RandomState, kind: str, w: int, h: int) -> np.ndarray:
    a = KINDS[kind](rng, w, h)
    assert a.shape == (h, w) and a.dtype == np.uint8
    return a


# ---------------------------------------------------------------------------
# Case lists
# ---------------------------------------------------------------------------


# Content used for each of the hand-picked resize sizes below.
FIXED_KINDS = ("noise", "gradient", "strokes", "checker")


def fixed_resize_specs() -> list[tuple[int, int, int, int]]:
    """Hand-picked (w, h, new_w, new_h) edge cases; each is run with FIXED_KINDS."""
    return [
        # large downscales, named in the brief and typical of MNIST-style use
        (280, 280, 20, 20), (280, 280, 28, 28), (300, 12, 20, 1), (300, 200, 20, 20),
        (300, 200, 28, 28), (300, 200, 1, 1), (200, 300, 7, 3), (299, 199, 13, 17),
        (256, 256, 3, 3), (300, 1, 1, 1), (1, 200, 1, 1), (280, 280, 1, 20),
        # upscales
        (3, 3, 20, 20), (1, 1, 20, 20), (1, 1, 1, 7), (2, 2, 300, 200), (3, 5, 28, 28),
        (20, 20, 280, 280), (28, 28, 300, 200), (7, 1, 300, 3),
        # same size (Image.resize returns a copy)
        (1, 1, 1, 1), (28, 28, 28, 28), (300, 200, 300, 200), (5, 1, 5, 1), (1, 9, 1, 9),
        # one axis unchanged (single pass in ImagingResampleInner)
        (300, 200, 300, 20), (300, 200, 20, 200), (28, 28, 28, 5), (28, 28, 64, 28),
        (1, 50, 1, 10), (50, 1, 10, 1),
        # mixed: shrink one axis, grow the other
        (300, 12, 20, 40), (12, 300, 40, 20), (28, 280, 280, 28),
        # tall images (height > 100 * width): newer Pillows resize vertically first
        (1, 150, 1, 20), (1, 150, 4, 30), (2, 250, 1, 20), (2, 201, 3, 10),
        (1, 300, 20, 20), (2, 300, 5, 299), (1, 101, 2, 100), (3, 300, 9, 7),
        (3, 301, 1, 300),
    ]


def swept_resize_specs(rng: np.random.RandomState) -> list[tuple[int, int, int, int]]:
    """(w, h, new_w, new_h) tuples from axis sweeps and random sizes."""
    specs: list[tuple[int, int, int, int]] = []
    # Horizontal-only sweep: every input width 1..40 against a set of outputs
    # (exercises precompute_coeffs for many scale factors, cheap 3-row images).
    for w in range(1, 41):
        for nw in (1, 2, 3, 5, 7, 13, 20, 28, 41, 64):
            specs.append((w, 3, nw, 3))
    # Vertical-only sweep, a little sparser.
    for h in range(1, 41, 3):
        for nh in (1, 4, 11, 20, 57):
            specs.append((3, h, 3, nh))
    # Around Pillow 13's pass-order switch (vertical first iff the height
    # shrinks by more than twice what the width shrinks): on, at and off the
    # boundary h - nh == 2 * (w - nw). Both orders give different bytes here,
    # so a wrong order rule shows up as mismatches.
    for _ in range(40):
        w, h = rng.randint(2, 120), rng.randint(10, 200)
        nw = rng.randint(max(1, w - (h - 2) // 2), w + 30)
        for d in (-1, 0, 1):
            nh = h - 2 * (w - nw) + d
            if 1 <= nh and nw != w and nh != h:
                specs.append((w, h, nw, nh))
    # Random sizes up to 300x200 in, 1..300 out.
    for _ in range(150):
        w, h = rng.randint(1, 301), rng.randint(1, 201)
        nw, nh = rng.randint(1, 301), rng.randint(1, 301)
        specs.append((w, h, nw, nh))
    # Random big-factor downscales.
    for _ in range(40):
        w, h = rng.randint(100, 301), rng.randint(100, 201)
        nw, nh = rng.randint(1, 29), rng.randint(1, 29)
        specs.append((w, h, nw, nh))
    return specs


def median_specs(rng: np.random.RandomState) -> list[tuple[int, int]]:
    specs = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (1, 50), (50, 1), (2, 40),
             (40, 2), (3, 1), (1, 3), (28, 28), (300, 200), (200, 300)]
    for _ in range(60):
        specs.append((rng.randint(1, 301), rng.randint(1, 201)))
    return specs


def to_pil(a: np.ndarray) -> Image.Image:
    im = Image.fromarray(a)
    assert im.mode == "L", im.mode
    return im


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def build_cases() -> list[dict]:
    rng = np.random.RandomState(20240611)
    cases: list[dict] = []
    resize_jobs = [(kind, spec) for spec in fixed_resize_specs() for kind in FIXED_KINDS]
    resize_jobs += [
        (KIND_NAMES[i % len(KIND_NAMES)], spec)
        for i, spec in enumerate(swept_resize_specs(rng))
    ]
    for kind, (w, h, nw, nh) in resize_jobs:
        a = make_image(rng, kind, w, h)
        across = to_pil(a).resize((nw, a.shape[0]), Image.Resampling.LANCZOS)
        ref = np.asarray(across.resize((nw, nh), Image.Resampling.LANCZOS))
        cases.append({
            "id": f"resize#{len(cases)} {kind} {w}x{h}->{nw}x{nh}", "op": "resize",
            "width": w, "height": h, "newWidth": nw, "newHeight": nh,
            "data": b64(a), "expect": ref,
        })
    for i, (w, h) in enumerate(median_specs(rng)):
        kind = KIND_NAMES[i % len(KIND_NAMES)]
        a = make_image(rng, kind, w, h)
        ref = np.asarray(to_pil(a).filter(ImageFilter.MedianFilter(3)))
        cases.append({
            "id": f"median3#{len(cases)} {kind} {w}x{h}", "op": "median3",
            "width": w, "height": h, "data": b64(a), "expect": ref,
        })
    return cases


def main() -> int:
    if not JS_MODULE.is_file():
        print(f"missing {JS_MODULE}", file=sys.stderr)
        return 2
    cases = build_cases()
    spec = {
        "cases": [{k: v for k, v in c.items() if k != "expect"} for c in cases],
    }
    with tempfile.TemporaryDirectory(prefix="pillow_check_") as tmp:
        tmp_path = Path(tmp)
        harness = tmp_path / "harness.mjs"
        harness.write_text(HARNESS)
        in_path, out_path = tmp_path / "cases.json", tmp_path / "out.json"
        in_path.write_text(json.dumps(spec))
        proc = subprocess.run(
            ["node", str(harness), str(JS_MODULE), str(in_path), str(out_path)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, sep="\n", file=sys.stderr)
            print(f"node exited with {proc.returncode}", file=sys.stderr)
            return 2
        results = {r["id"]: r for r in json.loads(out_path.read_text())}

    counts = {"resize": [0, 0], "median3": [0, 0]}  # op -> [cases, mismatches]
    for c in cases:
        counts[c["op"]][0] += 1
        r = results.get(c["id"])
        exp = c["expect"]
        problem = None
        if r is None:
            problem = "no result"
        elif "error" in r:
            problem = "JS error: " + r["error"].splitlines()[0]
        elif (r["height"], r["width"]) != exp.shape:
            problem = f"size {r['width']}x{r['height']} != {exp.shape[1]}x{exp.shape[0]}"
        else:
            got = np.frombuffer(base64.b64decode(r["data"]), np.uint8).reshape(exp.shape)
            if not np.array_equal(got, exp):
                diff = np.abs(got.astype(int) - exp.astype(int))
                problem = f"{int((diff > 0).sum())} px differ, max |diff| {int(diff.max())}"
        if problem:
            counts[c["op"]][1] += 1
            print(f"MISMATCH {c['id']}: {problem}")

    print(f"Pillow {PIL.__version__}, numpy {np.__version__}")
    total_bad = 0
    for op, (n, bad) in counts.items():
        print(f"{op}: {n} cases, {bad} mismatches")
        total_bad += bad
    print("OK: byte-identical" if total_bad == 0 else f"FAILED: {total_bad} mismatching cases")
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
