import { join } from "node:path";
import type { JobSpec } from "@ganvas/shared";
import * as tfCore from "@tensorflow/tfjs-core";
import { loadServedImageModel } from "../serving/image-model.ts";
import { loadOncePerDir, type ServingOptions } from "../serving/load.ts";
import { toFloat, toRgb } from "../sr/data.ts";
import "../sr/model.ts"; // registers PixelShuffle and UpsampleBilinear before any model.json is read
import { type TileOptions, upscaleTiled } from "../sr/tiles.ts";
import type { ImageTransform } from "./image-to-image.ts";

/**
 * The tiles the shipped models were measured with (sr-eval's defaults): one pass holds at most
 * (128 + 2·16)² input pixels, whatever the image size.
 */
export const SERVE_TILES: TileOptions = { tile: 128, overlap: 16 };

/** `<modelsDir>/super-resolution/<name>/<version>/x<scale>/`, from the job's `name@version` and scale. */
export function srModelDir(modelsDir: string, spec: Pick<JobSpec, "model" | "params">): string {
  const [name, version] = spec.model.split("@");
  if (!name || !version) throw new Error(`model must be name@version, got "${spec.model}"`);
  const scale = Number(spec.params.scale ?? 2);
  if (scale !== 2 && scale !== 4) throw new Error(`scale must be 2 or 4, got ${String(spec.params.scale)}`);
  return join(modelsDir, "super-resolution", name, version, `x${scale}`);
}

/**
 * Super-resolution: the job's ×scale generator (loaded once per process, on first use, on the fastest serving
 * runtime present: see serving/load.ts), run tiled over the input so memory stays bounded for any image up to
 * the edge's pixel limit. Everything a job allocates is disposed with it: only the loaded models stay.
 */
export function superResolutionTransform(
  modelsDir: string,
  tiles: TileOptions = SERVE_TILES,
  serving: ServingOptions = {},
): ImageTransform {
  const model = loadOncePerDir((dir) => loadServedImageModel(dir, serving));
  return async (input, spec) => {
    const dir = srModelDir(modelsDir, spec);
    const scale = Number(spec.params.scale ?? 2);
    const generator = await model(dir).catch((err: unknown) => {
      throw new Error(`no super-resolution generator for ${spec.model} ×${scale} in ${dir}`, { cause: err });
    });
    const image = { width: input.width, height: input.height, channels: 3, data: toFloat(input) };
    const out = await upscaleTiled(tfCore, { async: (x) => generator.apply(x) }, image, scale, tiles);
    return toRgb(out.data, out.width, out.height);
  };
}
