import sharp from "sharp";

/** 8-bit RGB, interleaved, row-major: what photos decode to and what metrics compare. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Decodes any format sharp reads (JPEG, PNG, …) to 8-bit RGB: alpha dropped, gray expanded. */
export async function decodeRgb(path: string, maxSide?: number): Promise<RgbImage> {
  let pipeline = sharp(path).rotate().removeAlpha().toColourspace("srgb");
  if (maxSide !== undefined) {
    // Photos larger than maxSide are reduced with sharp's Lanczos3 (not our bicubic): this is the HR source
    // and sheds the camera's JPEG noise, the DIV2K practice. Smaller photos are left as they are.
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: "inside", withoutEnlargement: true });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const count = info.width * info.height;
  const rgb = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < 3; c++)
      rgb[i * 3 + c] = data[i * info.channels + Math.min(c, info.channels - 1)] ?? 0;
  }
  return { width: info.width, height: info.height, data: rgb };
}

export function encodePngRgb(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** The top-left crop whose sides are multiples of `scale` ("modcrop"), so LR×scale matches HR exactly. */
export function modCrop(image: RgbImage, scale: number): RgbImage {
  return crop(image, 0, 0, image.width - (image.width % scale), image.height - (image.height % scale));
}

export function crop(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    throw new Error(
      `crop ${width}×${height}+${x}+${y} falls outside the ${image.width}×${image.height} image.`,
    );
  }
  const data = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const s = ((y + r) * image.width + x) * 3;
    data.set(image.data.subarray(s, s + width * 3), r * width * 3);
  }
  return { width, height, data };
}

/** Keys's cubic convolution kernel with a = −0.5, the one MATLAB's imresize uses. */
function cubic(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return 1.5 * ax ** 3 - 2.5 * ax ** 2 + 1;
  if (ax < 2) return -0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2;
  return 0;
}

interface Taps {
  readonly width: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

/**
 * 1-D resampling taps as in MATLAB's imresize(…, 'bicubic'): when shrinking, the kernel is widened by 1/scale
 * (antialiasing); edges are handled by symmetric reflection; each row of weights sums to 1.
 */
function taps(inSize: number, outSize: number): Taps {
  const scale = outSize / inSize;
  const kernelScale = Math.min(scale, 1);
  const kernelWidth = 4 / kernelScale;
  const width = Math.ceil(kernelWidth) + 2;
  const index = new Int32Array(outSize * width);
  const weight = new Float64Array(outSize * width);
  for (let o = 0; o < outSize; o++) {
    const u = (o + 1) / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const j = left + k; // 1-based source position
      const w = kernelScale * cubic(kernelScale * (u - j));
      let src = j - 1;
      // Symmetric padding: −1 → 0, n → n−1.
      while (src < 0 || src >= inSize) src = src < 0 ? -src - 1 : 2 * inSize - src - 1;
      index[o * width + k] = src;
      weight[o * width + k] = w;
      sum += w;
    }
    for (let k = 0; k < width; k++) weight[o * width + k] = (weight[o * width + k] ?? 0) / sum;
  }
  return { width, index, weight };
}

/**
 * Bicubic resize implemented here, not sharp's: sharp's "cubic" is a Catmull-Rom (a = −0.5) without MATLAB's
 * antialiasing widening, while the SR literature's LR inputs (and its bicubic baseline) come from MATLAB's
 * imresize. Separable, float intermediate, rounded and clamped to 8 bits at the end as MATLAB's uint8 path does.
 */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  const h = taps(image.width, width);
  const v = taps(image.height, height);
  const mid = new Float64Array(width * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    const row = y * image.width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < h.width; k++) {
        const w = h.weight[x * h.width + k] ?? 0;
        const s = row + (h.index[x * h.width + k] ?? 0) * 3;
        r += w * (image.data[s] ?? 0);
        g += w * (image.data[s + 1] ?? 0);
        b += w * (image.data[s + 2] ?? 0);
      }
      const o = (y * width + x) * 3;
      mid[o] = r;
      mid[o + 1] = g;
      mid[o + 2] = b;
    }
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < v.width; k++) {
        const w = v.weight[y * v.width + k] ?? 0;
        const s = ((v.index[y * v.width + k] ?? 0) * width + x) * 3;
        r += w * (mid[s] ?? 0);
        g += w * (mid[s + 1] ?? 0);
        b += w * (mid[s + 2] ?? 0);
      }
      const o = (y * width + x) * 3;
      out[o] = Math.min(255, Math.max(0, Math.round(r)));
      out[o + 1] = Math.min(255, Math.max(0, Math.round(g)));
      out[o + 2] = Math.min(255, Math.max(0, Math.round(b)));
    }
  }
  return { width, height, data: out };
}

/** The SR degradation: bicubic downscale by an integer factor (the image must be mod-cropped). */
export function downscale(image: RgbImage, scale: number): RgbImage {
  if (image.width % scale !== 0 || image.height % scale !== 0) {
    throw new Error(`${image.width}×${image.height} is not divisible by ×${scale}: modCrop it first.`);
  }
  return resizeBicubic(image, image.width / scale, image.height / scale);
}
