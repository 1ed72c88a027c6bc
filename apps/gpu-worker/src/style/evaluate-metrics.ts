import { ssimPlane } from "../image/ssim.ts";
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

/**
 * Mean SSIM (Wang et al. 2004: 11×11 Gaussian window, σ 1.5, K1 0.01, K2 0.03) of two maps of the same size
 * with values in [0, `range`]. Identical maps give exactly 1.
 */
export function ssim(a: GrayMap, b: GrayMap, range = 1): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`SSIM needs maps of one size, got ${a.width}×${a.height} and ${b.width}×${b.height}.`);
  }
  return ssimPlane(a.data, b.data, a.width, a.height, range, Math.min(11, a.width, a.height));
}

/** SSIM between the Sobel edge maps of two RGB images of one size (values in [-1, 1]). */
export function edgeSsim(input: FloatImage, output: FloatImage): number {
  return ssim(sobelMagnitude(luma(input)), sobelMagnitude(luma(output)));
}
