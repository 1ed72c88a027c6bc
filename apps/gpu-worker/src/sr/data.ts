import { readdir } from "node:fs/promises";
import { join, parse } from "node:path";
import { decodeRgb, downscale, modCrop, type RgbImage } from "./image.ts";

/** Where infra/setup/sr-data.sh puts the photos (gitignored). */
export const SR_DATA_DIR = join(".ganvas", "data", "sr");
export const TRAIN_DIR = join(SR_DATA_DIR, "train");
export const EVAL_DIR = join(SR_DATA_DIR, "eval");

/**
 * The held-out set, never trained on: classic photographs from Debian's python3-skimage data folder and the
 * opencv-doc samples. Synthetic images (board.jpg, pic1.png) and the painting are left out on purpose.
 */
export const EVAL_IMAGES = [
  "astronaut.png",
  "coffee.png",
  "chelsea.png",
  "rocket.jpg",
  "motorcycle_left.png",
  "hubble_deep_field.jpg",
  "camera.png",
  "baboon.jpg",
  "fruits.jpg",
  "butterfly.jpg",
] as const;

const missing = (dir: string) =>
  `No photos in ${dir}: run \`bash infra/setup/sr-data.sh\` first (it downloads and extracts them, no install).`;

/** A training photo held at full (HR) resolution and its bicubic LR, downscaled once from the whole photo. */
export interface TrainingPhoto {
  readonly name: string;
  readonly hr: RgbImage;
  readonly lr: RgbImage;
}

export interface LoadTrainingOptions {
  scale: number;
  dir?: string;
  /**
   * Each photo is loaded once per side listed, reduced (sharp Lanczos3) so its longer side is at most that; default
   * [1600]. Smaller renderings carry more detail per pixel, like the held-out photos (a few hundred pixels across).
   */
  maxSides?: readonly number[];
  /** Use only the first N photos, sorted by name (tests, quick runs). */
  limit?: number;
}

export async function loadTrainingPhotos(options: LoadTrainingOptions): Promise<TrainingPhoto[]> {
  const dir = options.dir ?? TRAIN_DIR;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
  } catch {
    throw new Error(missing(dir));
  }
  if (names.length === 0) throw new Error(missing(dir));
  const chosen = names.slice(0, options.limit ?? names.length);
  const photos: TrainingPhoto[] = [];
  const sides = options.maxSides ?? [1600];
  for (const name of chosen) {
    const widths = new Set<number>();
    for (const side of sides) {
      const hr = modCrop(await decodeRgb(join(dir, name), side), options.scale);
      // A photo already smaller than a side comes back unchanged: keep one copy.
      if (widths.has(hr.width)) continue;
      widths.add(hr.width);
      const tag = sides.length > 1 ? `@${side}` : "";
      photos.push({ name: `${parse(name).name}${tag}`, hr, lr: downscale(hr, options.scale) });
    }
  }
  return photos;
}

export interface EvalImage {
  readonly name: string;
  readonly hr: RgbImage;
  readonly lr: RgbImage;
}

/** The held-out photos, each mod-cropped to the scale, with its bicubic LR. Missing files are an error. */
export async function loadEvalSet(
  scale: number,
  options: { dir?: string; names?: readonly string[]; maxSide?: number } = {},
): Promise<EvalImage[]> {
  const dir = options.dir ?? EVAL_DIR;
  const out: EvalImage[] = [];
  for (const name of options.names ?? EVAL_IMAGES) {
    let image: RgbImage;
    try {
      image = await decodeRgb(join(dir, name), options.maxSide);
    } catch (err) {
      throw new Error(`${missing(dir)} (could not read ${name})`, { cause: err });
    }
    const hr = modCrop(image, scale);
    out.push({ name: parse(name).name, hr, lr: downscale(hr, scale) });
  }
  return out;
}

/** A batch of aligned patches as NHWC floats in 0–1, ready for tf.tensor4d. */
export interface PatchBatch {
  readonly lr: Float32Array;
  readonly hr: Float32Array;
  readonly batch: number;
  readonly lrSize: number;
  readonly hrSize: number;
}

/**
 * Random aligned LR/HR patch pairs: a photo at random, an LR position at random, the HR patch at scale× that
 * position; random flips and 90° rotations (the 8 dihedral transforms) for augmentation.
 */
export function samplePatches(
  photos: readonly TrainingPhoto[],
  batch: number,
  hrSize: number,
  scale: number,
  next: () => number,
  augment = true,
  /**
   * Patches whose LR luma standard deviation (0–255 scale) is below this are redrawn (up to 10 times): the
   * wallpapers are mostly bokeh and sky, and flat patches teach nothing. 0 keeps every patch.
   */
  minStd = 0,
): PatchBatch {
  if (hrSize % scale !== 0) throw new Error(`Patch size ${hrSize} must be a multiple of the scale ${scale}.`);
  const lrSize = hrSize / scale;
  const lr = new Float32Array(batch * lrSize * lrSize * 3);
  const hr = new Float32Array(batch * hrSize * hrSize * 3);
  for (let b = 0; b < batch; b++) {
    const photo = photos[Math.floor(next() * photos.length)];
    if (photo === undefined) throw new Error("samplePatches needs at least one photo.");
    let x = 0;
    let y = 0;
    for (let attempt = 0; attempt < 10; attempt++) {
      x = Math.floor(next() * (photo.lr.width - lrSize + 1));
      y = Math.floor(next() * (photo.lr.height - lrSize + 1));
      if (minStd <= 0 || lumaStd(photo.lr, x, y, lrSize) >= minStd) break;
    }
    const t = augment ? Math.floor(next() * 8) : 0;
    copyPatch(photo.lr, x, y, lrSize, t, lr, b * lrSize * lrSize * 3);
    copyPatch(photo.hr, x * scale, y * scale, hrSize, t, hr, b * hrSize * hrSize * 3);
  }
  return { lr, hr, batch, lrSize, hrSize };
}

/** Standard deviation of the (unweighted-mean) luma of a square patch, in 0–255 units. */
export function lumaStd(image: RgbImage, x0: number, y0: number, size: number): number {
  let sum = 0;
  let sq = 0;
  for (let y = y0; y < y0 + size; y++) {
    for (let x = x0; x < x0 + size; x++) {
      const s = (y * image.width + x) * 3;
      const v =
        0.299 * (image.data[s] ?? 0) + 0.587 * (image.data[s + 1] ?? 0) + 0.114 * (image.data[s + 2] ?? 0);
      sum += v;
      sq += v * v;
    }
  }
  const n = size * size;
  return Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
}

/** The size×size window (on a stride-size/2 grid) with the most luma variation: a telling sample crop. */
export function busiestWindow(image: RgbImage, size: number): { x: number; y: number } {
  let best = { x: 0, y: 0, std: -1 };
  const stride = Math.max(1, Math.floor(size / 2));
  for (let y = 0; y + size <= image.height; y += stride) {
    for (let x = 0; x + size <= image.width; x += stride) {
      const std = lumaStd(image, x, y, size);
      if (std > best.std) best = { x, y, std };
    }
  }
  return { x: best.x, y: best.y };
}

/** Copies a size×size patch transformed by dihedral element t (bit0 flip x, bit1 flip y, bit2 transpose). */
function copyPatch(
  src: RgbImage,
  x0: number,
  y0: number,
  size: number,
  t: number,
  out: Float32Array,
  offset: number,
): void {
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let sr = t & 4 ? c : r;
      let sc = t & 4 ? r : c;
      if (t & 1) sc = size - 1 - sc;
      if (t & 2) sr = size - 1 - sr;
      const s = ((y0 + sr) * src.width + x0 + sc) * 3;
      const o = offset + (r * size + c) * 3;
      out[o] = (src.data[s] ?? 0) / 255;
      out[o + 1] = (src.data[s + 1] ?? 0) / 255;
      out[o + 2] = (src.data[s + 2] ?? 0) / 255;
    }
  }
}

/** 0–1 floats (HWC) back to 8-bit RGB, rounded and clamped as a saved PNG would be. */
export function toRgb(
  values: Float32Array | ArrayLike<number>,
  width: number,
  height: number,
  max = 1,
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.min(255, Math.max(0, Math.round(((values[i] ?? 0) * 255) / max)));
  }
  return { width, height, data };
}

/** 8-bit RGB to 0–`max` floats (HWC). */
export function toFloat(image: RgbImage, max = 1): Float32Array {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = ((image.data[i] ?? 0) * max) / 255;
  return out;
}
