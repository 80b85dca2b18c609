// Images in: what `Encoder.infer` accepts, read into grey uint8 images and normalised as the Python SDK does
// (infogan_sdk/images/decode.py and preprocess.py), step for step and in the same float32 arithmetic, so that the
// network sees the same pixels in both languages. Images out: the model's floats to uint8 (convention.py).

import { InvalidInputError, shown } from "./errors.js";
import { medianFilter3, resizeBilinear, resizeLanczos } from "./pillow.js";

export const MAX_PIXELS = 4096 * 4096; // per image, as the Python SDK refuses larger ones
const BOX_FRACTION = 20 / 28; // MNIST digits fit a 20x20 box inside the 28x28 image
const INK_THRESHOLD = 0.25; // a pixel at >= 25% of the ink's peak counts when finding the bounding box
const f32 = Math.fround;

/** Python's round() and numpy's rint: halves go to the even neighbour. */
export function roundHalfEven(x) {
  const floor = Math.floor(x), rest = x - floor;
  if (rest !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

// --- reading inputs --------------------------------------------------------------------------------------------

/** One input -> a grey image {width, height, data: Uint8Array}. Accepts ImageData (RGBA), a canvas (2-D context),
 * a grey image {width, height, data} (data: Uint8Array or Uint8ClampedArray of width * height values), or a bare
 * Uint8Array of a square grey image (784 values: 28x28). */
export function toGrey(input, where) {
  if (input instanceof Uint8Array || input instanceof Uint8ClampedArray) {
    const side = Math.round(Math.sqrt(input.length));
    if (side * side !== input.length || side === 0) {
      throw new InvalidInputError(`${where}: a bare Uint8Array must hold a square grey image (e.g. 784 values, 28x28), got ${input.length} values; pass {width, height, data} otherwise`);
    }
    return toGrey({ width: side, height: side, data: input }, where);
  }
  if (input && typeof input.getContext === "function") { // HTMLCanvasElement or OffscreenCanvas
    const { width, height } = input;
    checkSize(width, height, where);
    return toGrey(input.getContext("2d").getImageData(0, 0, width, height), where);
  }
  if (!input || typeof input !== "object" || !Number.isInteger(input.width) || !Number.isInteger(input.height)
      || !(input.data instanceof Uint8Array || input.data instanceof Uint8ClampedArray)) {
    throw new InvalidInputError(`${where}: expected ImageData, a canvas or a grey image {width, height, data: Uint8Array}, got ${shown(input)}`);
  }
  const { width, height, data } = input;
  checkSize(width, height, where);
  if (data.length === width * height) return { width, height, data: Uint8Array.from(data) };
  if (data.length === 4 * width * height) return fromRGBA(width, height, data);
  throw new InvalidInputError(`${where}: a ${width}x${height} image needs ${width * height} grey or ${4 * width * height} RGBA values, got ${data.length}`);
}

function checkSize(width, height, where) {
  if (!(width >= 1 && height >= 1)) throw new InvalidInputError(`${where}: the image is empty (${width}x${height} pixels)`);
  if (width * height > MAX_PIXELS) throw new InvalidInputError(`${where}: ${width}x${height} pixels is more than the ${MAX_PIXELS} allowed`);
}

/** RGBA -> grey as decode.py's _from_pil does for images with alpha: Pillow's luminance (L = (19595 R + 38470 G +
 * 7471 B + 2^15) >> 16), composited over a background that contrasts with the ink: white under dark ink, black
 * under light ink. Opaque images come out as their plain luminance. */
function fromRGBA(width, height, rgba) {
  const n = width * height;
  let opaque = true;
  for (let i = 3; i < rgba.length && opaque; i += 4) opaque = rgba[i] === 255;
  if (opaque) { // the composite is the luminance itself
    const data = new Uint8Array(n);
    for (let i = 0, o = 0; i < n; i += 1, o += 4) data[i] = (rgba[o] * 19595 + rgba[o + 1] * 38470 + rgba[o + 2] * 7471 + 0x8000) >>> 16;
    return { width, height, data };
  }
  const luminance = new Uint8Array(n), alpha = new Float64Array(n);
  let inkSum = 0, alphaSum = 0;
  for (let i = 0; i < n; i += 1) {
    const o = 4 * i;
    luminance[i] = (rgba[o] * 19595 + rgba[o + 1] * 38470 + rgba[o + 2] * 7471 + 0x8000) >>> 16;
    alpha[i] = rgba[o + 3] / 255;
    inkSum += luminance[i] * alpha[i];
    alphaSum += alpha[i];
  }
  const background = inkSum < 128 * alphaSum ? 255 : 0;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) data[i] = roundHalfEven(luminance[i] * alpha[i] + background * (1 - alpha[i]));
  return { width, height, data };
}

// --- MNIST-style normalisation (preprocess.py) -------------------------------------------------------------

const rings = new Map(); // (height, width) -> the border's flat indices: every image of a size shares them

function ringIndices(height, width) {
  const key = `${height}x${width}`;
  let indices = rings.get(key);
  if (!indices) {
    const ring = Math.max(1, Math.floor(Math.min(height, width) / 14));
    const list = [];
    for (let y = 0; y < height; y += 1) {
      if (y < ring || y >= height - ring) {
        for (let x = 0; x < width; x += 1) list.push(y * width + x);
      } else {
        for (let x = 0; x < ring; x += 1) list.push(y * width + x);
        for (let x = width - ring; x < width; x += 1) list.push(y * width + x);
      }
    }
    indices = Int32Array.from(list);
    if (rings.size > 64) rings.clear(); // bounded: sizes vary in the wild
    rings.set(key, indices);
  }
  return indices;
}

/** Most of the border light (> 127): dark ink on paper. */
function hasLightBackground(image) {
  const ring = ringIndices(image.height, image.width), data = image.data;
  let light = 0;
  for (let i = 0; i < ring.length; i += 1) light += data[ring[i]] > 127 ? 1 : 0;
  return 2 * light > ring.length;
}

/** Already model-ready: exactly height x width with light ink on a dark border. */
export function isMnistForm(image, height, width) {
  return image.width === width && image.height === height && !hasLightBackground(image);
}

/** numpy's median of float32 values (the mean of the middle two, in float32, for an even count). Borders of
 * 8-bit images hold whole or half grey levels: counted in 1024 bins of half a level, not sorted (20x faster on a
 * 280x280 drawing's border); any other values are sorted. */
function median(values) {
  const n = values.length, counts = new Uint32Array(1024);
  for (let i = 0; i < n; i += 1) {
    const bin = values[i] * 2;
    if (!(bin >= 0 && bin < 1024 && Number.isInteger(bin))) return sortedMedian(values);
    counts[bin] += 1;
  }
  const at = (rank) => { // the value of the rank-th smallest (0-based)
    let seen = 0;
    for (let bin = 0; ; bin += 1) {
      seen += counts[bin];
      if (seen > rank) return bin / 2;
    }
  };
  return n % 2 ? at(n >> 1) : f32((at((n >> 1) - 1) + at(n >> 1)) / 2);
}

function sortedMedian(values) {
  const sorted = Float32Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : f32((sorted[middle - 1] + sorted[middle]) / 2);
}

/** numpy's quantile (method "linear") of float32 values at a Python-float q, in numpy's float32 arithmetic. */
function quantile(values, q) {
  const sorted = Float32Array.from(values).sort();
  const index = (sorted.length - 1) * q;
  const previous = Math.floor(index), next = Math.min(previous + 1, sorted.length - 1);
  const gamma = index - previous;
  const a = sorted[previous], b = sorted[next], difference = f32(b - a);
  return gamma >= 0.5 ? f32(b - f32(difference * f32(1 - gamma))) : f32(a + f32(difference * f32(gamma)));
}

/** Light ink on dark paper -> the same with the paper at 0 and its noise removed (_without_paper). */
function withoutPaper(pixels, width, height) {
  const ring = ringIndices(height, width), around = new Float32Array(ring.length);
  const paperAndSpread = (values) => {
    for (let i = 0; i < ring.length; i += 1) around[i] = values[ring[i]];
    const paper = median(around);
    for (let i = 0; i < ring.length; i += 1) around[i] = Math.abs(f32(around[i] - paper));
    return [paper, 1.4826 * median(around)];
  };
  let [paper, sd] = paperAndSpread(pixels);
  if (sd > 2.0) { // noisy paper: a 3x3 median filter first
    const grey = Uint8Array.from(pixels, (value) => Math.min(255, Math.max(0, Math.trunc(value))));
    pixels = Float32Array.from(medianFilter3({ width, height, data: grey }).data);
    [paper, sd] = paperAndSpread(pixels);
  }
  const floor = f32(paper + 3.0 * sd);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = Math.max(0, f32(pixels[i] - floor));
  return pixels;
}

/** A grey image of any size and polarity -> height x width uint8, white digit centred on black (normalise). */
export function normalise(image, height, width) {
  let pixels = Float32Array.from(image.data);
  if (hasLightBackground(image)) for (let i = 0; i < pixels.length; i += 1) pixels[i] = 255 - pixels[i];
  pixels = withoutPaper(pixels, image.width, image.height);
  const out = new Uint8Array(height * width);
  let peak = 0;
  for (let i = 0; i < pixels.length; i += 1) peak = Math.max(peak, pixels[i]);
  if (peak < 1.0) return out; // no ink at all: black
  // the brightest 5% of the ink become 255, as MNIST's stroke cores are
  const gain = f32(255.0 / quantile(pixels.filter((value) => value > 0), 0.95));
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = Math.min(f32(pixels[i] * gain), 255);
  const threshold = INK_THRESHOLD * 255.0;
  let top = Infinity, bottom = -1, left = Infinity, right = -1;
  for (let y = 0; y < image.height; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      if (pixels[y * image.width + x] >= threshold) {
        top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  const crop = { width: right - left + 1, height: bottom - top + 1, data: new Uint8Array((right - left + 1) * (bottom - top + 1)) };
  for (let y = 0; y < crop.height; y += 1) {
    for (let x = 0; x < crop.width; x += 1) crop.data[y * crop.width + x] = roundHalfEven(pixels[(top + y) * image.width + left + x]);
  }
  return pasteCentred(fitBox(crop, roundHalfEven(Math.min(height, width) * BOX_FRACTION)), height, width, out);
}

/** Scale so the longer side is `box` pixels, keeping the aspect ratio (Pillow's Lanczos). */
function fitBox(crop, box) {
  const scale = box / Math.max(crop.height, crop.width);
  return resizeLanczos(crop, Math.max(1, roundHalfEven(crop.width * scale)), Math.max(1, roundHalfEven(crop.height * scale)));
}

/** Paste `patch` so that its centre of mass lands on the image's centre (pixel i covers [i, i + 1)). */
function pasteCentred(patch, height, width, out) {
  let total = 0, rowMoment = 0, columnMoment = 0;
  for (let y = 0; y < patch.height; y += 1) {
    for (let x = 0; x < patch.width; x += 1) {
      const value = patch.data[y * patch.width + x];
      total += value; rowMoment += value * (y + 0.5); columnMoment += value * (x + 0.5);
    }
  }
  const [centreY, centreX] = total === 0 ? [patch.height / 2, patch.width / 2] : [rowMoment / total, columnMoment / total];
  const top = Math.min(Math.max(roundHalfEven(height / 2 - centreY), 0), height - patch.height);
  const left = Math.min(Math.max(roundHalfEven(width / 2 - centreX), 0), width - patch.width);
  for (let y = 0; y < patch.height; y += 1) out.set(patch.data.subarray(y * patch.width, (y + 1) * patch.width), (top + y) * width + left);
  return out;
}

/** Inputs -> {count, pixels: Uint8Array (N * height * width)} as the encoder sees them. preprocess: "auto" passes
 * model-ready images through and normalises the rest, "mnist" normalises all, "none" requires the model's size. */
export function readImages(inputs, height, width, preprocess = "auto") {
  if (!["auto", "mnist", "none"].includes(preprocess)) throw new InvalidInputError(`preprocess must be one of ["auto", "mnist", "none"], got ${shown(preprocess)}`);
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.length) throw new InvalidInputError("expected at least one image, got none");
  const pixels = new Uint8Array(list.length * height * width);
  list.forEach((input, index) => {
    const grey = toGrey(input, `input ${index}`);
    if (preprocess === "none" && (grey.width !== width || grey.height !== height)) {
      throw new InvalidInputError(`input ${index}: preprocess "none" needs ${height}x${width} images, got ${grey.height}x${grey.width}`);
    }
    const passes = preprocess === "none" || (preprocess === "auto" && isMnistForm(grey, height, width));
    pixels.set(passes ? grey.data : normalise(grey, height, width), index * height * width);
  });
  return { count: list.length, pixels };
}

// --- "resize" models (fit.py): the model's channels, its size by bilinear passes across then down -----------

/** Inputs -> {count, pixels: Uint8Array (N * height * width * channels, channels last)} for a model whose manifest
 * declares "resize": grey by Pillow's luma, or RGB (alpha composited on black); other sizes resized unless
 * preprocess is "none". */
export function readResized(inputs, height, width, channels, preprocess = "auto") {
  if (!["auto", "none"].includes(preprocess)) {
    throw new InvalidInputError(`preprocess must be "auto" or "none" for a model that resizes its inputs, got ${shown(preprocess)}`);
  }
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.length) throw new InvalidInputError("expected at least one image, got none");
  const size = height * width * channels, pixels = new Uint8Array(list.length * size);
  list.forEach((input, index) => {
    const where = `input ${index}`;
    const planes = channels === 1 ? [toGrey(input, where)] : toPlanes(input, where);
    if (preprocess === "none" && (planes[0].width !== width || planes[0].height !== height)) {
      throw new InvalidInputError(`${where}: preprocess "none" needs ${height}x${width} images, got ${planes[0].height}x${planes[0].width}`);
    }
    const fitted = planes.map((plane) => resizeBilinear(plane, width, height).data);
    for (let p = 0; p < height * width; p += 1) {
      for (let c = 0; c < channels; c += 1) pixels[index * size + p * channels + c] = fitted[c][p];
    }
  });
  return { count: list.length, pixels };
}

/** One input -> its red, green and blue planes (grey images): RGBA data composited on black, grey data repeated. */
function toPlanes(input, where) {
  if (!input || typeof input !== "object" || !Number.isInteger(input.width) || !Number.isInteger(input.height)
      || !(input.data instanceof Uint8Array || input.data instanceof Uint8ClampedArray) || input.data.length !== 4 * input.width * input.height) {
    const grey = toGrey(input, where);
    return [grey, grey, grey];
  }
  const { width, height, data } = input;
  checkSize(width, height, where);
  return [0, 1, 2].map((c) => {
    const plane = new Uint8Array(width * height);
    for (let p = 0; p < plane.length; p += 1) {
      const alpha = data[4 * p + 3];
      plane[p] = alpha === 255 ? data[4 * p + c] : Math.floor((data[4 * p + c] * alpha + 127) / 255);
    }
    return { width, height, data: plane };
  });
}

// --- the pixel convention (convention.py) ------------------------------------------------------------------

/** uint8 pixels (channels last) -> float32 in pixelRange, channels first, as the network takes them. `plane`: height *
 * width (needed with channels > 1). */
export function toModel(pixels, [low, high], channels = 1, plane = pixels.length) {
  const scale = f32((high - low) / 255), offset = f32(low), out = new Float32Array(pixels.length);
  if (channels === 1) {
    for (let i = 0; i < pixels.length; i += 1) out[i] = f32(pixels[i] * scale) + offset; // stored as float32: rounded
    return out;
  }
  for (let i = 0; i < pixels.length; i += 1) {
    const p = i % plane, rest = (i - p) / plane, image = Math.floor(rest / channels), c = rest % channels;
    out[i] = f32(pixels[(image * plane + p) * channels + c] * scale) + offset;
  }
  return out;
}

/** The network's float32 images (channels first) -> uint8 (channels last), clipped, NaN black, halves to even.
 * `plane`: height * width (needed with channels > 1). */
export function fromModel(values, [low, high], channels = 1, plane = values.length) {
  const out = new Uint8Array(values.length);
  const shift = f32(low), span = f32(high - low);
  for (let i = 0; i < values.length; i += 1) {
    let scaled = f32(f32(values[i] - shift) / span);
    scaled = Number.isNaN(scaled) ? 0 : Math.min(Math.max(scaled, 0), 1);
    const p = i % plane, rest = (i - p) / plane; // rest = image * channels + channel
    const target = channels === 1 ? i : ((rest - (rest % channels)) / channels * plane + p) * channels + (rest % channels);
    out[target] = roundHalfEven(f32(scaled * 255));
  }
  return out;
}
