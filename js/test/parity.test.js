// The JavaScript package against the Python SDK's own answers (test/golden.json.gz, written by test/golden.py):
// images within 1 grey level, codes within 1e-4, the same preprocessed pixels, digits and is_digit.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";

import { Encoder, Generator } from "../src/node.js";

const golden = JSON.parse(gunzipSync(readFileSync(new URL("golden.json.gz", import.meta.url))));
const bytes = (text) => new Uint8Array(Buffer.from(text, "base64"));
const generator = await Generator.load(undefined, { threads: 1 });
const encoder = await Encoder.load(undefined, { threads: 1 });

function input({ width, height, channels, data }) {
  const values = bytes(data);
  return channels === 4 ? { width, height, data: new Uint8ClampedArray(values) } : { width, height, data: values };
}

function assertClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0, where = -1;
  for (let i = 0; i < expected.length; i += 1) {
    const gap = Math.abs(actual[i] - expected[i]);
    if (!(gap <= worst)) { worst = gap; where = i; }
  }
  assert.ok(worst <= tolerance, `${what}: worst gap ${worst} at ${where} (${actual[where]} vs ${expected[where]}) > ${tolerance}`);
  return worst;
}

test("explicit latents draw the Python SDK's images within 1 grey level", async () => {
  const { codes, continuous, noise, images, digits } = golden.generate;
  const made = await generator.render({ count: digits.length, codes: Int32Array.from(codes), continuous: Float32Array.from(continuous), noise: Float32Array.from(noise) });
  assertClose(made.pixels, bytes(images), 1, "images");
  assert.deepEqual(Array.from(made.digits), digits);
});

test("generate() with named codes feeds the turned basis as Python does", async () => {
  const { codes, continuous, noise, images } = golden.generate;
  const names = golden.continuous_names, k = names.length;
  const asNamed = Object.fromEntries(names.map((name, j) => [name, continuous.filter((_, i) => i % k === j)]));
  const rows = Array.from({ length: codes.length }, (_, i) => noise.slice(i * 62, (i + 1) * 62));
  const made = await generator.generate({ digits: codes, continuous: asNamed, noise: rows });
  assertClose(made.pixels, bytes(images), 1, "images");
});

test("traverse sweeps the code over the same values as Python", async () => {
  const { traverseLatents } = await import("../src/latents.js");
  const latents = traverseLatents(generator, { digit: 3, code: golden.traverse.code, seed: 0 });
  assertClose(latents.continuous, golden.traverse.continuous, 1e-6, "sweep");  // golden floats carry 7 decimals
});

for (const case_ of golden.infer) {
  test(`infer ${case_.name}: the Python SDK's pixels, digit and codes`, async () => {
    const read = await encoder.infer(input(case_.input));
    assertClose(read.pixels, bytes(case_.pixels), 0, "preprocessed pixels");
    assert.equal(read.digits[0], case_.digit);
    assertClose(read.probabilities, case_.probabilities, 1e-4, "probabilities");
    assertClose(read.continuous, case_.continuous, 1e-4, "continuous");
    assertClose(read.realness, case_.realness, 1e-4, "realness");
    assertClose(read.digitScore, case_.digit_score, 1e-4, "digit score");
    assert.equal(read.isDigit[0], case_.is_digit);
    assertClose(read.noise, case_.noise, 1e-4, "noise");
  });
}

test("edit redraws a digit with its codes changed as Python does", async () => {
  const { input: source, thickness, digit, images, digits } = golden.edit;
  const edited = await generator.edit(input(source), { thickness, digit });
  assertClose(edited.pixels, bytes(images), 1, "edited images");
  assert.deepEqual(Array.from(edited.digits), digits);
});
