// The package in Node: onnxruntime-node, model folders read from disk, image files and PNG/JPEG bytes decoded
// (files.js). `Generator.load()` with no folder opens the default model: model/ in the npm package (npm pack copies
// it there), else the Python SDK's folder beside this package in a checkout (infogan_sdk/models/mnist).

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

import * as ort from "onnxruntime-node";

import * as core from "./core.js";
import { decodeInputs } from "./files.js";

export { encodePNG } from "./files.js";

export { CorruptModelError, IncompatibleModelError, InfoGANError, InvalidInputError } from "./errors.js";
export { Images, Reading } from "./core.js";

const PACKAGED_MODEL = fileURLToPath(new URL("../model/", import.meta.url));
export const DEFAULT_MODEL = existsSync(join(PACKAGED_MODEL, "manifest.json")) ? PACKAGED_MODEL
  : fileURLToPath(new URL("../../infogan_sdk/models/mnist/", import.meta.url));

const runtime = {
  ort,
  read: async (folder, name) => new Uint8Array(await readFile(join(folder, name))),
  readJson: async (folder, name) => JSON.parse(await readFile(join(folder, name), "utf8")),
  sha256: async (bytes) => createHash("sha256").update(bytes).digest("hex"),
  decode: decodeInputs,
  lanes: (bytes, count) => Array.from({ length: count }, () => new Lane(bytes)),
  sessionOptions: ({ threads } = {}) => ({
    executionProviders: ["cpu"], graphOptimizationLevel: "all", interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  }),
};

/** A one-thread session in a worker thread (src/lane.js): `run(feeds)` resolves to the images' Float32Array. */
class Lane {
  constructor(bytes) {
    this.worker = new Worker(new URL("./lane.js", import.meta.url), { workerData: { bytes, options: runtime.sessionOptions({ threads: 1 }) } });
    this.worker.unref(); // an idle lane never keeps the process alive
    this.waiting = new Map();
    this.next = 0;
    this.worker.on("message", ({ id, images, error }) => {
      const { resolve, reject } = this.waiting.get(id);
      this.waiting.delete(id);
      if (!this.waiting.size) this.worker.unref(); // idle again: the process may exit
      if (error) reject(new Error(error)); else resolve(images);
    });
  }

  run(feeds) {
    const id = this.next++;
    this.worker.ref(); // a call in flight keeps the process alive until it is answered
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, feeds: Object.fromEntries(Object.entries(feeds).map(([name, tensor]) => [name, [tensor.data, tensor.dims]])) });
    });
  }
}

export class Generator extends core.Generator {
  static runtime = runtime;

  /** Open a model folder's generator (default: the bundled "mnist"). options: {threads, verify}. */
  static load(folder = DEFAULT_MODEL, options = {}) {
    return super.load(folder, options);
  }
}

export class Encoder extends core.Encoder {
  static runtime = runtime;

  /** Open a model folder's encoder (default: the bundled "mnist"). options: {threads, verify}. */
  static load(folder = DEFAULT_MODEL, options = {}) {
    return super.load(folder, options);
  }
}
