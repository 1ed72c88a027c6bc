import type { FloatImage } from "./photo-data.ts";

/**
 * Content preservation for style transfer: SSIM between the edge maps of input and output. A stylised image
 * should change colours and texture but keep where the scene's edges are; comparing Sobel gradient
 * magnitudes of luma asks exactly that, and is blind to palette changes that would sink a plain SSIM.
 */

/** A single-channel float image, row-major. */
export interface GrayMap {
  readonly width: number;
  readonly height: number;
  readonly data: Float64Array;
}

/** BT.601 luma of an RGB image in [-1, 1], as [0, 1]. */
export function luma(image: FloatImage): GrayMap {
  const n = image.width * image.height;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = (image.data[i * 3] ?? 0) + 1;
    const g = (image.data[i * 3 + 1] ?? 0) + 1;
    const b = (image.data[i * 3 + 2] ?? 0) + 1;
    data[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 2;
  }
  return { width: image.width, height: image.height, data };
}

/**
 * Sobel gradient magnitude, borders replicated, divided by 4 (the response to a unit step) and clipped to
 * [0, 1], so a full black-to-white edge reads 1 and SSIM's dynamic range is 1.
 */
export function sobelMagnitude(map: GrayMap): GrayMap {
  const { width: w, height: h, data: src } = map;
  const at = (x: number, y: number) =>
    src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))] ?? 0;
  const data = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx =
        at(x + 1, y - 1) +
        2 * at(x + 1, y) +
        at(x + 1, y + 1) -
        at(x - 1, y - 1) -
        2 * at(x - 1, y) -
        at(x - 1, y + 1);
      const gy =
        at(x - 1, y + 1) +
        2 * at(x, y + 1) +
        at(x + 1, y + 1) -
        at(x - 1, y - 1) -
        2 * at(x, y - 1) -
        at(x + 1, y - 1);
      data[y * w + x] = Math.min(1, Math.hypot(gx, gy) / 4);
    }
  }
  return { width: w, height: h, data };
}

function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i] ?? 0;
  }
  for (let i = 0; i < size; i++) k[i] = (k[i] ?? 0) / sum;
  return k;
}

/** Separable "valid" Gaussian filtering: the output shrinks by size − 1 on each axis. */
function blur(
  src: Float64Array,
  w: number,
  h: number,
  k: Float64Array,
): { data: Float64Array; w: number; h: number } {
  const s = k.length;
  const ow = w - s + 1;
  const oh = h - s + 1;
  const rows = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let i = 0; i < s; i++) acc += (k[i] ?? 0) * (src[y * w + x + i] ?? 0);
      rows[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let i = 0; i < s; i++) acc += (k[i] ?? 0) * (rows[(y + i) * ow + x] ?? 0);
      out[y * ow + x] = acc;
    }
  }
  return { data: out, w: ow, h: oh };
}

/**
 * Mean SSIM (Wang et al. 2004: 11×11 Gaussian window, σ 1.5, K1 0.01, K2 0.03) of two maps of the same size
 * with values in [0, `range`]. Identical maps give exactly 1.
 */
export function ssim(a: GrayMap, b: GrayMap, range = 1): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`SSIM needs maps of one size, got ${a.width}×${a.height} and ${b.width}×${b.height}.`);
  }
  const size = Math.min(11, a.width, a.height);
  const k = gaussianKernel(size, 1.5);
  const { width: w, height: h } = a;
  const ab = new Float64Array(w * h);
  const aa = new Float64Array(w * h);
  const bb = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const x = a.data[i] ?? 0;
    const y = b.data[i] ?? 0;
    ab[i] = x * y;
    aa[i] = x * x;
    bb[i] = y * y;
  }
  const muA = blur(a.data, w, h, k);
  const muB = blur(b.data, w, h, k).data;
  const sAA = blur(aa, w, h, k).data;
  const sBB = blur(bb, w, h, k).data;
  const sAB = blur(ab, w, h, k).data;
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  const n = muA.w * muA.h;
  for (let i = 0; i < n; i++) {
    const ma = muA.data[i] ?? 0;
    const mb = muB[i] ?? 0;
    const va = (sAA[i] ?? 0) - ma * ma;
    const vb = (sBB[i] ?? 0) - mb * mb;
    const cov = (sAB[i] ?? 0) - ma * mb;
    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  return total / n;
}

/** SSIM between the Sobel edge maps of two RGB images of one size (values in [-1, 1]). */
export function edgeSsim(input: FloatImage, output: FloatImage): number {
  return ssim(sobelMagnitude(luma(input)), sobelMagnitude(luma(output)));
}
