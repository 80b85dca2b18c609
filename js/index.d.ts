// Types of the infogan-sdk JavaScript package (the same API in Node and in browsers).

export class InfoGANError extends Error {}
/** The model folder is missing or its files do not match the manifest (size, sha256). */
export class CorruptModelError extends InfoGANError {}
/** The manifest or ONNX files describe a model this package cannot run. */
export class IncompatibleModelError extends InfoGANError {}
/** An argument or image is not what the call accepts; the message says what was expected and what arrived. */
export class InvalidInputError extends InfoGANError {}

/** A grey image: width * height bytes, row-major, or RGBA (4 bytes a pixel, as ImageData). */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}
/** What `infer` reads: ImageData, a canvas (HTMLCanvasElement or OffscreenCanvas), a grey image, or a bare
 * Uint8Array holding a square grey image (784 values: 28x28). In Node also a PNG or JPEG file's path (string) or
 * its bytes (Buffer, Uint8Array), decoded by the package. */
export type ImageInput = GreyImage | ImageData | Uint8Array | string | { width: number; height: number; getContext(kind: "2d"): unknown };
export type Floats = number | number[] | Float32Array;
export type Rows = number[] | number[][] | Float32Array;

export interface LoadOptions {
  /** onnxruntime-node's intra-op threads (Node only; browsers use onnxruntime-web's `env.wasm.numThreads`). */
  threads?: number;
  /** Check each file's sha256 against the manifest (default true). */
  verify?: boolean;
}

/** A categorical value by its label ("sneaker") or its index (3, or "3" where no label is "3"). */
export type Label = string | number;

export interface GenerateOptions {
  /** The categorical codes by label or index (`categoricalCodes` lists them): one for the first code, a list (one per
   * image), or {code name: label or list} for any codes. */
  classes?: Label | Label[] | Record<string, Label | Label[]>;
  /** MNIST models: 0-9, one digit for all images, or one per image. */
  digits?: number | number[];
  /** Raw categorical values (what `codes` holds), instead of digits. */
  categorical?: number | number[] | number[][];
  /** Number of images when nothing else fixes it (default 1). */
  count?: number;
  /** Seeds this package's own generator (xoshiro128**): the same images in every JS runtime, not Python's numpy. */
  seed?: number;
  rotation?: Floats;
  thickness?: Floats;
  width?: Floats;
  /** Every continuous code ((N, k) or (k,)), or some by name. */
  continuous?: Rows | Record<string, Floats>;
  /** (N, noiseSize) or (noiseSize,). */
  noise?: Rows;
  /** Allow continuous values outside the range the model was trained on (refused otherwise: images there are
   * extrapolations). */
  beyondRange?: boolean;
}

export interface Latents {
  count: number;
  /** (N * nCategorical) raw categorical values. */
  codes: Int32Array;
  /** (N * k) continuous codes, in the named codes' basis (positive = leans right, wider, thicker). */
  continuous: Float32Array;
  /** (N * noiseSize). */
  noise: Float32Array;
}

export interface CategoricalCode {
  name: string;
  index: number;
  /** labels[k] names value k (format 1 folders: the first code is "digit", labelled through code_to_digit). */
  labels: string[];
}

export interface ContinuousCode {
  name: string;
  index: number;
  direction: 1 | -1;
  axis: number[];
  /** The values the trained prior gives this code: the spec's range, wider for a turned code (to 1.41); values
   * outside it are refused unless beyondRange. */
  range: [number, number];
  sweep: [number, number];
  effects: Record<string, number>;
}

export class Images implements Latents {
  count: number;
  height: number;
  width: number;
  /** 1 grey, 3 RGB. */
  channels: number;
  /** (N * height * width * channels) uint8, channels last (MNIST: white digit on black). */
  pixels: Uint8Array;
  codes: Int32Array;
  continuous: Float32Array;
  noise: Float32Array;
  /** (N) MNIST models: the digit of each image (-1 for models whose first code is not digits, or without one). */
  digits: Int32Array;
  categoricalCodes: CategoricalCode[];
  continuousNames: string[];
  /** For edit and reconstruct: the encoder's reading of the images. */
  source?: Reading;
  /** For reconstruct: 1 - pixel correlation with the image as the encoder saw it. */
  reconstructionError?: Float32Array;
  /** Image i (height * width * channels bytes, a view). */
  image(i: number): Uint8Array;
  /** Image i as RGBA bytes for `new ImageData(rgba, width, height)`. */
  rgba(i: number): Uint8ClampedArray;
  /** Per image, the label of each categorical code's value. */
  classes(): string[][];
}

export class Reading extends Images {
  /** (N * k) the first code's probabilities: of each digit on MNIST models, of each value otherwise. */
  probabilities: Float32Array;
  /** Per categorical code, (N * size) the probability of each value. */
  codeProbabilities: Float32Array[];
  /** Per image and code, the probability of the value read. */
  classProbability(): number[][];
  /** (N) the discriminator's logit (> 0: looks real to it); deprecated where the manifest's realness.deprecated says
   * so (the bundled models: no better than chance at telling real from generated; use isDigit). */
  realness: Float32Array;
  /** (N) higher = more like a digit; null for models without a digit score. */
  digitScore: Float32Array | null;
  /** Whether each image is a digit at all (score >= the manifest's threshold, and some ink); null without a score. */
  isDigit: boolean[] | null;
  /** (N) higher = more like the model's training images (MNIST models: digitScore); null without a score. */
  domainScore: Float32Array | null;
  /** Whether each image is one of the model's kind (score >= the manifest's in_domain threshold; MNIST models:
   * isDigit); null without a score or threshold. */
  inDomain: boolean[] | null;
  noise: Float32Array;
  continuousStd: Float32Array | null;
  /** The codes read, for `Generator.render`. */
  latents(): Latents;
  toRecords(): Array<{ classes?: Record<string, string>; classProbabilities?: Record<string, number>; digit: number; probabilities: number[]; continuous: Record<string, number>; realness: number; digitScore?: number; isDigit?: boolean; domainScore?: number; inDomain?: boolean }>;
}

declare class Model {
  spec: {
    noiseSize: number; categoricalSizes: number[]; nContinuous: number; continuousRange: [number, number];
    pixelRange: [number, number]; channels: number; height: number; width: number;
  };
  /** MNIST models: the digit each value of the first code draws; [] for other models. */
  codeToDigit: number[];
  categoricalCodes: CategoricalCode[];
  categoricalNames: string[];
  continuousNames: string[];
  continuousCodes: ContinuousCode[];
  /** The manifest. */
  info: Record<string, unknown>;
}

export class Generator extends Model {
  /** A model folder: a path in Node (default: the bundled "mnist"), a URL in a browser. */
  static load(folder?: string | URL, options?: LoadOptions): Promise<Generator>;
  generate(options?: GenerateOptions): Promise<Images>;
  traverse(options?: { digit?: number; classes?: GenerateOptions["classes"]; code?: string | number; values?: number[]; seed?: number; beyondRange?: boolean }): Promise<Images>;
  latents(options?: GenerateOptions): Latents;
  render(latents: Latents): Promise<Images>;
  reconstruct(images: ImageInput | ImageInput[], options?: { preprocess?: Preprocess }): Promise<Images>;
  edit(images: ImageInput | ImageInput[], options?: { digit?: number | number[]; rotation?: Floats; thickness?: Floats; width?: Floats; continuous?: Rows | Record<string, Floats>; beyondRange?: boolean; preprocess?: Preprocess }): Promise<Images>;
  canEdit(): Promise<boolean>;
}

export type Preprocess = "auto" | "mnist" | "none";

export class Encoder extends Model {
  static load(folder?: string | URL, options?: LoadOptions): Promise<Encoder>;
  hasNoise: boolean;
  hasDigitScore: boolean;
  digitThreshold: number | null;
  /** Whether `infer` reports domainScore (the model's "is this one of mine" score; MNIST models': the digit score). */
  hasDomainScore: boolean;
  domainThreshold: number | null;
  infer(images: ImageInput | ImageInput[], options?: { preprocess?: Preprocess }): Promise<Reading>;
  preprocess(images: ImageInput | ImageInput[], options?: { preprocess?: Preprocess }): { count: number; pixels: Uint8Array };
}

/** Node only: a grey image {width, height, data: width * height bytes} (e.g. `images.image(i)` of a 28x28 model)
 * as the bytes of a PNG file. */
export function encodePNG(image: GreyImage): Uint8Array;
