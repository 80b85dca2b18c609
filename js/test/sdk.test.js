// The package's own behaviour: seeds, argument checks and their errors, model loading and its refusals.

import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { CorruptModelError, DEFAULT_MODEL, Encoder, Generator, IncompatibleModelError, InvalidInputError } from "../src/node.js";
import { Random } from "../src/random.js";

const PINNED_UINT32 = [3809008728, 1133695204, 53579671];
const PINNED_42 = [1.1226591822802086, 0.9491474351894811, 0.0791056456144914, 6];
const assertNear = (actual, expected) => actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-12, `${value} vs ${expected[i]}`));
const generator = await Generator.load(undefined, { threads: 1 });
const encoder = await Encoder.load(undefined, { threads: 1 });

test("a seed gives the same latents and images every time, another seed others", async () => {
  const a = await generator.generate({ count: 4, seed: 7 });
  const b = await generator.generate({ count: 4, seed: 7 });
  const c = await generator.generate({ count: 4, seed: 8 });
  assert.deepEqual(a.pixels, b.pixels);
  assert.deepEqual(a.noise, b.noise);
  assert.notDeepEqual(a.noise, c.noise);
  // the scheme is part of the package's contract (docs/javascript.md: seeds): its first draws are pinned
  const random = new Random(0);
  assert.deepEqual([random.next(), random.next(), random.next()], PINNED_UINT32);
  const other = new Random(42);
  assertNear([other.normal(), other.normal(), other.uniform(), other.integer(10)], PINNED_42);
});

test("the seeded draws are uniform and normal as documented", () => {
  const random = new Random(123);
  const n = 20000;
  const uniforms = Array.from({ length: n }, () => random.uniform());
  const normals = Array.from({ length: n }, () => random.normal());
  const digits = Array.from({ length: n }, () => random.integer(10));
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean(uniforms) - 0.5) < 0.01 && Math.min(...uniforms) >= 0 && Math.max(...uniforms) < 1);
  assert.ok(Math.abs(mean(normals)) < 0.03 && Math.abs(mean(normals.map((x) => x * x)) - 1) < 0.05);
  for (let d = 0; d < 10; d += 1) assert.ok(Math.abs(digits.filter((x) => x === d).length / n - 0.1) < 0.01, `digit ${d}`);
});

test("digits are drawn as asked and read back", async () => {
  const made = await generator.generate({ digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed: 0 });
  assert.deepEqual(Array.from(made.digits), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const read = await encoder.infer(Array.from({ length: 10 }, (_, i) => ({ width: 28, height: 28, data: made.image(i) })));
  assert.deepEqual(Array.from(read.digits), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(read.isDigit.filter(Boolean).length, 10);
  const bare = await encoder.infer(Array.from({ length: 10 }, (_, i) => made.image(i)));  // bare 28x28 Uint8Arrays
  assert.deepEqual(Array.from(bare.digits), Array.from(read.digits));
  await assert.rejects(encoder.infer(new Uint8Array(700)), /a bare Uint8Array must hold a square grey image/);
  for (let d = 0; d < 10; d += 1) {  // the same digit, noise and other codes, thickness alone changed
    const thick = await generator.traverse({ digit: d, code: "thickness", values: [-1.5, 1.5], seed: d, beyondRange: true });
    const ink = (i) => thick.image(i).reduce((sum, value) => sum + value, 0);
    assert.ok(ink(1) > 1.15 * ink(0), `digit ${d}: thickness +1.5 should draw more ink than -1.5: ${ink(1)} vs ${ink(0)}`);
  }
});

test("bad arguments are refused with what was expected and what arrived", async () => {
  await assert.rejects(generator.generate({ digits: [3, 12] }), (error) => error instanceof InvalidInputError && /from 0 to 9, got \[12\]/.test(error.message));
  await assert.rejects(generator.generate({ digits: [1, 2], rotation: [0, 1, 2] }), /batch lengths disagree/);
  await assert.rejects(generator.generate({ slant: 1 }), /unknown option\(s\) \["slant"\]/);
  await assert.rejects(generator.generate({ continuous: { spin: 1 } }), /no continuous code named "spin"/);
  await assert.rejects(generator.generate({ noise: [[1, 2]] }), /noise must have 62 values per image/);
  await assert.rejects(generator.generate({ rotation: Number.NaN }), /finite/);
  await assert.rejects(generator.generate({ count: 0 }), /count must be an integer from 1/);
  await assert.rejects(generator.generate({ seed: -1 }), /seed must be a non-negative integer/);
  await assert.rejects(encoder.infer([]), /at least one image/);
  await assert.rejects(encoder.infer({ width: 3, height: 3, data: new Uint8Array(5) }), /input 0: a 3x3 image needs 9 grey or 36 RGBA values, got 5/);
  await assert.rejects(encoder.infer(7), /input 0: expected ImageData, a canvas or a grey image/);
  await assert.rejects(encoder.infer("seven.png"), /input 0: cannot read the image file seven.png/); // Node: a path
  await assert.rejects(encoder.infer({ width: 5000, height: 5000, data: new Uint8Array(1) }), /more than the 16777216 allowed/);
  await assert.rejects(encoder.infer({ width: 30, height: 30, data: new Uint8Array(900) }, { preprocess: "none" }), /needs 28x28/);
});

test("codes outside the trained range are refused unless beyondRange, and drawn ones stay inside it", async () => {
  const range = /outside the range this model was trained on, \[-1.4089, 1.4089\]: give values from -1.4089 to 1.4089, or ask to go beyond it with beyondRange: true/;
  await assert.rejects(generator.generate({ thickness: 5 }), (error) => error instanceof InvalidInputError && /^thickness=5 /.test(error.message) && range.test(error.message));
  assert.deepEqual(generator.continuousCodes.map((code) => code.range), [[-1, 1], [-1.4089, 1.4089], [-1.4089, 1.4089]]);  // as Python's
  await assert.rejects(generator.generate({ rotation: 3 }), /^InvalidInputError: rotation=3 /);
  await assert.rejects(generator.generate({ continuous: [[5, 0, 0]] }), /^InvalidInputError: width=5 is outside/);
  await assert.rejects(generator.generate({ continuous: { rotation: [0.5, -1.5] }, count: 2 }), /rotation=-1.5 is outside/);
  await assert.rejects(generator.traverse({ code: "thickness", values: [-3, 0] }), /thickness=-3 is outside/);
  await assert.rejects(generator.generate({ rotation: 0.5, beyondRange: "yes" }), /beyondRange must be true or false, got "yes"/);
  const beyond = await generator.generate({ thickness: 5, beyondRange: true, seed: 1 });
  assert.equal(beyond.continuous[2], 5);
  const swept = await generator.traverse({ digit: 3, code: "thickness", seed: 0 });  // the default sweep: -2..2
  assert.equal(Math.min(...swept.continuous.filter((_, i) => i % 3 === 2)), -2);
  // rotation and thickness are turned codes: drawn from the network's square, they reach 1.41, inside their range
  const drawn = generator.latents({ count: 3000, seed: 5 });
  const ranges = generator.continuousCodes.map((code) => code.range);
  assert.ok(drawn.continuous.every((value, i) => value >= ranges[i % 3][0] && value <= ranges[i % 3][1]), "a drawn code left its range");
  assert.ok(drawn.continuous.some((value, i) => i % 3 === 2 && Math.abs(value) > 1.3));
  await generator.generate({ continuous: Array.from({ length: 8 }, (_, i) => Array.from(drawn.continuous.subarray(3 * i, 3 * i + 3))) });  // taken back
  const seven = (await generator.generate({ digits: 7, seed: 0 })).image(0);
  await assert.rejects(generator.edit(seven, { width: 3 }), /changing width by \+3 moves it further than the range this model was trained on, \[-1, 1\], is wide \(2\)/);
  await assert.rejects(generator.edit(seven, { thickness: 3 }), /changing thickness by \+3 .* is wide \(2.8178\)/);
  assert.equal((await generator.edit(seven, { width: 3, beyondRange: true })).count, 1);
});

test("a misspelt code name gets a suggestion", async () => {
  await assert.rejects(generator.generate({ continuous: { rotaton: 1 } }), /no continuous code named "rotaton" \(did you mean "rotation"\?\); its codes are/);
  await assert.rejects(generator.traverse({ code: "thicknes" }), /got "thicknes" \(did you mean "thickness"\?\)/);
  await assert.rejects(generator.generate({ continuous: { spin: 1 } }), (error) => !/did you mean/.test(error.message));
});

test("a damaged or foreign model folder is refused, naming the problem", async () => {
  const folder = await mkdtemp(join(tmpdir(), "infogan-js-"));
  await cp(DEFAULT_MODEL, folder, { recursive: true });
  const onnx = await readFile(join(folder, "encoder.onnx"));
  onnx[onnx.length - 1] ^= 1;
  await writeFile(join(folder, "encoder.onnx"), onnx);
  await assert.rejects(Encoder.load(folder), (error) => error instanceof CorruptModelError && /encoder.onnx has sha256 [0-9a-f]{64}, the manifest says/.test(error.message));
  const manifest = JSON.parse(await readFile(join(folder, "manifest.json"), "utf8"));
  await writeFile(join(folder, "manifest.json"), JSON.stringify({ ...manifest, format_version: 99 }));
  await assert.rejects(Generator.load(folder), (error) => error instanceof IncompatibleModelError && /version 99/.test(error.message));
  await assert.rejects(Generator.load(join(folder, "missing")), (error) => error instanceof CorruptModelError && /cannot read manifest.json/.test(error.message));
});

test("big batches run in lanes with threads >= 2 and draw the same images", async () => {
  const laned = await Generator.load(undefined, { threads: 2 });
  const [a, b] = [await generator.generate({ count: 300, seed: 3 }), await laned.generate({ count: 300, seed: 3 })];
  assert.deepEqual(b.pixels, a.pixels);
  assert.equal(laned.lanes.length, 2);  // opened by the first batch of 128 or more
  assert.equal(generator.lanes, undefined);  // one thread: one session
});
