// The generator's inputs from the caller's arguments, checked as the Python SDK checks them
// (infogan_sdk/latents/arguments.py and draw.py); whatever is omitted is drawn from the seed, in the same order:
// the categorical codes (N per code), then the continuous codes (N x k, row by row), then the noise (N x noise).

import { InvalidInputError, didYouMean, shown } from "./errors.js";
import { applyBasis } from "./manifest.js";
import { Random, freshSeed } from "./random.js";

export const MAX_COUNT = 1_000_000;
const NAMED = ["rotation", "width", "thickness"];
const BEYOND = "beyondRange: true";

/** value -> an array of rows: a number is one row of one value, [a, b] one row or N values, [[...], ...] N rows. */
function rows(value, what, width) {
  const list = ArrayBuffer.isView(value) ? Array.from(value) : value;
  if (typeof list === "number") return [[list]];
  if (!Array.isArray(list) || list.length === 0) throw new InvalidInputError(`${what} must be a number or a non-empty array, got ${shown(value)}`);
  if (list.every((item) => typeof item === "number")) return width === 1 ? list.map((item) => [item]) : [list];
  if (list.every((item) => Array.isArray(item) || ArrayBuffer.isView(item))) return list.map((item) => Array.from(item));
  throw new InvalidInputError(`${what} must be numbers or an array of rows of numbers, got ${shown(value)}`);
}

function finite(values, what) {
  for (const value of values.flat()) {
    if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 3.4028234663852886e38) {
      throw new InvalidInputError(`${what} must be finite numbers (float32), got ${shown(value)}`);
    }
  }
  return values;
}

function integersOf(value, what) {
  const list = rows(value, what, 1);
  for (const value of list.flat()) {
    if (!Number.isInteger(value)) throw new InvalidInputError(`${what} must be integers, got ${shown(value)}`);
  }
  return list;
}

/** digits (0-9, mapped to codes) or raw categorical values -> rows of codes, or null. */
function categorical(spec, codeToDigit, digits, raw) {
  if (digits != null && raw != null) throw new InvalidInputError("pass digits (real digits) or categorical (raw categorical values), not both");
  if (digits == null && raw == null) return null;
  if (!spec.categoricalSizes.length) throw new InvalidInputError("this model has no categorical code, so digits and categorical cannot be used");
  if (digits != null && !codeToDigit.length) {
    throw new InvalidInputError("digits is for MNIST models, whose first categorical code is digits; this model's is not: pick its values by label or index with classes (see categoricalCodes)");
  }
  if (digits != null) {
    const values = integersOf(digits, "digits").map((row) => row[0]);
    const bad = values.filter((d) => d < 0 || d >= codeToDigit.length);
    if (bad.length) throw new InvalidInputError(`digits must be from 0 to ${codeToDigit.length - 1}, got ${shown(bad.slice(0, 10))}`);
    return values.map((digit) => [codeToDigit.indexOf(digit)]);
  }
  const codes = integersOf(raw, "categorical");
  const sizes = spec.categoricalSizes;
  for (const row of codes) {
    if (row.length !== 1 && row.length !== sizes.length) {
      throw new InvalidInputError(`categorical must have 1 or ${sizes.length} values per image (sizes ${shown(sizes)}), got ${shown(row)}`);
    }
    row.forEach((value, column) => {
      if (value < 0 || value >= sizes[column]) throw new InvalidInputError(`categorical code ${column} takes values 0 to ${sizes[column] - 1}, got ${value}`);
    });
  }
  return codes;
}

/** classes (labels.py class_values): a label or index for the first code, a list of them (one per image), or
 * {code name: label, index or list} -> Map(column -> values). */
function classColumns(model, classes) {
  const codes = model.categoricalCodes, names = codes.map((code) => code.name);
  if (!codes.length) throw new InvalidInputError("this model has no categorical code, so classes cannot be used");
  const named = classes !== null && typeof classes === "object" && !Array.isArray(classes);
  const columns = new Map();
  for (const [name, values] of Object.entries(named ? classes : { [names[0]]: classes })) {
    if (!names.includes(name)) {
      throw new InvalidInputError(`this model has no categorical code named ${shown(name)}${didYouMean(name, names)}; its codes are ${shown(names)}`);
    }
    const list = Array.isArray(values) ? values : [values];
    if (!list.length) throw new InvalidInputError(`classes for code ${shown(name)} must not be empty`);
    const code = codes[names.indexOf(name)];
    columns.set(code.index, list.map((value) => classValue(code, value)));
  }
  return columns;
}

/** A label ("sneaker") or an index (3, "3") -> the code's value; a label wins over an index (CategoricalCode.value). */
function classValue(code, given) {
  let value = given;
  if (typeof given === "string") {
    if (code.labels.includes(given)) return code.labels.indexOf(given);
    if (!/^[0-9]{1,6}$/.test(given)) {
      throw new InvalidInputError(`categorical code ${shown(code.name)} has no label ${shown(given)}${didYouMean(given, code.labels)}; its labels are ${shown(code.labels)}`);
    }
    value = Number(given);
  }
  if (!Number.isInteger(value) || value < 0 || value >= code.labels.length) {
    throw new InvalidInputError(`categorical code ${shown(code.name)} takes a label (${shown(code.labels)}) or an index from 0 to ${code.labels.length - 1}, got ${shown(given)}`);
  }
  return value;
}

/** continuous (rows, one row, or {name: value(s)}) plus rotation/width/thickness -> Map(column -> values). */
function continuousColumns(names, continuous, named) {
  const given = Object.fromEntries(NAMED.filter((name) => named[name] != null).map((name) => [name, named[name]]));
  const columns = new Map();
  if (continuous != null && !Array.isArray(continuous) && !ArrayBuffer.isView(continuous) && typeof continuous === "object") {
    const twice = Object.keys(continuous).filter((name) => name in given);
    if (twice.length) throw new InvalidInputError(`continuous code(s) ${shown(twice)} given twice (in continuous and by name)`);
    Object.assign(given, continuous);
  } else if (continuous != null) {
    if (Object.keys(given).length) throw new InvalidInputError(`continuous as an array sets every code; do not also pass ${shown(Object.keys(given))}`);
    const table = finite(rows(continuous, "continuous", names.length), "continuous");
    if (!table.every((row) => row.length === names.length)) {
      throw new InvalidInputError(`continuous must have ${names.length} values per image (codes ${shown(names)}), got ${shown(continuous)}`);
    }
    names.forEach((_, column) => columns.set(column, table.map((row) => row[column])));
    return columns;
  }
  for (const [name, value] of Object.entries(given)) {
    if (!names.includes(name)) throw new InvalidInputError(`this model has no continuous code named ${shown(name)}${didYouMean(name, names)}; its codes are ${shown(names)}`);
    columns.set(names.indexOf(name), finite(rows(value, `continuous code "${name}"`, 1), `continuous code "${name}"`).map((row) => row[0]));
  }
  return columns;
}

const g = (value) => Number(value.toPrecision(6)); // numbers in messages, as Python's :g

/** Given continuous values (Map column -> values) outside their code's trained range (`ranges`, one [low, high] per
 * code) are refused unless beyondRange (arguments.py check_range): images there are extrapolations. */
function checkRange(names, ranges, columns, beyondRange) {
  if (allowed(beyondRange)) return;
  for (const [column, values] of [...columns].sort((a, b) => a[0] - b[0])) {
    const [low, high] = ranges[column];
    const outside = values.filter((value) => value < low || value > high);
    if (outside.length) {
      const more = outside.length > 1 ? ` (and ${outside.length - 1} more of the ${values.length} values given)` : "";
      throw new InvalidInputError(`${names[column]}=${g(outside[0])}${more} is outside the range this model was trained on, [${low}, ${high}]: give values from ${low} to ${high}, or ask to go beyond it with ${BEYOND}`);
    }
  }
}

/** An edit's change wider than its code's trained range itself is refused unless beyondRange (arguments.py
 * check_change). */
function checkChange(names, ranges, columns, beyondRange) {
  if (allowed(beyondRange)) return;
  for (const [column, values] of [...columns].sort((a, b) => a[0] - b[0])) {
    const [low, high] = ranges[column];
    const tooFar = values.find((value) => Math.abs(value) > high - low);
    if (tooFar !== undefined) {
      throw new InvalidInputError(`changing ${names[column]} by ${tooFar > 0 ? "+" : ""}${g(tooFar)} moves it further than the range this model was trained on, [${low}, ${high}], is wide (${g(high - low)}), so the edit leaves that range whatever the image: change it by at most ${g(high - low)}, or ask to go beyond it with ${BEYOND}`);
    }
  }
}

const ranges = (model) => model.continuousCodes.map((code) => code.range);

function allowed(beyondRange) {
  if (beyondRange != null && typeof beyondRange !== "boolean") throw new InvalidInputError(`beyondRange must be true or false, got ${shown(beyondRange)}`);
  return beyondRange === true;
}

function noiseRows(spec, noise) {
  if (noise == null) return null;
  const table = finite(rows(noise, "noise", spec.noiseSize), "noise");
  if (!table.every((row) => row.length === spec.noiseSize)) {
    throw new InvalidInputError(`noise must have ${spec.noiseSize} values per image, got ${shown(noise)}`);
  }
  return table;
}

export function checkCount(count, what = "count") {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new InvalidInputError(`${what} must be an integer from 1 to ${MAX_COUNT}, got ${shown(count)}`);
  return count;
}

/** N: `count` if given, else the longest batched argument, else 1; every length must be 1 or N. */
function batchSize(count, lengths) {
  const n = count != null ? checkCount(count) : Math.max(1, ...Object.values(lengths));
  checkCount(n, "the number of images");
  if (Object.values(lengths).some((length) => length !== 1 && length !== n)) {
    const given = Object.entries(lengths).map(([name, length]) => `${name} has ${length}`).join(", ");
    throw new InvalidInputError(`batch lengths disagree: expected every argument to have ${n} rows (or 1), got ${given}`);
  }
  return n;
}

/**
 * Latents for one generate call: {count, codes (Int32Array N*c), continuous (Float32Array N*k, users' values),
 * noise (Float32Array N*noise)}.
 */
export function drawLatents(model, options = {}) {
  const known = ["digits", "classes", "count", "categorical", "continuous", "rotation", "width", "thickness", "noise", "seed", "beyondRange"];
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length) throw new InvalidInputError(`unknown option(s) ${shown(unknown)}; expected some of ${shown(known)}`);
  const { spec, codeToDigit } = model;
  const names = model.continuousNames;
  const codes = categorical(spec, codeToDigit, options.digits, options.categorical);
  if (options.classes != null && codes) throw new InvalidInputError("pass classes (labels or indices), digits or categorical, not two of them");
  const chosen = options.classes != null ? classColumns(model, options.classes) : new Map();
  const columns = continuousColumns(names, options.continuous, options);
  const noise = noiseRows(spec, options.noise);
  const lengths = {};
  if (codes) lengths[options.digits != null ? "digits" : "categorical"] = codes.length;
  for (const [column, values] of chosen) lengths[`classes of "${model.categoricalCodes[column].name}"`] = values.length;
  for (const [column, values] of columns) lengths[`continuous code "${names[column]}"`] = values.length;
  if (noise) lengths.noise = noise.length;
  const n = batchSize(options.count, lengths);
  checkRange(names, ranges(model), columns, options.beyondRange);
  const seed = options.seed ?? freshSeed();
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidInputError(`seed must be a non-negative integer, got ${shown(seed)}`);
  return draw(spec, n, new Random(seed), codes, columns, noise, model.manifest.basis, chosen);
}

function draw(spec, n, random, codes, columns, noise, basis, chosen = new Map()) {
  const sizes = spec.categoricalSizes, k = spec.nContinuous, width = spec.noiseSize;
  const drawnCodes = new Int32Array(n * sizes.length);
  sizes.forEach((size, column) => {
    for (let i = 0; i < n; i += 1) drawnCodes[i * sizes.length + column] = random.integer(size);
  });
  if (codes) {
    for (let i = 0; i < n; i += 1) codes[codes.length === 1 ? 0 : i].forEach((value, column) => { drawnCodes[i * sizes.length + column] = value; });
  }
  for (const [column, values] of chosen) {
    for (let i = 0; i < n; i += 1) drawnCodes[i * sizes.length + column] = values[values.length === 1 ? 0 : i];
  }
  const [low, high] = spec.continuousRange;
  // drawn on the network's inputs (the trained prior), given in the users' basis: u = c @ basis^T (draw.py)
  const drawn = new Float32Array(n * k);
  for (let i = 0; i < n * k; i += 1) drawn[i] = low + (high - low) * random.uniform();
  const continuous = basis === null ? drawn : applyBasis(drawn, basis, k, true);
  const drawnNoise = new Float32Array(n * width);
  if (noise) {
    for (let i = 0; i < n; i += 1) drawnNoise.set(noise[noise.length === 1 ? 0 : i], i * width);
  } else {
    const sample = spec.noiseDistribution === "normal" ? () => random.normal() : () => 2 * random.uniform() - 1;
    for (let i = 0; i < n * width; i += 1) drawnNoise[i] = sample();
  }
  for (const [column, values] of columns) {
    for (let i = 0; i < n; i += 1) continuous[i * k + column] = values[values.length === 1 ? 0 : i];
  }
  return { count: n, codes: drawnCodes, continuous, noise: drawnNoise };
}


/** The latents of a traverse: one code swept over `values` (default 10 steps over the range's middle +- its width),
 * the others at the middle, one digit and one noise vector from the seed for every image. */
export function traverseLatents(model, { digit, classes, code = 0, values, seed, beyondRange } = {}) {
  const names = model.continuousNames;
  const column = typeof code === "string" ? names.indexOf(code) : code;
  if (!Number.isInteger(column) || column < 0 || column >= names.length) {
    throw new InvalidInputError(`code must be an index from 0 to ${names.length - 1} or one of ${shown(names)}, got ${shown(code)}${didYouMean(code, names)}`);
  }
  const [low, high] = model.spec.continuousRange;
  const middle = (low + high) / 2;
  const sweep = values == null
    ? Array.from({ length: 10 }, (_, i) => Math.fround(middle - (high - low) + (2 * (high - low) * i) / 9))
    : finite(rows(values, "values", 1), "values").map((row) => row[0]);
  checkCount(sweep.length, "the number of values");
  if (values != null) checkRange(names, ranges(model), new Map([[column, sweep]]), beyondRange);
  const first = drawLatents(model, { digits: digit ?? undefined, classes: classes ?? undefined, seed });
  const k = names.length;
  const fixed = sweep.map((value) => Array.from({ length: k }, (_, j) => (j === column ? value : middle)));
  const categorical = model.spec.categoricalSizes.length ? [Array.from(first.codes)] : undefined;
  // checked above: the default sweep goes beyond the trained range on purpose (outsideRange says which images)
  return drawLatents(model, { categorical, continuous: fixed, noise: [Array.from(first.noise)], count: sweep.length, seed: 0, beyondRange: true });
}

/** The latents of an edit (generator.py edit): the source's codes and noise, `digits` replacing the digit read,
 * rotation/width/thickness/continuous *added* to the codes read; each one value per image or one for all. */
export function editLatents(model, source, { digits, rotation, width, thickness, continuous, beyondRange } = {}) {
  const { spec, codeToDigit } = model, k = spec.nContinuous, nCodes = spec.categoricalSizes.length, size = spec.noiseSize;
  const codes = categorical(spec, codeToDigit, digits, undefined);
  const columns = continuousColumns(model.continuousNames, continuous, { rotation, width, thickness });
  const lengths = { images: source.count, ...(codes ? { digit: codes.length } : {}) };
  for (const [column, values] of columns) lengths[`continuous code "${model.continuousNames[column]}"`] = values.length;
  const n = batchSize(undefined, lengths);
  checkChange(model.continuousNames, ranges(model), columns, beyondRange);
  const pick = (list, i) => list[list.length === 1 ? 0 : i];
  const out = { count: n, codes: new Int32Array(n * nCodes), continuous: new Float32Array(n * k), noise: new Float32Array(n * size) };
  for (let i = 0; i < n; i += 1) {
    const from = source.count === 1 ? 0 : i;
    out.codes.set(source.codes.subarray(from * nCodes, (from + 1) * nCodes), i * nCodes);
    if (codes) out.codes[i * nCodes] = pick(codes, i)[0];
    out.continuous.set(source.continuous.subarray(from * k, (from + 1) * k), i * k);
    for (const [column, values] of columns) out.continuous[i * k + column] = Math.fround(out.continuous[i * k + column] + pick(values, i));
    out.noise.set(source.noise.subarray(from * size, (from + 1) * size), i * size);
  }
  return out;
}
