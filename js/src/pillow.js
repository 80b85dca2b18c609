// Dependency-free, bit-exact ports of two Pillow operations on 8-bit grey
// ("L" mode) images.
//
// A grey image is `{ width, height, data: Uint8Array }`, row-major, one byte
// per pixel (exactly what `numpy.asarray(pil_image)` holds for mode "L").
//
// Exports:
//   resizeLanczos(image, newWidth, newHeight)
//       == Image.fromarray(a).resize((newWidth, height), LANCZOS).resize((newWidth, newHeight), LANCZOS)
//   medianFilter3(image)
//       == Image.fromarray(a).filter(ImageFilter.MedianFilter(3))
//
// Sources mirrored (python-pillow/Pillow):
//   src/PIL/Image.py            Image.resize
//   src/_imaging.c              _resize (the C entry point behind Image.im.resize)
//   src/libImaging/Resample.c   lanczos_filter, sinc_filter, precompute_coeffs,
//                               normalize_coeffs_8bpc, clip8,
//                               _ImagingResampleHorizontal_8bpc,
//                               _ImagingResampleVertical_8bpc,
//                               ImagingResampleInner (which pass runs)
//   src/PIL/ImageFilter.py      RankFilter.filter, MedianFilter
//   src/libImaging/Filter.c     ImagingExpand
//   src/libImaging/RankFilter.c ImagingRankFilter
//
// Everything here is pure: no module-level state is created or mutated beyond
// the constants below.

/**
 * Fixed-point precision of the 8-bit resampler: 32 bits of int, minus 8 bits
 * for the pixel value, minus 2 bits of headroom because Lanczos coefficients
 * can be negative and their positive parts can sum to more than 1.
 * Mirrors `#define PRECISION_BITS (32 - 8 - 2)` in Resample.c.
 */
const PRECISION_BITS = 32 - 8 - 2;

/** `1 << PRECISION_BITS`, the fixed-point unit used by normalize_coeffs_8bpc. */
const FIXED_ONE = 1 << PRECISION_BITS;

/**
 * Initial value of every accumulator in the 8bpc passes, so that the final
 * `>> PRECISION_BITS` rounds to nearest instead of flooring.
 * Mirrors `ss0 = 1 << (PRECISION_BITS - 1)` in _ImagingResample*_8bpc.
 */
const ROUND_HALF = 1 << (PRECISION_BITS - 1);

/** Support (half-width) of the Lanczos-3 kernel: `LANCZOS = {lanczos_filter, 3.0}`. */
const LANCZOS_SUPPORT = 3.0;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Throw unless `image` looks like a grey image with a matching buffer. */
function checkImage(image, what) {
  if (!image || !(image.data instanceof Uint8Array)) {
    throw new TypeError(`${what}: image.data must be a Uint8Array`);
  }
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what}: width and height must be integers >= 1`);
  }
  if (data.length !== width * height) {
    throw new RangeError(`${what}: data.length ${data.length} != width*height ${width * height}`);
  }
}

/** Throw unless `n` is a valid output dimension (same rule as _imaging.c _resize). */
function checkSize(n, name) {
  if (!Number.isInteger(n) || n < 1) {
    // _resize: "height and width must be > 0"
    throw new RangeError(`resizeLanczos: ${name} must be an integer > 0, got ${n}`);
  }
}

/** Fresh image that owns a copy of the pixels (Image.copy / ImagingCopy). */
function copyImage(image) {
  return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
}

// ---------------------------------------------------------------------------
// Lanczos kernel (Resample.c: sinc_filter, lanczos_filter)
// ---------------------------------------------------------------------------

/**
 * Normalised sinc. Mirrors sinc_filter: exact 1.0 at 0, else sin(pi x)/(pi x)
 * computed in that order (multiply by M_PI first, then sin(x)/x).
 *
 * Math.sin (V8) and glibc's sin (what Pillow's C calls) are both within one
 * ulp of the true value but differ by one ulp for ~3% of arguments. That
 * cannot change the output: the resulting relative error of a normalised tap
 * is ~1e-15, i.e. <= ~4e-9 of a fixed-point unit, while for every in/out size
 * pair up to 300x300 each tap's `k * 2^22 +- 0.5` lies at least 1.7e-8 away from
 * the integer where normalize_coeffs_8bpc's truncation would flip (checked
 * exhaustively when this port was written). So the integer taps, and hence
 * the bytes, are identical. (Far larger sizes are not covered by that bound.)
 */
function sinc(x) {
  if (x === 0.0) {
    return 1.0;
  }
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/**
 * Lanczos-3 window. Mirrors lanczos_filter, including its half-open bounds
 * test `-3.0 <= x && x < 3.0` (x == +3 gives 0, x == -3 evaluates the product,
 * which is sin(-3pi)/(-3pi) * sin(-pi)/(-pi): ~1e-33, not exactly 0; kept for
 * fidelity even though it never survives the fixed-point rounding).
 */
function lanczos(x) {
  if (-3.0 <= x && x < 3.0) {
    return sinc(x) * sinc(x / 3);
  }
  return 0.0;
}

const LANCZOS = { support: LANCZOS_SUPPORT, weight: lanczos };
const BILINEAR = { support: 1.0, weight: (x) => bilinear(x) };

// ---------------------------------------------------------------------------
// Coefficients (Resample.c: precompute_coeffs, normalize_coeffs_8bpc)
// ---------------------------------------------------------------------------

/**
 * Per-output-pixel filter taps for resampling one axis from `inSize` to
 * `outSize` over the full box [0, inSize].
 *
 * Mirrors precompute_coeffs(inSize, in0 = 0, in1 = inSize, outSize, &LANCZOS):
 *  - scale = (in1 - in0) / outSize; the filter is widened only when shrinking
 *    (filterscale = max(scale, 1)), so support = 3 * filterscale;
 *  - ksize = ceil(support) * 2 + 1 slots per output pixel (the row stride);
 *  - center = in0 + (xx + 0.5) * scale;
 *  - xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5):
 *    C casts truncate toward zero, hence Math.trunc (not floor); then clamp to
 *    [0, inSize] and store xmax as a tap *count* (xmax - xmin);
 *  - tap x gets lanczos((x + xmin - center + 0.5) * (1 / filterscale)); note the
 *    multiplication by the precomputed reciprocal, not a division;
 *  - taps are divided by their sum when that sum is non-zero.
 *
 * The box corners are C `float`s in Pillow; for the full box they are the
 * integers 0 and inSize, which are exact in float32 (inSize < 2**24), so
 * plain doubles give identical results.
 *
 * @returns {{ksize: number, bounds: Int32Array, coeffs: Float64Array}}
 *   bounds[2*i] = first input index, bounds[2*i+1] = number of taps;
 *   coeffs[i*ksize + t] = weight of input (bounds[2*i] + t).
 */
function precomputeCoeffs(inSize, outSize, filter = LANCZOS) {
  const in0 = 0;
  const in1 = inSize;
  const scale = (in1 - in0) / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const invFilterscale = 1.0 / filterscale;

  const bounds = new Int32Array(outSize * 2);
  // Float64Array starts zeroed, which matches the C code zero-filling the
  // unused tail [count, ksize) of each row.
  const coeffs = new Float64Array(outSize * ksize);

  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) {
      xmin = 0;
    }
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) {
      xmax = inSize;
    }
    const count = xmax - xmin;
    const row = xx * ksize;
    let ww = 0.0;
    for (let x = 0; x < count; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * invFilterscale);
      coeffs[row + x] = w;
      ww += w;
    }
    if (ww !== 0.0) {
      for (let x = 0; x < count; x++) {
        coeffs[row + x] /= ww;
      }
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = count;
  }
  return { ksize, bounds, coeffs };
}

/**
 * Convert double taps to PRECISION_BITS fixed point.
 * Mirrors normalize_coeffs_8bpc: round half away from zero, done as
 * `(int)(v * 2^22 - 0.5)` for negative v and `(int)(v * 2^22 + 0.5)` otherwise
 * (C int casts truncate toward zero, hence Math.trunc).
 *
 * @param {Float64Array} coeffs
 * @returns {Int32Array}
 */
function normalizeCoeffs8bpc(coeffs) {
  const fixed = new Int32Array(coeffs.length);
  for (let i = 0; i < coeffs.length; i++) {
    const v = coeffs[i];
    fixed[i] = v < 0 ? Math.trunc(-0.5 + v * FIXED_ONE) : Math.trunc(0.5 + v * FIXED_ONE);
  }
  return fixed;
}

/**
 * Fixed-point accumulator -> byte. Mirrors clip8 in Resample.c:
 * `clip8_lookups[in >> PRECISION_BITS]`, a table that is 0 below 0 and 255
 * above 255. The accumulator always fits in an int32 (that is what the two
 * headroom bits of PRECISION_BITS guarantee), so JS `>>` is the same
 * arithmetic shift as in C.
 */
function clip8(ss) {
  const v = ss >> PRECISION_BITS;
  if (v < 0) {
    return 0;
  }
  return v > 255 ? 255 : v;
}

/** Fixed-point taps for one axis: precompute_coeffs followed by normalize_coeffs_8bpc. */
function fixedCoeffs(inSize, outSize, filter) {
  const { ksize, bounds, coeffs } = precomputeCoeffs(inSize, outSize, filter);
  return { ksize, bounds, kk: normalizeCoeffs8bpc(coeffs) };
}

// ---------------------------------------------------------------------------
// The two passes (Resample.c: _ImagingResampleHorizontal_8bpc /
// _ImagingResampleVertical_8bpc, the `imIn->image8` branches)
// ---------------------------------------------------------------------------

/**
 * Resample every row of `src` to `outWidth` columns.
 * Mirrors _ImagingResampleHorizontal_8bpc: integer multiply-accumulate of
 * byte * fixed tap, starting at ROUND_HALF, then clip8. (Pillow only computes
 * the rows the vertical pass will read; the values of those rows are the same.)
 */
function resampleHorizontal8bpc(src, outWidth, filter = LANCZOS) {
  const { width: inWidth, height, data } = src;
  const { ksize, bounds, kk } = fixedCoeffs(inWidth, outWidth, filter);
  const out = new Uint8Array(outWidth * height);
  for (let yy = 0; yy < height; yy++) {
    const lineIn = yy * inWidth;
    const lineOut = yy * outWidth;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const count = bounds[xx * 2 + 1];
      const k = xx * ksize;
      let ss = ROUND_HALF;
      for (let x = 0; x < count; x++) {
        ss += data[lineIn + xmin + x] * kk[k + x];
      }
      out[lineOut + xx] = clip8(ss);
    }
  }
  return { width: outWidth, height, data: out };
}

/**
 * Resample every column of `src` to `outHeight` rows.
 * Mirrors _ImagingResampleVertical_8bpc (same arithmetic as the horizontal
 * pass, taps indexed by output row).
 */
function resampleVertical8bpc(src, outHeight, filter = LANCZOS) {
  const { width, height: inHeight, data } = src;
  const { ksize, bounds, kk } = fixedCoeffs(inHeight, outHeight, filter);
  const out = new Uint8Array(width * outHeight);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2];
    const count = bounds[yy * 2 + 1];
    const k = yy * ksize;
    const lineOut = yy * width;
    for (let xx = 0; xx < width; xx++) {
      let ss = ROUND_HALF;
      for (let y = 0; y < count; y++) {
        ss += data[(ymin + y) * width + xx] * kk[k + y];
      }
      out[lineOut + xx] = clip8(ss);
    }
  }
  return { width, height: outHeight, data: out };
}

/**
 * Lanczos resize of a grey image: the horizontal pass, then the vertical one, each only where its axis changes
 * size. Bit-identical to `Image.fromarray(a).resize((newWidth, a.shape[0]), LANCZOS).resize((newWidth, newHeight),
 * LANCZOS)` in every Pillow release, which is how the Python SDK resizes (preprocess.py _fit_box): Pillow's own
 * two-axis resize picks the pass order by version (always horizontal first up to 12.1; 12.2 and 13 sometimes
 * vertical first), and the 8-bit image between the passes makes the order show in the bytes.
 *
 * Mirrors Image.resize + _imaging.c _resize + ImagingResampleInner for mode "L": the same size gives a copy
 * (Image.resize returns `self.copy()`); a one-axis resize is a single pass.
 *
 * @param {{width:number, height:number, data:Uint8Array}} image
 * @param {number} newWidth  integer >= 1
 * @param {number} newHeight integer >= 1
 * @returns {{width:number, height:number, data:Uint8Array}} a new image
 */
export function resizeLanczos(image, newWidth, newHeight) {
  checkImage(image, 'resizeLanczos');
  checkSize(newWidth, 'newWidth');
  checkSize(newHeight, 'newHeight');
  const { width, height } = image;
  if (width === newWidth && height === newHeight) {
    return copyImage(image);
  }
  const wide = width === newWidth ? image : resampleHorizontal8bpc(image, newWidth);
  return height === newHeight ? wide : resampleVertical8bpc(wide, newHeight);
}

/** Pillow's BILINEAR filter (Resample.c bilinear_filter): a triangle of support 1. */
function bilinear(x) {
  const a = Math.abs(x);
  return a < 1.0 ? 1.0 - a : 0.0;
}

/**
 * Resize one axis at a time, across then down, as `Image.resize(..., BILINEAR)` on each axis alone
 * (infogan_sdk/images/fit.py brings a "resize" model's inputs to its size this way).
 *
 * @param {{width:number, height:number, data:Uint8Array}} image grey, width*height bytes
 * @returns {{width:number, height:number, data:Uint8Array}} a new image
 */
export function resizeBilinear(image, newWidth, newHeight) {
  checkImage(image, 'resizeBilinear');
  checkSize(newWidth, 'newWidth');
  checkSize(newHeight, 'newHeight');
  const { width, height } = image;
  if (width === newWidth && height === newHeight) {
    return copyImage(image);
  }
  const wide = width === newWidth ? image : resampleHorizontal8bpc(image, newWidth, BILINEAR);
  return height === newHeight ? wide : resampleVertical8bpc(wide, newHeight, BILINEAR);
}

// ---------------------------------------------------------------------------
// Median filter (ImageFilter.RankFilter / Filter.c ImagingExpand /
// RankFilter.c ImagingRankFilter)
// ---------------------------------------------------------------------------

/** Clamp an index into [0, n - 1]. */
function clampIndex(i, n) {
  if (i < 0) {
    return 0;
  }
  return i >= n ? n - 1 : i;
}

/**
 * The 5th smallest (rank 4, 0-based) of the 9 values in `buf`, found by an
 * insertion sort in place. ImagingRankFilter uses Wirth's selection algorithm,
 * but the k-th order statistic of a multiset is unique, so any exact
 * selection gives the same byte.
 */
function medianOf9(buf) {
  for (let i = 1; i < 9; i++) {
    const v = buf[i];
    let j = i - 1;
    while (j >= 0 && buf[j] > v) {
      buf[j + 1] = buf[j];
      j--;
    }
    buf[j + 1] = v;
  }
  return buf[4];
}

/**
 * 3x3 median filter, bit-identical to `image.filter(ImageFilter.MedianFilter(3))`
 * on mode "L".
 *
 * Pillow: MedianFilter(3) is RankFilter(size=3, rank=3*3//2=4). Its .filter()
 * first calls `image.expand(1)` (ImagingExpand), which pads each side by one
 * pixel replicating the nearest edge pixel (rows and columns, corners
 * included); ImagingRankFilter then returns, for each pixel of the original
 * extent, the rank-4 value of its 3x3 window in the padded image. So the
 * output has the input's size and the border behaves as "edge replicate".
 * Here the padding is done implicitly by clamping indices, which reads the
 * same values.
 *
 * @param {{width:number, height:number, data:Uint8Array}} image
 * @returns {{width:number, height:number, data:Uint8Array}} a new image
 */
export function medianFilter3(image) {
  checkImage(image, 'medianFilter3');
  const { width, height, data } = image;
  const out = new Uint8Array(width * height);
  const buf = new Uint8Array(9);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const row = clampIndex(y + dy, height) * width;
        for (let dx = -1; dx <= 1; dx++) {
          buf[n++] = data[row + clampIndex(x + dx, width)];
        }
      }
      out[y * width + x] = medianOf9(buf);
    }
  }
  return { width, height, data: out };
}
