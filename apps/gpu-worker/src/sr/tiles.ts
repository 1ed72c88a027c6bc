import type * as tfCore from "@tensorflow/tfjs-core";

type Tf = typeof tfCore;

/** Float pixels, HWC interleaved, in whatever range the upscaler takes (0–1 ours, 0–255 UpscalerJS). */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** One forward pass: [1, h, w, c] → [1, h·scale, w·scale, c]. The caller owns range mapping. */
export type UpscaleFn = (lr: tfCore.Tensor4D) => tfCore.Tensor4D;
/**
 * The same pass on a runtime that answers asynchronously (onnxruntime): it owns its intermediates and returns
 * a new tensor; the input stays the caller's.
 */
export type AsyncUpscaleFn = { async: (lr: tfCore.Tensor4D) => Promise<tfCore.Tensor4D> };

export interface TileOptions {
  /** Core tile side in input pixels; memory per pass is bounded by (tile + 2·overlap)². Default 128. */
  tile?: number;
  /**
   * Context added on each side of a tile, in input pixels (default 16). Output is exact (equals the untiled
   * pass) when the model's receptive radius ≤ overlap − blend.
   */
  overlap?: number;
  /** Half-width of the linear cross-fade across each tile boundary, in input pixels (default 4). */
  blend?: number;
}

/** Splits [0, size) into n near-equal cores of at most `tile`, so no core is a sliver. */
function cores(size: number, tile: number): [number, number][] {
  const n = Math.max(1, Math.ceil(size / tile));
  return Array.from({ length: n }, (_, i) => [Math.round((i * size) / n), Math.round(((i + 1) * size) / n)]);
}

/**
 * Weight of output coordinate p (in output pixels) for a core [c0, c1) (in output pixels) whose neighbours
 * cross-fade over ±bb around each shared boundary; the two ramps at a boundary sum to 1.
 */
function weight(p: number, c0: number, c1: number, hasPrev: boolean, hasNext: boolean, bb: number): number {
  let w = 1;
  if (hasPrev && p < c0 + bb) w = Math.min(w, (p - (c0 - bb) + 0.5) / (2 * bb));
  if (hasNext && p >= c1 - bb) w = Math.min(w, (c1 + bb - p - 0.5) / (2 * bb));
  return w;
}

/**
 * Upscales an image of any size in bounded memory: overlapping tiles, each run with `overlap` pixels of real
 * context around it, cross-faded over `blend` pixels at the seams (weights sum to 1, so the blend is exact
 * wherever neighbouring tiles agree). One tile's tensors are alive at a time.
 */
export async function upscaleTiled(
  tf: Tf,
  run: UpscaleFn | AsyncUpscaleFn,
  image: FloatImage,
  scale: number,
  options: TileOptions = {},
): Promise<FloatImage> {
  const tile = options.tile ?? 128;
  const overlap = options.overlap ?? 16;
  const { width, height, channels } = image;
  const xs = cores(width, tile);
  const ys = cores(height, tile);
  const smallest = Math.min(...[...xs, ...ys].map(([a, b]) => b - a));
  // A cross-fade wider than half the smallest core would reach past the next boundary.
  const blend = Math.max(0, Math.min(options.blend ?? 4, overlap, Math.floor(smallest / 2)));
  const ow = width * scale;
  const oh = height * scale;
  const acc = new Float32Array(ow * oh * channels);
  const wsum = new Float32Array(ow * oh);
  const bb = blend * scale;
  for (const [yi, [cy0, cy1]] of ys.entries()) {
    for (const [xi, [cx0, cx1]] of xs.entries()) {
      const px0 = Math.max(0, cx0 - overlap);
      const py0 = Math.max(0, cy0 - overlap);
      const px1 = Math.min(width, cx1 + overlap);
      const py1 = Math.min(height, cy1 + overlap);
      const pw = px1 - px0;
      const ph = py1 - py0;
      const patch = new Float32Array(pw * ph * channels);
      for (let r = 0; r < ph; r++) {
        const s = ((py0 + r) * width + px0) * channels;
        patch.set(image.data.subarray(s, s + pw * channels), r * pw * channels);
      }
      const input = tf.tensor4d(patch, [1, ph, pw, channels]);
      let out: tfCore.Tensor4D;
      try {
        out = typeof run === "function" ? tf.tidy(() => run(input)) : await run.async(input);
      } finally {
        input.dispose();
      }
      let values: Float32Array;
      try {
        if (out.shape[1] !== ph * scale || out.shape[2] !== pw * scale || out.shape[3] !== channels) {
          throw new Error(
            `The upscaler returned ${out.shape.join("×")} for a ${ph}×${pw} tile: is its scale ×${scale}?`,
          );
        }
        values = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
      const opw = pw * scale;
      // The region this tile contributes: its core plus the cross-fade zones, in output pixels.
      const ax0 = Math.max(0, cx0 - blend) * scale;
      const ax1 = Math.min(width, cx1 + blend) * scale;
      const ay0 = Math.max(0, cy0 - blend) * scale;
      const ay1 = Math.min(height, cy1 + blend) * scale;
      for (let y = ay0; y < ay1; y++) {
        const wy = weight(y, cy0 * scale, cy1 * scale, yi > 0, yi < ys.length - 1, bb);
        for (let x = ax0; x < ax1; x++) {
          const w = wy * weight(x, cx0 * scale, cx1 * scale, xi > 0, xi < xs.length - 1, bb);
          if (w <= 0) continue;
          const s = ((y - py0 * scale) * opw + (x - px0 * scale)) * channels;
          const o = y * ow + x;
          for (let c = 0; c < channels; c++)
            acc[o * channels + c] = (acc[o * channels + c] ?? 0) + w * (values[s + c] ?? 0);
          wsum[o] = (wsum[o] ?? 0) + w;
        }
      }
    }
  }
  for (let i = 0; i < wsum.length; i++) {
    const w = wsum[i] ?? 1;
    for (let c = 0; c < channels; c++) acc[i * channels + c] = (acc[i * channels + c] ?? 0) / w;
  }
  return { width: ow, height: oh, channels, data: acc };
}

/** The untiled pass, for small images and for checking the tiled one. */
export async function upscaleWhole(
  tf: Tf,
  run: UpscaleFn,
  image: FloatImage,
  scale: number,
): Promise<FloatImage> {
  const input = tf.tensor4d(image.data, [1, image.height, image.width, image.channels]);
  const out = tf.tidy(() => run(input));
  input.dispose();
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return { width: image.width * scale, height: image.height * scale, channels: image.channels, data };
}
