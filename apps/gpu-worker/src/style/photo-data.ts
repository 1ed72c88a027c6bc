import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, parse } from "node:path";
import sharp from "sharp";

/** Where infra/setup/style-data.sh puts the unpaired data (gitignored). */
export const STYLE_DATA_DIR = join(".ganvas", "data", "style");

/** The unpaired styles: each maps photos to the style of a folder of images. */
export const UNPAIRED_STYLES = ["starry-night", "low-poly"] as const;
export type UnpairedStyle = (typeof UNPAIRED_STYLES)[number];

export function isUnpairedStyle(name: string): name is UnpairedStyle {
  return (UNPAIRED_STYLES as readonly string[]).includes(name);
}

/**
 * Photos never trained on, for the evaluator: three of the mate-backgrounds nature photos and two of the
 * plasma photographs, picked to span close-ups, landscapes and dusk light like the training set.
 */
export const HELD_OUT_PHOTOS = ["Garden", "Storm", "YellowFlower", "EveningGlow", "Path"] as const;

/**
 * Style images held out the same way. The painting is a single image, so its right quarter is held out
 * instead (crops never overlap the part trained on).
 */
export const HELD_OUT_STYLE: Record<UnpairedStyle, readonly string[]> = {
  "starry-night": [],
  "low-poly": ["Opal", "Cascade", "desert"],
};
const HELD_OUT_STRIP = 0.25;

/** An RGB image as NHWC-ready floats in [-1, 1] (the generators' range), row-major, interleaved. */
export interface FloatImage {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface UnpairedData {
  readonly style: UnpairedStyle;
  /**
   * Extra photos for the evaluator's classifier only (never trained on by a generator, never an input to be
   * scored): with the 16 wallpaper photos alone the judge learns their palette rather than what a photo is.
   */
  readonly judgePhotos: readonly FloatImage[];
  readonly trainPhotos: readonly FloatImage[];
  readonly heldOutPhotos: readonly FloatImage[];
  readonly trainStyle: readonly FloatImage[];
  readonly heldOutStyle: readonly FloatImage[];
}

export interface LoadOptions {
  /** Defaults to STYLE_DATA_DIR; holds photos/, starry-night/, low-poly/. */
  root?: string;
  /**
   * Every image is reduced so its shorter side is this many pixels (default 256): a 64–96 px training crop
   * then holds a recognisable part of a scene, and the painting's brush strokes keep their size relative to it.
   */
  shortSide?: number;
  /** Use only the first N images of each folder, sorted by name (tests, quick runs). */
  limit?: number;
}

const missing = (dir: string) =>
  `No images in ${dir}: run \`bash infra/setup/style-data.sh\` first (it downloads and extracts them, no install).`;

async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.(jpe?g|png|webp)$/i.test(n)).sort();
  } catch {
    throw new Error(missing(dir));
  }
  if (names.length === 0) throw new Error(missing(dir));
  return names;
}

/** Decodes any format sharp reads to RGB floats in [-1, 1], the shorter side reduced to `shortSide`. */
export async function decodeFloat(path: string, shortSide?: number): Promise<FloatImage> {
  // Wallpapers up to 5120×2880 exceed sharp's default pixel limit only in theory; keep the guard off.
  let pipeline = sharp(path, { limitInputPixels: false }).rotate().removeAlpha().toColourspace("srgb");
  if (shortSide !== undefined) {
    pipeline = pipeline.resize({
      width: shortSide,
      height: shortSide,
      fit: "outside",
      withoutEnlargement: true,
      kernel: "lanczos3",
    });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const count = info.width * info.height;
  const out = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < 3; c++) {
      out[i * 3 + c] = (data[i * info.channels + Math.min(c, info.channels - 1)] ?? 0) / 127.5 - 1;
    }
  }
  return { name: parse(path).name, width: info.width, height: info.height, data: out };
}

/** The width × height rectangle of an image whose top-left corner is (x, y). */
export function cropImage(
  image: FloatImage,
  x: number,
  y: number,
  width: number,
  height: number,
  name = image.name,
): FloatImage {
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    throw new Error(
      `crop ${width}×${height}+${x}+${y} falls outside the ${image.width}×${image.height} image.`,
    );
  }
  const data = new Float32Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const s = ((y + r) * image.width + x) * 3;
    data.set(image.data.subarray(s, s + width * 3), r * width * 3);
  }
  return { name, width, height, data };
}

async function loadFolder(dir: string, options: LoadOptions): Promise<FloatImage[]> {
  const names = (await listImages(dir)).slice(0, options.limit);
  return Promise.all(names.map((n) => decodeFloat(join(dir, n), options.shortSide ?? 256)));
}

function split(images: FloatImage[], heldOut: readonly string[]): [FloatImage[], FloatImage[]] {
  const held = new Set(heldOut);
  return [images.filter((i) => !held.has(i.name)), images.filter((i) => held.has(i.name))];
}

/**
 * Photos and style images for one unpaired style, each split into a training part and a held-out part. With
 * `limit` (tests) a split may come out empty; callers that need both parts check.
 */
export async function loadUnpairedData(
  style: UnpairedStyle,
  options: LoadOptions = {},
): Promise<UnpairedData> {
  const root = options.root ?? STYLE_DATA_DIR;
  const photos = await loadFolder(join(root, "photos"), options);
  const styleImages = await loadFolder(join(root, style), options);
  const [trainPhotos, heldOutPhotos] = split(photos, HELD_OUT_PHOTOS);
  const judgeDir = join(root, "judge-photos");
  const judgePhotos = existsSync(judgeDir) ? await loadFolder(judgeDir, options) : [];
  let [trainStyle, heldOutStyle] = split(styleImages, HELD_OUT_STYLE[style]);
  if (style === "starry-night") {
    trainStyle = [];
    heldOutStyle = [];
    for (const image of styleImages) {
      const cut = Math.round(image.width * (1 - HELD_OUT_STRIP));
      trainStyle.push(cropImage(image, 0, 0, cut, image.height));
      heldOutStyle.push(cropImage(image, cut, 0, image.width - cut, image.height, `${image.name}-right`));
    }
  }
  return { style, trainPhotos, heldOutPhotos, trainStyle, heldOutStyle, judgePhotos };
}

/**
 * `n` random square crops of side `size` as one NHWC Float32Array: an image at random, a position at random,
 * a horizontal flip half of the time. `next` is a seeded generator, so a step's batch is reproducible.
 */
export function sampleCrops(
  images: readonly FloatImage[],
  n: number,
  size: number,
  next: () => number,
  flip = true,
): Float32Array {
  if (images.length === 0) throw new Error("No images to crop from.");
  const out = new Float32Array(n * size * size * 3);
  for (let b = 0; b < n; b++) {
    const image = images[Math.floor(next() * images.length)] as FloatImage;
    if (image.width < size || image.height < size) {
      throw new Error(`${image.name} (${image.width}×${image.height}) is smaller than a ${size} px crop.`);
    }
    const x = Math.floor(next() * (image.width - size + 1));
    const y = Math.floor(next() * (image.height - size + 1));
    const mirror = flip && next() < 0.5;
    const base = b * size * size * 3;
    for (let r = 0; r < size; r++) {
      const row = ((y + r) * image.width + x) * 3;
      for (let c = 0; c < size; c++) {
        const src = row + (mirror ? size - 1 - c : c) * 3;
        const dst = base + (r * size + c) * 3;
        out[dst] = image.data[src] ?? 0;
        out[dst + 1] = image.data[src + 1] ?? 0;
        out[dst + 2] = image.data[src + 2] ?? 0;
      }
    }
  }
  return out;
}

/**
 * Square tiles of side `size` on a regular grid `stride` apart (non-overlapping by default), centred, at most
 * `perImage` per image (spread over the grid): a fixed, reproducible set of crops for evaluation.
 */
export function gridCrops(
  images: readonly FloatImage[],
  size: number,
  perImage: number,
  stride = size,
): FloatImage[] {
  const out: FloatImage[] = [];
  for (const image of images) {
    const cols = image.width < size ? 0 : Math.floor((image.width - size) / stride) + 1;
    const rows = image.height < size ? 0 : Math.floor((image.height - size) / stride) + 1;
    const x0 = Math.floor((image.width - (cols - 1) * stride - size) / 2);
    const y0 = Math.floor((image.height - (rows - 1) * stride - size) / 2);
    const cells = rows * cols;
    const take = Math.min(perImage, cells);
    for (let k = 0; k < take; k++) {
      const cell = Math.floor((k * cells) / take);
      const cx = cell % cols;
      const cy = Math.floor(cell / cols);
      out.push(cropImage(image, x0 + cx * stride, y0 + cy * stride, size, size, `${image.name}@${cx},${cy}`));
    }
  }
  return out;
}

/** [-1, 1] floats back to 8-bit RGB, clamped. */
export function toBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = Math.max(0, Math.min(255, Math.round(((data[i] ?? 0) + 1) * 127.5)));
  }
  return out;
}
