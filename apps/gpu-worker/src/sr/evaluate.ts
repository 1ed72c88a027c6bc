import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { fsHandler } from "../models/fs-handler.ts";
import { type EvalImage, toFloat, toRgb } from "./data.ts";
import { type RgbImage, resizeBicubic } from "./image.ts";
import { psnrY, ssimY } from "./metrics.ts";
import "./model.ts"; // registers the custom layers our checkpoints use
import { type TileOptions, upscaleTiled } from "./tiles.ts";

type Tf = typeof tfCore;

/** Something that turns an LR photo into an SR photo of scale× its size. */
export interface Upscaler {
  readonly name: string;
  upscale(lr: RgbImage): Promise<RgbImage>;
  dispose(): void;
}

export const bicubicUpscaler = (scale: number): Upscaler => ({
  name: "bicubic",
  upscale: async (lr) => resizeBicubic(lr, lr.width * scale, lr.height * scale),
  dispose() {},
});

/**
 * A tfjs layers model run tiled. `inputMax` is the value white maps to: 1 for ours, 255 for UpscalerJS'
 * ESRGANs (their model definitions declare inputRange/outputRange [0, 255]).
 */
export function modelUpscaler(
  tf: Tf,
  name: string,
  model: tfl.LayersModel,
  scale: number,
  inputMax: number,
  tiles: TileOptions = {},
): Upscaler {
  return {
    name,
    async upscale(lr) {
      const image = { width: lr.width, height: lr.height, channels: 3, data: toFloat(lr, inputMax) };
      const out = await upscaleTiled(tf, (x) => model.apply(x) as tfCore.Tensor4D, image, scale, tiles);
      return toRgb(out.data, out.width, out.height, inputMax);
    },
    dispose: () => model.dispose(),
  };
}

export const ESRGAN_PACKAGES = ["esrgan-slim", "esrgan-medium"] as const;
export type EsrganName = (typeof ESRGAN_PACKAGES)[number];

/** The folder of an UpscalerJS model's tfjs files inside its npm package (models/x<scale>/model.json). */
export function esrganModelDir(pkg: EsrganName, scale: number): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(`@upscalerjs/${pkg}`);
  } catch (err) {
    throw new Error(`@upscalerjs/${pkg} is not installed: run \`npm install\` in the repository root.`, {
      cause: err,
    });
  }
  const root = entry.slice(0, entry.lastIndexOf(`${sep}dist${sep}`));
  return join(root || dirname(entry), "models", `x${scale}`);
}

export async function loadEsrgan(
  tf: Tf,
  pkg: EsrganName,
  scale: number,
  tiles?: TileOptions,
): Promise<Upscaler> {
  const model = await tfl.loadLayersModel(fsHandler(esrganModelDir(pkg, scale)));
  return modelUpscaler(tf, pkg, model, scale, 255, tiles);
}

export async function loadOurs(tf: Tf, dir: string, scale: number, tiles?: TileOptions): Promise<Upscaler> {
  const model = await tfl.loadLayersModel(fsHandler(dir));
  return modelUpscaler(tf, "ours", model, scale, 1, tiles);
}

export interface ImageScore {
  image: string;
  psnr: number;
  ssim: number;
  seconds: number;
  megapixels: number;
}

export interface MethodScore {
  method: string;
  meanPsnr: number;
  meanSsim: number;
  /** Wall time of upscale() per output megapixel, summed over the set (after one warm-up pass). */
  secondsPerMegapixel: number;
  images: ImageScore[];
}

/**
 * Scores each upscaler on each held-out image: Y-channel PSNR and SSIM with `scale` border pixels cropped, the
 * output rounded to 8 bits first (what a user would save). A warm-up pass on a small image keeps one-off
 * kernel compilation out of the timings.
 */
export async function evaluateUpscalers(
  upscalers: readonly Upscaler[],
  images: readonly EvalImage[],
  scale: number,
  onResult: (method: string, score: ImageScore) => void = () => {},
): Promise<MethodScore[]> {
  const results: MethodScore[] = [];
  const first = images[0];
  if (first === undefined) throw new Error("No evaluation images: check --images.");
  for (const up of upscalers) {
    const warm = first.lr.width > 32 && first.lr.height > 32 ? cropTopLeft(first.lr, 32) : first.lr;
    await up.upscale(warm);
    const scores: ImageScore[] = [];
    for (const image of images) {
      const began = performance.now();
      const sr = await up.upscale(image.lr);
      const seconds = (performance.now() - began) / 1000;
      const score = {
        image: image.name,
        psnr: psnrY(sr, image.hr, scale),
        ssim: ssimY(sr, image.hr, scale),
        seconds,
        megapixels: (sr.width * sr.height) / 1e6,
      };
      onResult(up.name, score);
      scores.push(score);
    }
    const mean = (f: (s: ImageScore) => number) => scores.reduce((a, s) => a + f(s), 0) / scores.length;
    results.push({
      method: up.name,
      meanPsnr: mean((s) => s.psnr),
      meanSsim: mean((s) => s.ssim),
      secondsPerMegapixel:
        scores.reduce((a, s) => a + s.seconds, 0) / scores.reduce((a, s) => a + s.megapixels, 0),
      images: scores,
    });
  }
  return results;
}

function cropTopLeft(image: RgbImage, size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    data.set(image.data.subarray(y * image.width * 3, (y * image.width + size) * 3), y * size * 3);
  return { width: size, height: size, data };
}

/** A fixed-width table for the terminal. */
export function formatTable(results: readonly MethodScore[]): string {
  const names = results[0]?.images.map((s) => s.image) ?? [];
  const pad = (s: string, n: number) => s.padEnd(n);
  const lines = [
    `${pad("image", 20)}${results.map((r) => pad(r.method, 22)).join("")}`,
    ...names.map(
      (n, i) =>
        `${pad(n, 20)}${results
          .map((r) => {
            const s = r.images[i];
            return pad(s ? `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` : "-", 22);
          })
          .join("")}`,
    ),
    `${pad("mean PSNR / SSIM", 20)}${results.map((r) => pad(`${r.meanPsnr.toFixed(2)} / ${r.meanSsim.toFixed(4)}`, 22)).join("")}`,
    `${pad("s per megapixel", 20)}${results.map((r) => pad(r.secondsPerMegapixel.toFixed(3), 22)).join("")}`,
  ];
  return lines.join("\n");
}
