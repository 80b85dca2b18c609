// The playground's in-browser backend (what `infogan export-web` puts beside the page): the same requests app.js
// sends to `infogan serve`, answered in the page by the JavaScript package on onnxruntime-web, in the service's
// JSON shapes. Nothing leaves the browser; the model folder and onnxruntime-web come from the static folder.

import { Encoder, Generator, env } from "infogan-sdk";

const FOLDER = new URL("model/", document.baseURI); // the one model the folder was exported with
env.wasm.wasmPaths = new URL("ort/", document.baseURI).href;
env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

const ready = Promise.all([Generator.load(FOLDER), Encoder.load(FOLDER)])
  .then(([generator, encoder]) => ({ generator, encoder, name: generator.info.name ?? "model" }));

/** uint8 grey images laid out in one row (GenerateResult.grid: 2 px of black around and between cells) -> PNG. */
async function png(images, indices, asBlob) {
  const { height, width } = images, pad = 2;
  const canvas = new OffscreenCanvas(indices.length * (width + pad) + pad, height + 2 * pad);
  const pen = canvas.getContext("2d");
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, canvas.width, canvas.height);
  const single = indices.length === 1 && !asBlob;
  const target = single ? new OffscreenCanvas(width, height) : canvas;
  indices.forEach((i, column) => {
    target.getContext("2d").putImageData(new ImageData(images.rgba(i), width, height), single ? 0 : pad + column * (width + pad), single ? 0 : pad);
  });
  const blob = await target.convertToBlob({ type: "image/png" });
  if (asBlob) return blob;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** A data: URL (what app.js sends for the canvas) -> ImageData, decoded by the browser. */
async function decoded(dataUrl) {
  const bitmap = await createImageBitmap(await (await fetch(dataUrl)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const pen = canvas.getContext("2d");
  pen.drawImage(bitmap, 0, 0);
  return pen.getImageData(0, 0, bitmap.width, bitmap.height);
}

const named = (names, values, i) => Object.fromEntries(names.map((name, j) => [name, values[i * names.length + j]]));

function describe({ generator, encoder, name }) {
  const [low, high] = generator.spec.continuousRange;
  return {
    name, description: generator.info.description ?? "", device: "browser (onnxruntime-web, wasm)",
    digits: [...generator.codeToDigit].sort((a, b) => a - b), code_to_digit: generator.codeToDigit,
    continuous: generator.continuousCodes.map((code) => ({ name: code.name, index: code.index, range: code.range, default: (low + high) / 2, sweep: code.sweep })),
    can_edit: encoder.hasNoise,
  };
}

async function generated(images) {
  return Promise.all(Array.from({ length: images.count }, async (_, i) => ({
    png: await png(images, [i]), digit: images.digits[i], continuous: named(images.continuousNames, images.continuous, i),
  })));
}

const routes = {
  "/v1/models": async (loaded) => ({ default: loaded.name, models: [describe(loaded)] }),
  "/v1/generate": async ({ generator, name }, body) => {
    const made = await generator.generate({ digits: body.digits, count: body.count, seed: body.seed, continuous: body.continuous, beyondRange: body.beyond_range });
    window.infoganLocal.last = made; // what the page drew last: its latents, for the browser test
    return { model: name, images: await generated(made) };
  },
  "/v1/traverse": async ({ generator }, body) => {
    const swept = await generator.traverse({ digit: body.digit, code: body.code, seed: body.seed, values: body.values, beyondRange: body.beyond_range });
    return png(swept, Array.from({ length: swept.count }, (_, i) => i), true);
  },
  "/v1/infer": async ({ encoder, name }, body) => {
    const read = await encoder.infer(await Promise.all(body.images.map(decoded)));
    // realness only when asked for, as the service answers (deprecated in the bundled models)
    return { model: name, results: read.toRecords().map(({ realness, ...record }) => ({ ...record, is_digit: record.isDigit, ...(body.realness ? { realness } : {}) })) };
  },
  "/v1/edit": async ({ generator, name }, body) => {
    const images = await Promise.all(body.images.map(decoded));
    const edited = await generator.edit(images, { digit: body.digit, continuous: body.continuous, beyondRange: body.beyond_range });
    const redrawn = await generator.reconstruct(images);
    const sources = await Promise.all(Array.from({ length: edited.source.count }, async (_, i) => ({
      png: await png(edited.source, [i]), digit: edited.source.digits[i],
      continuous: named(edited.source.continuousNames, edited.source.continuous, i),
      reconstruction: await png(redrawn, [i]), reconstruction_error: redrawn.reconstructionError[i],
    })));
    return { model: name, images: await generated(edited), sources };
  },
};

/** app.js's api(path, body, wantPng), answered here: JSON-shaped objects, or a PNG Blob for traverse. */
window.infoganLocal = async (path, body) => {
  const route = routes[path.split("?")[0]];
  if (!route) throw new Error(`not_found: ${path} is not served in the browser`);
  try {
    return await route(await ready, body ?? {});
  } catch (error) {
    throw new Error(`${error.name}: ${error.message}`);
  }
};
window.infoganLocal.ready = ready;
