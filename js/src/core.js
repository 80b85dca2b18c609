// Generator and Encoder over onnxruntime, for any JavaScript runtime: node.js and browser.js hand in the runtime
// (the onnxruntime module, how to read a folder's files, sha256). Mirrors infogan_sdk/generator.py and encoder.py.

import { CorruptModelError, IncompatibleModelError, shown } from "./errors.js";
import { fromModel, readImages, readResized, toModel } from "./images.js";
import { drawLatents, editLatents, traverseLatents } from "./latents.js";
import { applyBasis, readManifest, readModelFile } from "./manifest.js";

const CHUNK = 1024; // rows per network call: memory stays bounded for big batches
const LANE_ROWS = 128; // batches this big run in lanes (infogan_sdk/loading/lanes.py: below it one call is quicker)
export const INK = 64; // the faintest pixel that counts as ink for isDigit (encoder.py INK)

class Model {
  /** Use Generator.load / Encoder.load. */
  constructor(manifest, session, ort, where) {
    Object.assign(this, { manifest, session, ort, where, spec: manifest.spec, codeToDigit: manifest.codeToDigit });
    this.continuousNames = manifest.codes.map((code) => code.name);
    this.categoricalCodes = manifest.categorical; // [{name, index, labels}]: labels[k] names value k
    this.categoricalNames = manifest.categorical.map((code) => code.name);
    this.continuousCodes = manifest.codes;
    this.info = manifest.data;
  }

  static async open(runtime, folder, options, role) {
    const where = String(folder);
    let data;
    try {
      data = await runtime.readJson(folder, "manifest.json");
    } catch (error) {
      throw new CorruptModelError(`${where}: cannot read manifest.json (is it a model folder?): ${error.message}`);
    }
    const manifest = readManifest(data, where);
    const bytes = await readModelFile(manifest, role, (path) => runtime.read(folder, path), runtime.sha256, where, options.verify !== false);
    const session = await runtime.ort.InferenceSession.create(bytes, runtime.sessionOptions(options));
    const model = new this(manifest, session, runtime.ort, where);
    Object.assign(model, { folder, options, bytes, runtime });
    return model;
  }

  tensor(values, rows, width) {
    return new this.ort.Tensor("float32", values, [rows, width]);
  }
}

export class Generator extends Model {
  constructor(...args) {
    super(...args);
    const expected = this.spec.generatorInputs.map(([name]) => name);
    if (expected.some((name) => !this.session.inputNames.includes(name)) || !this.session.outputNames.includes("images")) {
      throw new IncompatibleModelError(`${this.where}: the generator must take ${shown(expected)} and output "images", got `
        + `${shown(this.session.inputNames)} -> ${shown(this.session.outputNames)}`);
    }
  }

  /** Load a model folder's generator (a path in Node, a URL in a browser). */
  static async load(folder, options = {}) {
    return this.open(this.runtime, folder, options, "generator");
  }

  /** The latents `generate` would draw for these options, without running the network. */
  latents(options = {}) {
    return drawLatents(this, options);
  }

  /** Images: options {classes, digits (MNIST models), count, seed, rotation, thickness, width, continuous,
   * categorical, noise}; classes: a label or index for the first code, a list (one per image), or {code: labels}. */
  async generate(options = {}) {
    return this.render(this.latents(options));
  }

  /** One code swept over `values` (default 10 steps over [-2, 2]: beyond the trained range at both ends, on purpose;
   * values given outside it need beyondRange: true), everything else fixed: one image per value. */
  async traverse(options = {}) {
    return this.render(traverseLatents(this, options));
  }

  /** The images of explicit latents ({count, codes, continuous, noise}, as `latents` returns). */
  async render(latents) {
    const { spec } = this, n = latents.count, k = spec.nContinuous, nCodes = spec.categoricalSizes.length;
    const plane = spec.height * spec.width, size = plane * spec.channels;
    const pixels = new Uint8Array(n * size);
    for (let start = 0; start < n; start += CHUNK) {
      const rows = Math.min(CHUNK, n - start);
      const feeds = { noise: this.tensor(latents.noise.subarray(start * spec.noiseSize, (start + rows) * spec.noiseSize), rows, spec.noiseSize) };
      if (nCodes) {
        const oneHot = new Float32Array(rows * spec.categoricalSize);
        for (let i = 0; i < rows; i += 1) {
          let offset = 0;
          spec.categoricalSizes.forEach((codeSize, column) => {
            oneHot[i * spec.categoricalSize + offset + latents.codes[(start + i) * nCodes + column]] = 1;
            offset += codeSize;
          });
        }
        feeds.categorical = this.tensor(oneHot, rows, spec.categoricalSize);
      }
      if (k) feeds.continuous = this.tensor(applyBasis(latents.continuous.slice(start * k, (start + rows) * k), this.manifest.basis, k), rows, k);
      const images = await this.network(feeds, rows);
      if (images.length !== rows * size) {
        throw new IncompatibleModelError(`${this.where}: the generator returned ${images.length / size} images, expected ${rows}`);
      }
      pixels.set(fromModel(images, spec.pixelRange, spec.channels, plane), start * size);
    }
    const digits = Int32Array.from({ length: n }, (_, i) => (nCodes && this.codeToDigit.length ? this.codeToDigit[latents.codes[i * nCodes]] : -1));
    return new Images(pixels, n, spec.height, spec.width, { ...latents, digits, continuousNames: this.continuousNames,
      categoricalCodes: this.categoricalCodes }, spec.channels);
  }

  /** The network's images for these feeds: big batches in lanes where the runtime has them (Node with threads >= 2:
   * one-thread sessions in worker threads on parts of the batch side by side, as the Python SDK does, since the
   * transposed convolutions scale across sessions, not within one), else one call. */
  async network(feeds, rows) {
    const threads = this.options?.threads ?? 1;
    if (!this.constructor.runtime.lanes || threads < 2 || rows < LANE_ROWS) return (await this.session.run(feeds, ["images"])).images.data;
    this.lanes ??= this.constructor.runtime.lanes(this.bytes, threads);
    const part = Math.ceil(rows / this.lanes.length);
    const slice = (tensor, from, to) => this.tensor(tensor.data.slice(from * tensor.dims[1], to * tensor.dims[1]), to - from, tensor.dims[1]);
    const outputs = await Promise.all(this.lanes.map((lane, i) => {
      const from = i * part, to = Math.min(rows, from + part);
      return lane.run(Object.fromEntries(Object.entries(feeds).map(([name, tensor]) => [name, slice(tensor, from, to)])));
    }));
    return join(outputs);
  }

  /** Redraw images from what the model's encoder reads in them (codes and noise); adds reconstructionError. */
  async reconstruct(images, { preprocess = "auto" } = {}) {
    const source = await (await this.editor()).infer(images, { preprocess });
    const redrawn = await this.render(source.latents());
    redrawn.source = source;
    redrawn.reconstructionError = Float32Array.from({ length: source.count },
      (_, i) => 1 - pixelCorrelation(redrawn.image(i), source.image(i)));
    return redrawn;
  }

  /** Redraw images with codes changed: digit replaces the digit read, rotation/width/thickness/continuous are added. */
  async edit(images, { digit, rotation, width, thickness, continuous, beyondRange, preprocess = "auto" } = {}) {
    const source = await (await this.editor()).infer(images, { preprocess });
    const edited = await this.render(editLatents(this, source.latents(), { digits: digit, rotation, width, thickness, continuous, beyondRange }));
    edited.source = source;
    return edited;
  }

  /** Whether reconstruct and edit work (the encoder infers the noise too). */
  async canEdit() {
    return (await this.editor()).hasNoise;
  }

  async editor() {
    this.encoder ??= await Encoder.open(this.constructor.runtime, this.folder, this.options, "encoder");
    return this.encoder;
  }
}

export class Encoder extends Model {
  constructor(...args) {
    super(...args);
    const { spec, session } = this;
    const required = ["realness", ...(spec.categoricalSize ? ["categorical_logits"] : []), ...(spec.nContinuous ? ["continuous_mean"] : [])];
    if (!session.inputNames.includes("images") || required.some((name) => !session.outputNames.includes(name))) {
      throw new IncompatibleModelError(`${this.where}: the encoder must take "images" and output ${shown(required)}, got `
        + `${shown(session.inputNames)} -> ${shown(session.outputNames)}`);
    }
    this.outputs = [...required, ...["continuous_log_std", "digit_score", "domain_score", "noise"].filter((name) => session.outputNames.includes(name))];
    this.hasNoise = this.outputs.includes("noise");
    this.hasDigitScore = this.outputs.includes("digit_score");
    this.digitThreshold = this.hasDigitScore ? this.manifest.digitThreshold : null;
    // any model's "is this one of mine" answer (loading/domain.py): MNIST's digit score, else a domain_score output
    this.hasDomainScore = this.hasDigitScore || this.outputs.includes("domain_score");
    this.domainThreshold = this.hasDigitScore ? this.digitThreshold : this.hasDomainScore ? this.manifest.domainThreshold : null;
  }

  static async load(folder, options = {}) {
    return this.open(this.runtime, folder, options, "encoder");
  }

  /** The images as `infer` hands them to the network: {count, pixels: Uint8Array (N*H*W*channels)}: MNIST models
   * centre digits as MNIST was made, others ("resize" in their manifest) take the model's channels and size. */
  preprocess(images, { preprocess = "auto" } = {}) {
    const { height, width, channels } = this.spec;
    if (this.manifest.preprocess === "mnist-centre") return readImages(images, height, width, preprocess);
    return readResized(images, height, width, channels, preprocess);
  }

  /** Read digits and codes: images are ImageData, canvases or grey {width, height, data}, one or an array (in Node
   * also file paths and PNG/JPEG bytes). */
  async infer(images, { preprocess = "auto" } = {}) {
    const { spec } = this, plane = spec.height * spec.width, size = plane * spec.channels;
    const decoded = this.runtime.decode ? await this.runtime.decode(images) : images; // Node: files and PNG/JPEG bytes
    const { count, pixels } = this.preprocess(decoded, { preprocess });
    const raw = Object.fromEntries(this.outputs.map((name) => [name, []]));
    for (let start = 0; start < count; start += CHUNK) {
      const rows = Math.min(CHUNK, count - start);
      const input = new this.ort.Tensor("float32", toModel(pixels.subarray(start * size, (start + rows) * size), spec.pixelRange, spec.channels, plane), [rows, spec.channels, spec.height, spec.width]);
      const outputs = await this.session.run({ images: input }, this.outputs);
      for (const name of this.outputs) raw[name].push(outputs[name].data);
    }
    const joined = Object.fromEntries(Object.entries(raw).map(([name, parts]) => [name, join(parts)]));
    return new Reading(this, count, pixels, joined);
  }
}

/** Softmax of `logits` (its maximum `top`) into out[at...], in float32 as softmaxInto. */
function softmax(logits, top, out, at) {
  let sum = 0;
  for (let c = 0; c < logits.length; c += 1) sum += Math.fround(Math.exp(Math.fround(logits[c] - top)));
  for (let c = 0; c < logits.length; c += 1) out[at + c] = Math.fround(Math.exp(Math.fround(logits[c] - top))) / sum;
}

function join(parts) {
  if (parts.length === 1) return Float32Array.from(parts[0]);
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

/** Some pixel at least INK bright (is_digit's second condition: a blank image is never a digit). */
function hasInk(image) {
  for (let i = 0; i < image.length; i += 1) if (image[i] >= INK) return true;
  return false;
}

/** Pearson's correlation of two images' pixels; 0 when either is flat. */
export function pixelCorrelation(a, b) {
  const n = a.length;
  let meanA = 0, meanB = 0;
  for (let i = 0; i < n; i += 1) { meanA += a[i]; meanB += b[i]; }
  meanA /= n; meanB /= n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i += 1) {
    const x = a[i] - meanA, y = b[i] - meanB;
    ab += x * y; aa += x * x; bb += y * y;
  }
  return ab / Math.max(Math.sqrt(aa * bb), 1e-12);
}

/** A batch of uint8 images (grey: white digit on black on MNIST; or RGB, channels last) with the latents that made
 * them. */
export class Images {
  constructor(pixels, count, height, width, latents, channels = 1) {
    Object.assign(this, { pixels, count, height, width, channels });
    Object.assign(this, latents);
  }

  /** Image i as a Uint8Array view (height * width * channels). */
  image(i) {
    const size = this.height * this.width * this.channels;
    return this.pixels.subarray(i * size, (i + 1) * size);
  }

  /** Image i as RGBA bytes (for ImageData): grey in every colour channel, or its RGB. */
  rgba(i) {
    const image = this.image(i), c = this.channels, out = new Uint8ClampedArray((image.length / c) * 4);
    for (let p = 0; p < image.length / c; p += 1) out.set(c === 1 ? [image[p], image[p], image[p], 255] : [image[3 * p], image[3 * p + 1], image[3 * p + 2], 255], 4 * p);
    return out;
  }

  /** The label of each categorical code's value, per image: [[label of code 0, label of code 1, ...], ...]. */
  classes() {
    const codes = this.categoricalCodes ?? [], k = codes.length;
    return Array.from({ length: this.count }, (_, i) => codes.map((code, j) => code.labels[this.codes[i * k + j]]));
  }
}

/** What `Encoder.infer` reads: digits, probabilities, continuous codes (users' basis), realness, digit score, noise. */
export class Reading extends Images {
  constructor(encoder, count, pixels, raw) {
    const { spec, manifest } = encoder;
    super(pixels, count, spec.height, spec.width, { categoricalCodes: encoder.categoricalCodes }, spec.channels);
    const sizes = spec.categoricalSizes, k = spec.nContinuous, total = spec.categoricalSize;
    const codeToDigit = encoder.codeToDigit.length ? encoder.codeToDigit : [...Array(sizes[0] ?? 0).keys()];
    this.codes = new Int32Array(count * sizes.length);
    this.digits = new Int32Array(count).fill(-1);
    this.probabilities = new Float32Array(count * (sizes[0] ?? 0));
    this.codeProbabilities = sizes.map((size) => new Float32Array(count * size)); // per code, value order
    for (let i = 0; i < count; i += 1) {
      let offset = 0;
      sizes.forEach((size, column) => {
        const logits = raw.categorical_logits.subarray(i * total + offset, i * total + offset + size);
        let best = 0;
        for (let c = 1; c < size; c += 1) if (logits[c] > logits[best]) best = c;
        this.codes[i * sizes.length + column] = best;
        if (column === 0) this.softmaxInto(logits, logits[best], i, codeToDigit);
        softmax(logits, logits[best], this.codeProbabilities[column], i * size);
        offset += size;
      });
      if (sizes.length && encoder.codeToDigit.length) this.digits[i] = codeToDigit[this.codes[i * sizes.length]];
    }
    this.continuous = applyBasis(raw.continuous_mean ?? new Float32Array(0), manifest.basis, k, true);
    this.continuousStd = raw.continuous_log_std ? raw.continuous_log_std.map(Math.exp) : null;
    this.continuousNames = encoder.continuousNames;
    this.realness = raw.realness;
    this.digitScore = raw.digit_score ?? null;
    this.noise = raw.noise ?? null;
    this.isDigit = this.digitScore === null || encoder.digitThreshold === null ? null
      : Array.from(this.digitScore, (score, i) => score >= encoder.digitThreshold && hasInk(this.image(i)));
    // MNIST models answer with their digit score (the same arrays); their records keep the MNIST names only
    this.domainScore = this.digitScore ?? raw.domain_score ?? null;
    this.inDomain = this.digitScore ? this.isDigit : this.domainScore === null || encoder.domainThreshold === null ? null
      : Array.from(this.domainScore, (score) => score >= encoder.domainThreshold);
  }

  softmaxInto(logits, top, i, codeToDigit) {
    const size = logits.length;
    let sum = 0;
    for (let c = 0; c < size; c += 1) sum += Math.fround(Math.exp(Math.fround(logits[c] - top)));
    for (let c = 0; c < size; c += 1) this.probabilities[i * size + codeToDigit[c]] = Math.fround(Math.exp(Math.fround(logits[c] - top))) / sum;
  }

  /** Per image and code, the probability of the value read (its `classes()` label). */
  classProbability() {
    const k = this.codeProbabilities.length;
    return Array.from({ length: this.count }, (_, i) => this.codeProbabilities.map((probabilities, j) => probabilities[i * (probabilities.length / this.count) + this.codes[i * k + j]]));
  }

  /** The codes read, as latents for Generator.render ({count, codes, continuous, noise}). */
  latents() {
    if (!this.noise) throw new IncompatibleModelError("this model's encoder does not infer the noise: it cannot reconstruct or edit");
    return { count: this.count, codes: this.codes, continuous: this.continuous, noise: this.noise };
  }

  /** One object per image: digit, probabilities, codes by name, realness, digitScore, isDigit (MNIST models) or
   * domainScore, inDomain (others); classes and classProbabilities ({code name: ...}) for a model whose codes are not
   * digits. */
  toRecords() {
    const k = this.continuousNames.length, size = this.probabilities.length / Math.max(1, this.count);
    const named = this.categoricalCodes.length && this.digits.every((digit) => digit < 0);
    const classes = named ? this.classes() : null, chosen = named ? this.classProbability() : null;
    const byName = (values) => Object.fromEntries(this.categoricalCodes.map((code, j) => [code.name, values[j]]));
    return Array.from({ length: this.count }, (_, i) => ({
      ...(named ? { classes: byName(classes[i]), classProbabilities: byName(chosen[i]) } : {}),
      digit: this.digits[i],
      probabilities: Array.from(this.probabilities.subarray(i * size, (i + 1) * size)),
      continuous: Object.fromEntries(this.continuousNames.map((name, j) => [name, this.continuous[i * k + j]])),
      realness: this.realness[i],
      ...(this.digitScore ? { digitScore: this.digitScore[i] } : {}),
      ...(this.isDigit ? { isDigit: this.isDigit[i] } : {}),
      ...(!this.digitScore && this.domainScore ? { domainScore: this.domainScore[i] } : {}),
      ...(!this.digitScore && this.inDomain ? { inDomain: this.inDomain[i] } : {}),
    }));
  }
}
