import { writeFile } from "node:fs/promises";
import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import sharp from "sharp";
import { type FloatImage, toBytes } from "./photo-data.ts";

type Tf = typeof tfCore;

/** 8-bit RGB tiles laid out row by row with a gap, on a neutral gray. */
export async function encodeGrid(
  rows: readonly (readonly FloatImage[])[],
  gap = 4,
  background = 128,
): Promise<Buffer> {
  const cols = Math.max(...rows.map((r) => r.length));
  const colWidths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => r[c]?.width ?? 0)));
  const rowHeights = rows.map((r) => Math.max(...r.map((i) => i.height)));
  const width = colWidths.reduce((a, b) => a + b, 0) + gap * (cols + 1);
  const height = rowHeights.reduce((a, b) => a + b, 0) + gap * (rows.length + 1);
  const out = new Uint8Array(width * height * 3).fill(background);
  let y0 = gap;
  rows.forEach((row, r) => {
    let x0 = gap;
    row.forEach((image, c) => {
      const bytes = toBytes(image.data);
      for (let y = 0; y < image.height; y++) {
        out.set(bytes.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y0 + y) * width + x0) * 3);
      }
      x0 += (colWidths[c] ?? 0) + gap;
    });
    y0 += (rowHeights[r] ?? 0) + gap;
  });
  return sharp(out, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Runs a generator on one image ([-1, 1] floats in and out). Sides must suit the generator's multiple. */
export async function stylise(tf: Tf, generator: tfl.LayersModel, image: FloatImage): Promise<FloatImage> {
  const out = tf.tidy(
    () => generator.predict(tf.tensor4d(image.data, [1, image.height, image.width, 3])) as tfCore.Tensor,
  );
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return { name: image.name, width: image.width, height: image.height, data };
}

/**
 * The CycleGAN sample grid: one row per photo, columns photo · stylised · reconstructed (the reverse
 * generator applied to the stylised image). The reconstruction shows what the cycle loss keeps.
 */
export async function writeCycleSamples(
  tf: Tf,
  forward: tfl.LayersModel,
  reverse: tfl.LayersModel | undefined,
  photos: readonly FloatImage[],
  path: string,
): Promise<void> {
  const rows: FloatImage[][] = [];
  for (const photo of photos) {
    const styled = await stylise(tf, forward, photo);
    rows.push(reverse ? [photo, styled, await stylise(tf, reverse, styled)] : [photo, styled]);
  }
  await writeFile(path, await encodeGrid(rows));
}
