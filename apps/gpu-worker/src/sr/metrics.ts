import { ssimPlane } from "../image/ssim.ts";
import type { RgbImage } from "./image.ts";

/**
 * Luma as the SR literature measures it: MATLAB's rgb2ycbcr (BT.601, studio range 16–235) on 8-bit RGB.
 * Returned as float so PSNR/SSIM see no second rounding.
 */
export function lumaY(image: RgbImage): Float64Array {
  const n = image.width * image.height;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = image.data[i * 3] ?? 0;
    const g = image.data[i * 3 + 1] ?? 0;
    const b = image.data[i * 3 + 2] ?? 0;
    y[i] = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
  }
  return y;
}

function check(a: RgbImage, b: RgbImage, border: number): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`Cannot compare ${a.width}×${a.height} with ${b.width}×${b.height}: sizes differ.`);
  }
  if (a.width <= 2 * border || a.height <= 2 * border) {
    throw new Error(`A ${a.width}×${a.height} image has nothing left after cropping a ${border}px border.`);
  }
}

function cropPlane(p: Float64Array, width: number, height: number, border: number): Float64Array {
  const w = width - 2 * border;
  const h = height - 2 * border;
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    out.set(p.subarray((y + border) * width + border, (y + border) * width + border + w), y * w);
  }
  return out;
}

/** PSNR in dB on Y with peak 255, after cropping `border` pixels (the scale) off every side. ∞ when equal. */
export function psnrY(a: RgbImage, b: RgbImage, border: number): number {
  check(a, b, border);
  const ya = cropPlane(lumaY(a), a.width, a.height, border);
  const yb = cropPlane(lumaY(b), b.width, b.height, border);
  let se = 0;
  for (let i = 0; i < ya.length; i++) se += ((ya[i] ?? 0) - (yb[i] ?? 0)) ** 2;
  const mse = se / ya.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/**
 * SSIM of Wang et al. (2004) on Y: 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, 'valid'
 * windows only, mean over the map; after cropping `border` pixels. 1 when equal.
 */
export function ssimY(a: RgbImage, b: RgbImage, border: number): number {
  check(a, b, border);
  const width = a.width - 2 * border;
  const height = a.height - 2 * border;
  if (width < 11 || height < 11) throw new Error(`SSIM needs at least 11×11 pixels, got ${width}×${height}.`);
  const x = cropPlane(lumaY(a), a.width, a.height, border);
  const y = cropPlane(lumaY(b), b.width, b.height, border);
  return ssimPlane(x, y, width, height, 255);
}
