// A model folder's manifest.json, read and checked as the Python SDK reads it (infogan_sdk/loading/manifest.py
// and codebook.py): the latent spec, the files and their sha256, the ONNX inputs and outputs, the code-to-digit
// map, the continuous codes (names, directions, turned axes) and the not-a-digit threshold.

import { CorruptModelError, IncompatibleModelError, shown } from "./errors.js";

export const FORMAT = "infogan-sdk-model";
export const FORMAT_VERSION = 1;
const ORTHONORMAL_TOLERANCE = 1e-4; // axes are stored as JSON decimals

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const isInteger = (value) => Number.isInteger(value);

/** The checked manifest: {data, spec, codeToDigit, codes, basis, digitThreshold}. */
export function readManifest(data, where) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new CorruptModelError(`${where}: manifest.json must hold a JSON object, got ${shown(data)}`);
  }
  if (data.format !== FORMAT || data.format_version !== FORMAT_VERSION) {
    throw new IncompatibleModelError(`${where}: expected format ${FORMAT} version ${FORMAT_VERSION}, got `
      + `${shown(data.format)} version ${shown(data.format_version)}`);
  }
  const spec = readSpec(data.spec, where);
  const codeToDigit = readCodeToDigit(data.code_to_digit, spec, where);
  const codes = readCodes(data.continuous_codes, spec, where);
  return { data, spec, codeToDigit, codes, basis: codeBasis(codes), digitThreshold: data.not_a_digit?.threshold ?? null };
}

function readSpec(spec, where) {
  const problem = (text) => new IncompatibleModelError(`${where}: spec.${text}, got ${shown(spec)}`);
  if (spec === null || typeof spec !== "object") throw problem("must be an object");
  const { noise_size: noiseSize, categorical_sizes: categoricalSizes, n_continuous: nContinuous } = spec;
  if (!isInteger(noiseSize) || noiseSize < 0) throw problem("noise_size must be an integer >= 0");
  if (!Array.isArray(categoricalSizes) || !categoricalSizes.every((size) => isInteger(size) && size >= 2)) {
    throw problem("categorical_sizes must be integers >= 2");
  }
  if (!isInteger(nContinuous) || nContinuous < 0) throw problem("n_continuous must be an integer >= 0");
  for (const name of ["continuous_range", "pixel_range"]) {
    const range = spec[name];
    if (!Array.isArray(range) || range.length !== 2 || !range.every(isNumber) || !(range[0] < range[1])) {
      throw problem(`${name} must be [low, high] with low < high`);
    }
  }
  const shape = spec.image_shape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape[0] !== 1 || !shape.every((side) => isInteger(side) && side >= 1)) {
    throw problem("image_shape must be [1, height, width]");
  }
  if (!["normal", "uniform"].includes(spec.noise_distribution ?? "normal")) {
    throw problem("noise_distribution must be normal or uniform");
  }
  const categoricalSize = categoricalSizes.reduce((sum, size) => sum + size, 0);
  return {
    noiseSize, categoricalSizes, categoricalSize, nContinuous,
    continuousRange: spec.continuous_range, pixelRange: spec.pixel_range,
    height: shape[1], width: shape[2], noiseDistribution: spec.noise_distribution ?? "normal",
    // the generator's ONNX inputs, in the contract's order (infogan_sdk/spec.py generator_inputs)
    generatorInputs: [["noise", noiseSize], ["categorical", categoricalSize], ["continuous", nContinuous]]
      .filter(([name, width]) => name === "noise" || width > 0),
  };
}

function readCodeToDigit(map, spec, where) {
  if (!spec.categoricalSizes.length) return [];
  const size = spec.categoricalSizes[0];
  const mapping = map ?? [...Array(size).keys()];
  if (!Array.isArray(mapping) || mapping.length !== size || new Set(mapping).size !== size
      || !mapping.every((digit) => isInteger(digit) && digit >= 0 && digit < size)) {
    throw new IncompatibleModelError(`${where}: code_to_digit must be a permutation of 0..${size - 1}, got ${shown(map)}`);
  }
  return mapping;
}

/** The values the trained prior gives a code (codebook.py ContinuousCode.range): the spec's range, or for a turned
 * axis (one mixing several network inputs) wider, to the square's corners, outward to 4 decimals. */
function codeRange([low, high], axis) {
  const middle = (low + high) / 2, half = (high - low) / 2, reach = axis.reduce((sum, value) => sum + Math.abs(value), 0);
  if (reach <= 1) return [low, high];
  return [Math.floor((middle - half * reach) * 1e4) / 1e4, Math.ceil((middle + half * reach) * 1e4) / 1e4];
}

function readCodes(entries, spec, where) {
  const n = spec.nContinuous;
  const list = entries ?? [...Array(n).keys()].map((index) => ({ name: `c${index}` }));
  if (!Array.isArray(list) || list.length !== n) {
    throw new IncompatibleModelError(`${where}: continuous_codes must be a list of ${n} objects, got ${shown(entries)}`);
  }
  const codes = list.map((entry, index) => {
    const axis = entry.axis ?? [...Array(n).keys()].map((column) => (column === index ? 1 : 0));
    const direction = entry.direction ?? 1;
    if (typeof entry.name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.name)
        || (direction !== 1 && direction !== -1) || !Array.isArray(axis) || axis.length !== n || !axis.every(isNumber)) {
      throw new IncompatibleModelError(`${where}: continuous code ${index} needs a name, direction +-1 and an axis of `
        + `${n} numbers, got ${shown(entry)}`);
    }
    return { name: entry.name, index, direction, axis, range: codeRange(spec.continuousRange, axis), sweep: entry.sweep ?? [-2, 2], effects: entry.effects ?? {} };
  });
  if (new Set(codes.map((code) => code.name)).size !== n) {
    throw new IncompatibleModelError(`${where}: continuous code names must be unique, got ${shown(codes.map((c) => c.name))}`);
  }
  for (const a of codes) {
    for (const b of codes) {
      const dot = a.axis.reduce((sum, value, i) => sum + value * b.axis[i], 0);
      if (Math.abs(dot - (a === b ? 1 : 0)) > ORTHONORMAL_TOLERANCE) {
        throw new IncompatibleModelError(`${where}: the continuous codes' axes must be orthonormal, got `
          + shown(codes.map((code) => code.axis)));
      }
    }
  }
  return codes;
}

/** basis[i][j] = direction_i * axis_i[j] as a flat float32 (k*k) array, or null for the identity (codebook.code_basis):
 * the network gets c = u @ basis and users read u = c @ basis^T. */
function codeBasis(codes) {
  const n = codes.length;
  const basis = new Float32Array(n * n);
  let identity = true;
  codes.forEach((code, i) => code.axis.forEach((value, j) => {
    basis[i * n + j] = value * code.direction;
    identity &&= basis[i * n + j] === (i === j ? 1 : 0);
  }));
  return identity ? null : basis;
}

/** rows (N*k) @ basis (k*k) -> (N*k); transposed: @ basis^T. Float32 results, as the Python SDK's float32 matmul. */
export function applyBasis(rows, basis, k, transposed = false) {
  if (basis === null) return rows;
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length; r += k) {
    for (let j = 0; j < k; j += 1) {
      let sum = 0;
      for (let i = 0; i < k; i += 1) sum += rows[r + i] * (transposed ? basis[j * k + i] : basis[i * k + j]);
      out[r + j] = sum;
    }
  }
  return out;
}

/** The bytes of the role's file ("generator" or "encoder"), checked against the manifest's size and sha256 (unless
 * `verify` is false); `read(path)` gives a file's bytes (Uint8Array). */
export async function readModelFile(manifest, role, read, sha256, where, verify = true) {
  const entry = manifest.data.files?.[role];
  if (!entry || typeof entry.path !== "string" || /(^|[\\/])\.\.([\\/]|$)|^[\\/]/.test(entry.path)) {
    throw new CorruptModelError(`${where}: manifest.files.${role} must name a file inside the folder, got ${shown(entry)}`);
  }
  let bytes;
  try {
    bytes = await read(entry.path);
  } catch (error) {
    throw new CorruptModelError(`${where}: cannot read ${entry.path}: ${error.message}`);
  }
  if (bytes.length !== entry.bytes) {
    throw new CorruptModelError(`${where}: ${entry.path} has ${bytes.length} bytes, the manifest says ${entry.bytes}`);
  }
  const digest = verify ? await sha256(bytes) : entry.sha256;
  if (digest !== entry.sha256) {
    throw new CorruptModelError(`${where}: ${entry.path} has sha256 ${digest}, the manifest says ${entry.sha256}`);
  }
  return bytes;
}
