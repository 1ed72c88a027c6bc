import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobSpec } from "@ganvas/shared";
import * as tfCore from "@tensorflow/tfjs-core";
import { loadServedImageModel, type ServedImageModel } from "../serving/image-model.ts";
import { loadOncePerDir, type ServingOptions } from "../serving/load.ts";
import type { RgbImage } from "../sr/image.ts";
import { type FloatImage, type TileOptions, upscaleTiled } from "../sr/tiles.ts";
import "../style/layers.ts"; // registers the style generators' custom layers before any model.json is read
import type { ImageTransform } from "./image-to-image.ts";

/**
 * One pass holds at most (256 + 2·48)² input pixels. Larger tiles than super-resolution's: the U-Net's and the
 * ResNet generators' receptive fields are wider, and instance-normalised generators see their statistics per
 * tile, so fewer, larger tiles keep them closer to the untiled pass.
 */
export const STYLE_TILES: TileOptions = { tile: 256, overlap: 48, blend: 8 };

/** `<modelsDir>/style-transfer/<name>/<version>/<style>/`, from the job's `name@version` and style. */
export function styleModelDir(modelsDir: string, spec: Pick<JobSpec, "model" | "params">): string {
  const [name, version] = spec.model.split("@");
  if (!name || !version) throw new Error(`model must be name@version, got "${spec.model}"`);
  const style = spec.params.style;
  // The edge checks styles against the registry; this guards the path against anything else.
  if (typeof style !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(style)) {
    throw new Error(`style must be a style name, got ${JSON.stringify(style)}`);
  }
  return join(modelsDir, "style-transfer", name, version, style);
}

/** A loaded style generator and the side multiple its metadata.json states (the generator contract). */
export interface StyleGenerator {
  model: ServedImageModel;
  multiple: number;
}

/** Loads a style generator on the fastest serving runtime present (see serving/load.ts). */
export async function loadStyleGenerator(dir: string, serving: ServingOptions = {}): Promise<StyleGenerator> {
  const meta = JSON.parse(await readFile(join(dir, "metadata.json"), "utf8")) as { multiple?: unknown };
  const multiple = meta.multiple;
  if (typeof multiple !== "number" || !Number.isInteger(multiple) || multiple < 1) {
    throw new Error(`${join(dir, "metadata.json")} must state the generator's side "multiple"`);
  }
  return { model: await loadServedImageModel(dir, serving), multiple };
}

/** Reflects x at its bottom and right edges until h and w are multiples of `multiple`. */
export function padToMultiple(x: tfCore.Tensor4D, multiple: number): tfCore.Tensor4D {
  let out = x;
  // A reflection adds at most side − 1 pixels: a tile smaller than the missing padding takes several.
  for (;;) {
    const [, h, w] = out.shape;
    const ph = Math.min((multiple - (h % multiple)) % multiple, h - 1);
    const pw = Math.min((multiple - (w % multiple)) % multiple, w - 1);
    if (ph === 0 && pw === 0) {
      if (h % multiple === 0 && w % multiple === 0) return out;
      // A 1-pixel side cannot be reflected: repeat it instead.
      out = tfCore.tile(out, [1, h === 1 ? 2 : 1, w === 1 ? 2 : 1, 1]);
      continue;
    }
    out = tfCore.mirrorPad(
      out,
      [
        [0, 0],
        [0, ph],
        [0, pw],
        [0, 0],
      ],
      "reflect",
    );
  }
}

/** One generator pass on a tile of any size: padded up to the multiple, run, cropped back. Range [-1, 1]. */
export async function styleTile(generator: StyleGenerator, x: tfCore.Tensor4D): Promise<tfCore.Tensor4D> {
  const [, h, w] = x.shape;
  const padded = tfCore.tidy(() => padToMultiple(x, generator.multiple));
  try {
    const y = await generator.model.apply(padded);
    try {
      return tfCore.slice(y, [0, 0, 0, 0], [1, h, w, 3]);
    } finally {
      y.dispose();
    }
  } finally {
    if (padded !== x) padded.dispose();
  }
}

/** Index i mirrored into [0, n) without repeating the edge pixel, however far past the edge it is. */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const j = i % period;
  return j < n ? j : period - j;
}

/** The image reflected at its bottom and right edges to `width` × `height`. */
export function reflectTo(image: FloatImage, width: number, height: number): FloatImage {
  const { channels } = image;
  const data = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const sy = reflectIndex(y, image.height);
    for (let x = 0; x < width; x++) {
      const s = (sy * image.width + reflectIndex(x, image.width)) * channels;
      data.set(image.data.subarray(s, s + channels), (y * width + x) * channels);
    }
  }
  return { width, height, channels, data };
}

/**
 * Tiles aligned to the generator's stride grid. A generator with stride-2 layers is only shift-equivariant by
 * multiples of its `multiple`, so a tile starting anywhere else computes a (slightly) different function of
 * the same pixels. With the tile side and overlap rounded to multiples, and each side padded to n equal tiles
 * (n as upscaleTiled would pick), every tile upscaleTiled cuts starts on the grid: tiling then matches the
 * untiled pass wherever the receptive field fits in the overlap.
 */
export function alignedTiles(
  width: number,
  height: number,
  multiple: number,
  tiles: TileOptions,
): { options: TileOptions; width: number; height: number } {
  const roundUp = (v: number) => Math.max(multiple, Math.ceil(v / multiple) * multiple);
  const tile = Math.max(multiple, Math.floor((tiles.tile ?? 128) / multiple) * multiple);
  const overlap = roundUp(tiles.overlap ?? 16);
  const side = (size: number) => {
    const n = Math.ceil(size / tile);
    return n * roundUp(size / n);
  };
  return { options: { ...tiles, tile, overlap }, width: side(width), height: side(height) };
}

/** 8-bit RGB → [-1, 1], the style generators' range. */
export function toUnit(image: RgbImage): Float32Array {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (image.data[i] ?? 0) / 127.5 - 1;
  return out;
}

function cropTopLeft(image: FloatImage, width: number, height: number): Float32Array {
  if (image.width === width && image.height === height) return image.data;
  const { channels } = image;
  const out = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const s = y * image.width * channels;
    out.set(image.data.subarray(s, s + width * channels), y * width * channels);
  }
  return out;
}

/** [-1, 1] → 8-bit RGB, rounded and clamped as a saved PNG would be. */
export function fromUnit(values: Float32Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.min(255, Math.max(0, Math.round(((values[i] ?? 0) + 1) * 127.5)));
  return { width, height, data };
}

/**
 * Style transfer: the job's style generator (loaded once per process, on first use), run tiled over the input
 * so memory stays bounded for any image up to the edge's pixel limit; the output has the input's size. Every
 * tensor a job allocates is disposed with it: only the loaded generators stay.
 */
export function styleTransferTransform(
  modelsDir: string,
  tiles: TileOptions = STYLE_TILES,
  serving: ServingOptions = {},
): ImageTransform {
  const generator = loadOncePerDir((dir) => loadStyleGenerator(dir, serving));
  return async (input, spec) => {
    const dir = styleModelDir(modelsDir, spec);
    const g = await generator(dir).catch((err: unknown) => {
      throw new Error(
        `no style-transfer generator for ${spec.model} style "${String(spec.params.style)}" in ${dir}`,
        {
          cause: err,
        },
      );
    });
    const image = { width: input.width, height: input.height, channels: 3, data: toUnit(input) };
    const grid = alignedTiles(input.width, input.height, g.multiple, tiles);
    const padded = reflectTo(image, grid.width, grid.height);
    const out = await upscaleTiled(tfCore, { async: (x) => styleTile(g, x) }, padded, 1, grid.options);
    return fromUnit(cropTopLeft(out, input.width, input.height), input.width, input.height);
  };
}
