import { writeFile } from "node:fs/promises";
import type * as tfl from "@tensorflow/tfjs-layers";
import { encodePng, tileGray } from "../image/png.ts";
import { generate } from "../models/generate.ts";

export const SAMPLES_PNG = "samples.png";
/** Fixed so grids from successive epochs show the same latent points. */
export const SAMPLE_SEED = 1234;

/** One row per class, one column per latent point: rows show conditioning, columns show variety. */
export async function writeSampleGrid(
  generator: tfl.LayersModel,
  numClasses: number,
  path: string,
  perClass = 10,
): Promise<void> {
  const tiles: Uint8Array[] = [];
  for (let classIndex = 0; classIndex < numClasses; classIndex++) {
    tiles.push(...(await generate(generator, { classIndex, seed: SAMPLE_SEED, count: perClass })));
  }
  const size = generator.outputs[0]?.shape[1] ?? 28;
  const grid = tileGray(tiles, { width: size, height: size }, perClass);
  await writeFile(path, encodePng(grid.pixels, grid.width, grid.height));
}
