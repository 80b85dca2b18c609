// The package in a browser: onnxruntime-web (WebAssembly, one thread unless the page is cross-origin isolated),
// model folders fetched from a URL. Nothing is fetched but the folder's own files and onnxruntime-web's, which the
// page's import map points at (see `infogan export-web`).

import * as ort from "onnxruntime-web";

import * as core from "./core.js";

export { CorruptModelError, IncompatibleModelError, InfoGANError, InvalidInputError } from "./errors.js";
export { Images, Reading } from "./core.js";

async function fetched(folder, name) {
  const url = new URL(name, new URL(String(folder).endsWith("/") ? folder : `${folder}/`, globalThis.location?.href));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response;
}

const runtime = {
  ort,
  read: async (folder, name) => new Uint8Array(await (await fetched(folder, name)).arrayBuffer()),
  readJson: async (folder, name) => (await fetched(folder, name)).json(),
  sha256: async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (byte) => byte.toString(16).padStart(2, "0")).join(""),
  sessionOptions: () => ({ executionProviders: ["wasm"], graphOptimizationLevel: "all" }),
};

export class Generator extends core.Generator {
  static runtime = runtime;
}

export class Encoder extends core.Encoder {
  static runtime = runtime;
}

/** onnxruntime-web's settings (where its .wasm files are, threads), before the first model loads. */
export const env = ort.env;
