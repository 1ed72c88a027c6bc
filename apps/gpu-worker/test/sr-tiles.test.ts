import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { buildSrGenerator, type SrConfig } from "../src/sr/model.ts";
import { type FloatImage, upscaleTiled, upscaleWhole } from "../src/sr/tiles.ts";
import { backend } from "./helpers.ts";

const tinySr: SrConfig = {
  scale: 2,
  filters: 4,
  blocks: 1,
  residualScale: 0.2,
  discriminatorWidths: [4, 8],
  patchSize: 16,
};

function randomImage(width: number, height: number, seed: number): FloatImage {
  const data = new Float32Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648;
  }
  return { width, height, channels: 3, data };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe("tiled upscaling", () => {
  it("equals the untiled pass within 1e-4 when the receptive field fits in overlap − blend (×2 and ×4)", async () => {
    const { tf } = await backend();
    for (const scale of [2, 4] as const) {
      // Random (non-zero) tail so the conv branch matters; receptive radius ≈ 6 LR pixels.
      const g = buildSrGenerator({ ...tinySr, scale, seed: 11 });
      const tail = g.getLayer("tail");
      tail.setWeights(tail.getWeights().map((w) => tf.randomNormal(w.shape, 0, 0.3, "float32", 5)));
      const run = (x: tfCore.Tensor4D) => g.apply(x) as tfCore.Tensor4D;
      const image = randomImage(45, 38, scale);
      const whole = await upscaleWhole(tf, run, image, scale);
      const before = tf.memory().numTensors;
      const tiled = await upscaleTiled(tf, run, image, scale, { tile: 16, overlap: 10, blend: 3 });
      expect(tf.memory().numTensors).toBe(before);
      expect([tiled.width, tiled.height]).toEqual([45 * scale, 38 * scale]);
      expect(maxDiff(tiled.data, whole.data)).toBeLessThan(1e-4);
      // Without context the seams show: the test would catch a tiler that ignored overlap.
      const seamy = await upscaleTiled(tf, run, image, scale, { tile: 16, overlap: 0, blend: 0 });
      expect(maxDiff(seamy.data, whole.data)).toBeGreaterThan(1e-3);
      g.dispose();
    }
  });

  it("rejects an upscaler whose scale does not match", async () => {
    const { tf } = await backend();
    const model = tfl.sequential({
      layers: [tfl.layers.upSampling2d({ size: [3, 3], inputShape: [null, null, 3] })],
    });
    await expect(
      upscaleTiled(tf, (x) => model.apply(x) as tfCore.Tensor4D, randomImage(10, 10, 1), 2, { tile: 8 }),
    ).rejects.toThrow(/scale ×2/);
    model.dispose();
  });
});
