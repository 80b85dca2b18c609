// The package in Node: onnxruntime-node, model folders read from disk. `Generator.load()` with no folder opens
// the default model bundled with the Python SDK beside this package (infogan_sdk/models/mnist).

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import * as ort from "onnxruntime-node";

import * as core from "./core.js";

export { CorruptModelError, IncompatibleModelError, InfoGANError, InvalidInputError } from "./errors.js";
export { Images, Reading } from "./core.js";

export const DEFAULT_MODEL = fileURLToPath(new URL("../../infogan_sdk/models/mnist/", import.meta.url));

const runtime = {
  ort,
  read: async (folder, name) => new Uint8Array(await readFile(join(folder, name))),
  readJson: async (folder, name) => JSON.parse(await readFile(join(folder, name), "utf8")),
  sha256: async (bytes) => createHash("sha256").update(bytes).digest("hex"),
  lanes: true, // onnxruntime-node runs each session's calls off the main thread: several can run at once
  sessionOptions: ({ threads } = {}) => ({
    executionProviders: ["cpu"], graphOptimizationLevel: "all", interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  }),
};

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
