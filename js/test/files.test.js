// Node reads image files and PNG/JPEG bytes itself (src/files.js): the same reading as from the raw pixels.

import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import jpeg from "jpeg-js";
import { PNG } from "pngjs";

import { Encoder, encodePNG, Generator, InvalidInputError } from "../src/node.js";

const generator = await Generator.load(undefined, { threads: 1 });
const encoder = await Encoder.load(undefined, { threads: 1 });
const drawn = await generator.generate({ digits: [3, 8], seed: 1 });

/** A grey 28x28 image as RGBA, optionally inverted (dark ink on white paper, as a scan). */
function rgba(grey, invert = false) {
  const data = Buffer.alloc(grey.length * 4);
  grey.forEach((value, i) => data.fill(invert ? 255 - value : value, 4 * i, 4 * i + 3).writeUInt8(255, 4 * i + 3));
  return data;
}

function png(grey, colorType) {
  const image = new PNG({ width: 28, height: 28, colorType });
  image.data = rgba(grey);
  return PNG.sync.write(image, { colorType });
}

test("PNG files, grey and RGB, read exactly as their pixels", async () => {
  const folder = await mkdtemp(join(tmpdir(), "infogan-files-"));
  const paths = [join(folder, "a.png"), join(folder, "b.png")];
  await writeFile(paths[0], png(drawn.image(0), 0));
  await writeFile(paths[1], png(drawn.image(1), 2));
  const fromFiles = await encoder.infer(paths);
  const fromPixels = await encoder.infer([0, 1].map((i) => ({ width: 28, height: 28, data: drawn.image(i) })));
  assert.deepEqual(Array.from(fromFiles.digits), [3, 8]);
  assert.deepEqual(fromFiles.pixels, fromPixels.pixels);
  assert.deepEqual(fromFiles.probabilities, fromPixels.probabilities);
});

test("PNG and JPEG bytes are decoded; a JPEG scan of dark ink on paper reads as its digit", async () => {
  const bytes = png(drawn.image(0), 6);
  const scan = jpeg.encode({ width: 28, height: 28, data: rgba(drawn.image(1), true) }, 95).data;
  const read = await encoder.infer([new Uint8Array(bytes), scan]);
  assert.deepEqual(Array.from(read.digits), [3, 8]);
  assert.ok(Math.abs(read.probabilities[8 + 10] - 1) < 0.05, `the 8 reads with ${read.probabilities[18]}`);
  const edited = await generator.edit(bytes, { thickness: 1 });
  assert.equal(edited.digits[0], 3);
});

test("unreadable files and bytes are refused with the input named", async () => {
  await assert.rejects(encoder.infer(["/nonexistent/seven.png"]), (error) => error instanceof InvalidInputError && /input 0: cannot read the image file \/nonexistent\/seven.png/.test(error.message));
  const folder = await mkdtemp(join(tmpdir(), "infogan-files-"));
  await writeFile(join(folder, "notes.png"), "not an image");
  await assert.rejects(encoder.infer([png(drawn.image(0), 0), join(folder, "notes.png")]), /input 1: .*notes.png is not a PNG or JPEG file/);
  const truncated = png(drawn.image(0), 0).subarray(0, 40);
  await assert.rejects(encoder.infer(truncated), (error) => error instanceof InvalidInputError && /input 0: cannot decode the PNG image/.test(error.message));
  const huge = png(drawn.image(0), 0);
  huge.writeUInt32BE(5000, 16); // the header claims 5000 x 28 pixels... and 5000 rows
  huge.writeUInt32BE(5000, 20);
  await assert.rejects(encoder.infer(huge), /5000x5000 pixels is more than/);
});

test("encodePNG writes a grey PNG that reads back to the same pixels", async () => {
  const bytes = encodePNG({ width: 28, height: 28, data: drawn.image(1) });
  const decoded = PNG.sync.read(Buffer.from(bytes));
  assert.equal(decoded.width, 28);
  assert.deepEqual(Uint8Array.from({ length: 784 }, (_, i) => decoded.data[4 * i]), drawn.image(1));
  assert.throws(() => encodePNG({ width: 28, height: 28, data: new Uint8Array(10) }), /encodePNG: expected a grey image .* 28x28 with 10 values/);
});
