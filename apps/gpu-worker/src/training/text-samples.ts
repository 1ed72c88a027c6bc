import { writeFile } from "node:fs/promises";
import type { TokenVocabulary } from "@ganvas/shared";
import { createCanvas } from "@napi-rs/canvas";
import type * as tfl from "@tensorflow/tfjs-layers";
import { generateFromPrompts } from "../models/text-generate.ts";
import { SAMPLE_SEED } from "./samples.ts";

/** The fixed prompts of the sample grid: every shape, every colour, both sizes, every position once or more. */
export const SAMPLE_PROMPTS = [
  "a small red triangle on a blue background",
  "a large yellow circle on black",
  "a green star on the left, white backdrop",
  "a big purple heart at the top on a yellow background",
  "tiny white cross on the right against red",
  "an orange square at the bottom on a green background",
  "a blue background with a large black star in the center",
  "a little blue heart on the left on orange",
] as const;

const SCALE = 2;
const GAP = 2;
const TEXT_WIDTH = 300;

/**
 * One row per prompt, its caption on the left; one column per latent point (the same points in every row
 * and every epoch), so rows show what the text controls and columns what the noise does.
 */
export async function writeTextSampleGrid(
  generator: tfl.LayersModel,
  vocab: TokenVocabulary,
  path: string,
  prompts: readonly string[] = SAMPLE_PROMPTS,
  perPrompt = 8,
): Promise<void> {
  const { images, width, height, channels } = await generateFromPrompts(
    generator,
    vocab,
    prompts.map((prompt) => ({ prompt, seed: SAMPLE_SEED, count: perPrompt })),
  );
  const tileW = width * SCALE;
  const tileH = height * SCALE;
  const canvas = createCanvas(TEXT_WIDTH + perPrompt * (tileW + GAP), prompts.length * (tileH + GAP));
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  const tile = createCanvas(width, height);
  const tctx = tile.getContext("2d");
  images.forEach((row, r) => {
    const y = r * (tileH + GAP);
    ctx.fillStyle = "#111111";
    ctx.font = "12px sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillText(prompts[r] ?? "", 4, y + tileH / 2, TEXT_WIDTH - 8);
    row.forEach((pixels, c) => {
      const data = tctx.createImageData(width, height);
      for (let p = 0; p < width * height; p++) {
        for (let k = 0; k < 3; k++)
          data.data[4 * p + k] = pixels[p * channels + (channels === 1 ? 0 : k)] ?? 0;
        data.data[4 * p + 3] = 255;
      }
      tctx.putImageData(data, 0, 0);
      ctx.drawImage(tile, TEXT_WIDTH + c * (tileW + GAP), y, tileW, tileH);
    });
  });
  await writeFile(path, canvas.toBuffer("image/png"));
}
