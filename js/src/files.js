// Image files and encoded bytes in Node: a path (string) or the bytes of a PNG or JPEG file (Buffer, Uint8Array)
// become the {width, height, data} that images.js reads, decoded in pure JavaScript (pngjs, jpeg-js). Browsers
// decode with the page's own canvas instead, so browser.js never loads this module.

import { readFile } from "node:fs/promises";

import jpeg from "jpeg-js";
import { PNG } from "pngjs";

import { InvalidInputError } from "./errors.js";
import { MAX_PIXELS } from "./images.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

const startsWith = (bytes, signature) => bytes.length >= signature.length && signature.every((byte, i) => bytes[i] === byte);

/** The format of encoded image bytes ("png" or "jpeg"), or null for anything else (e.g. raw grey pixels). */
export function encodedFormat(bytes) {
  if (!(bytes instanceof Uint8Array)) return null;
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  return startsWith(bytes, JPEG_SIGNATURE) ? "jpeg" : null;
}

/** PNG or JPEG bytes -> an RGBA image {width, height, data}; `where` names the input in errors. */
export function decodeBytes(bytes, where) {
  const format = encodedFormat(bytes);
  try {
    if (format === "png") {
      checkPngSize(bytes, where);
      const { width, height, data } = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    }
    if (format === "jpeg") {
      const maxMemoryUsageInMB = Math.ceil((MAX_PIXELS * 4) / 2 ** 20) + 64;
      const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB,
        maxResolutionInMP: MAX_PIXELS / 1e6 }); // a decompression bomb is refused before its pixels exist
      return { width, height, data };
    }
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`${where}: cannot decode the ${format.toUpperCase()} image: ${error.message}`);
  }
  throw new InvalidInputError(`${where}: expected PNG or JPEG bytes, got ${bytes.length} bytes starting ${Array.from(bytes.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")}`);
}

/** Refuse a PNG bigger than images.js allows from its header (IHDR: width, height), before decoding it. */
function checkPngSize(bytes, where) {
  if (bytes.length < 24) return; // too short to hold a header: pngjs says what is wrong
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const width = view.getUint32(16), height = view.getUint32(20);
  if (width * height > MAX_PIXELS) throw new InvalidInputError(`${where}: ${width}x${height} pixels is more than the ${MAX_PIXELS} allowed`);
}

/** One input as images.js takes it: paths are read and decoded, PNG/JPEG bytes decoded, anything else unchanged. */
export async function decodeInput(input, where) {
  if (typeof input === "string") {
    let bytes;
    try {
      bytes = await readFile(input);
    } catch (error) {
      throw new InvalidInputError(`${where}: cannot read the image file ${input}: ${error.message}`);
    }
    if (!encodedFormat(bytes)) throw new InvalidInputError(`${where}: ${input} is not a PNG or JPEG file`);
    return decodeBytes(bytes, `${where} (${input})`);
  }
  return encodedFormat(input) ? decodeBytes(input, where) : input;
}

/** Every input of a call (one or an array) decoded as `decodeInput` does. */
export async function decodeInputs(inputs) {
  if (!Array.isArray(inputs)) return decodeInput(inputs, "input 0");
  return Promise.all(inputs.map((input, index) => decodeInput(input, `input ${index}`)));
}

/** A grey image {width, height, data: width * height bytes} -> the bytes of a grey PNG file. */
export function encodePNG({ width, height, data }) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || !(data?.length === width * height)) {
    throw new InvalidInputError(`encodePNG: expected a grey image {width, height, data: width * height bytes}, got ${width}x${height} with ${data?.length} values`);
  }
  const image = new PNG({ width, height, colorType: 0 });
  for (let i = 0; i < data.length; i += 1) image.data.fill(data[i], 4 * i, 4 * i + 3).writeUInt8(255, 4 * i + 3);
  return PNG.sync.write(image, { colorType: 0 });
}
