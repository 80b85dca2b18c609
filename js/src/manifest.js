// A model folder's manifest.json, read and checked as the Python SDK reads it (infogan_sdk/loading/manifest.py,
// labels.py, mnist.py and codebook.py): the latent spec, the files and their sha256, the ONNX inputs and outputs, the
// categorical codes' names and labels (format 1: the code-to-digit map as the first code's labels), the preprocessing,
// the continuous codes (names, directions, turned axes) and the not-a-digit threshold.

import { CorruptModelError, IncompatibleModelError, shown } from "./errors.js";

export const FORMAT = "infogan-sdk-model";
export const FORMAT_VERSION = 2; // the newest format read: 1 (MNIST models) and 2 (any model)
const PREPROCESS = ["mnist-centre", "resize"];
const ORTHONORMAL_TOLERANCE = 1e-4; // axes are stored as JSON decimals

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const isInteger = (value) => Number.isInteger(value);

/** The checked manifest: {data, spec, categorical, preprocess, codeToDigit, codes, basis, digitThreshold,
 * domainThreshold}. */
export function readManifest(data, where) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new CorruptModelError(`${where}: manifest.json must hold a JSON object, got ${shown(data)}`);
  }
  if (data.format !== FORMAT || !isInteger(data.format_version) || data.format_version < 1
      || data.format_version > FORMAT_VERSION) {
    throw new IncompatibleModelError(`${where}: expected format ${FORMAT} version 1 to ${FORMAT_VERSION}, got `
      + `${shown(data.format)} version ${shown(data.format_version)}`);
  }
  const spec = readSpec(data.spec, where);
  let categorical, preprocess = "mnist-centre";
  if (data.format_version === 1) { // an MNIST model: code_to_digit labels the first code
    const map = readCodeToDigit(data.code_to_digit, spec, where);
    categorical = defaultCodes(spec.categoricalSizes);
    if (categorical.length) categorical[0] = { name: "digit", index: 0, labels: map.map(String) };
  } else {
    if (data.code_to_digit !== undefined) {
      throw new IncompatibleModelError(`${where}: code_to_digit is format 1's; format 2 names the values in categorical_codes' labels`);
    }
    preprocess = data.preprocess ?? "resize";
    if (!PREPROCESS.includes(preprocess)) throw new IncompatibleModelError(`${where}: preprocess must be one of ${shown(PREPROCESS)}, got ${shown(preprocess)}`);
    categorical = readLabels(data.categorical_codes, spec, where);
  }
  const codes = readCodes(data.continuous_codes, spec, where);
  return { data, spec, categorical, preprocess, codeToDigit: digitsOf(categorical), codes, basis: codeBasis(codes),
    digitThreshold: data.not_a_digit?.threshold ?? null, domainThreshold: data.in_domain?.threshold ?? null };
}

function defaultCodes(sizes) {
  return sizes.map((size, index) => ({ name: `category${index}`, index, labels: [...Array(size).keys()].map(String) }));
}

/** categorical_codes (labels.py read_labels): one {name, labels} per code, names distinct identifiers, labels distinct
 * printable strings, one per value. */
function readLabels(entries, spec, where) {
  const sizes = spec.categoricalSizes;
  if (entries == null) return defaultCodes(sizes);
  if (!Array.isArray(entries) || entries.length !== sizes.length) {
    throw new IncompatibleModelError(`${where}: categorical_codes must be a list of ${sizes.length} objects (one per categorical code), got ${shown(entries)}`);
  }
  const codes = entries.map((entry, index) => {
    const name = entry?.name ?? `category${index}`, labels = entry?.labels ?? [...Array(sizes[index]).keys()].map(String);
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !Array.isArray(labels)
        || labels.length !== sizes[index] || new Set(labels).size !== labels.length
        || !labels.every((label) => typeof label === "string" && label.length >= 1 && label.length <= 200 && label.trim() === label)) {
      throw new IncompatibleModelError(`${where}: categorical code ${index} needs a name (an identifier) and ${sizes[index]} distinct labels, got ${shown(entry)}`);
    }
    return { name, index, labels };
  });
  if (new Set(codes.map((code) => code.name)).size !== codes.length) {
    throw new IncompatibleModelError(`${where}: categorical code names must be distinct, got ${shown(codes.map((code) => code.name))}`);
  }
  return codes;
}

/** mnist.py code_to_digit: the first code's labels as digits when they are "0".."k-1" in some order, else []. */
function digitsOf(categorical) {
  if (!categorical.length) return [];
  const { labels } = categorical[0];
  const digits = labels.map(Number);
  const isDigits = labels.every((label, i) => String(digits[i]) === label) && new Set(digits).size === labels.length
    && digits.every((digit) => Number.isInteger(digit) && digit >= 0 && digit < labels.length);
  return isDigits ? digits : [];
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
  if (!Array.isArray(shape) || shape.length !== 3 || ![1, 3].includes(shape[0]) || !shape.every((side) => isInteger(side) && side >= 1)) {
    throw problem("image_shape must be [1 or 3, height, width]");
  }
  if (!["normal", "uniform"].includes(spec.noise_distribution ?? "normal")) {
    throw problem("noise_distribution must be normal or uniform");
  }
  const categoricalSize = categoricalSizes.reduce((sum, size) => sum + size, 0);
  return {
    noiseSize, categoricalSizes, categoricalSize, nContinuous,
    continuousRange: spec.continuous_range, pixelRange: spec.pixel_range,
    channels: shape[0], height: shape[1], width: shape[2], noiseDistribution: spec.noise_distribution ?? "normal",
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
