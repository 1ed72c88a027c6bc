import { requestNoise, seededNormal } from "@ganvas/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { drawNoise } from "../src/models/generate.ts";
import { backend } from "./helpers.ts";

/**
 * The shared package's seeded normal generator (what the gallery page runs in the browser) against
 * TensorFlow.js itself: the same floats, bit for bit, so a page redraws a result from its own latent points.
 */

describe("seededNormal matches tfjs-core's seeded randomNormal", () => {
  let tf: Awaited<ReturnType<typeof backend>>["tf"];
  beforeAll(async () => {
    ({ tf } = await backend());
  });

  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

  it("draws the same floats as tf.randomNormal for many seeds and lengths, odd ones included", () => {
    const seeds = [1, 2, 7, 42, 1234, 65_535, 2 ** 31 - 1, 2 ** 32 - 1, 4_294_967_296];
    for (const seed of seeds) {
      for (const count of [1, 2, 63, 64, 512]) {
        const t = tf.randomNormal([count], 0, 1, "float32", seed);
        const expected = t.dataSync() as Float32Array;
        t.dispose();
        expect(bits(seededNormal(seed, count)), `seed ${seed}, ${count} values`).toEqual(bits(expected));
      }
    }
  });

  it("gives each request the worker's noise, seed 0 included", () => {
    for (const [seed, rows] of [
      [0, 1],
      [7, 8],
      [99, 3],
      [4_294_967_295, 2],
    ] as const) {
      const worker = drawNoise([{ classIndex: 0, seed, count: rows }], 64);
      expect(bits(requestNoise(seed, rows, 64)), `seed ${seed}`).toEqual(bits(worker));
    }
  });

  it("a temperature scales the worker's noise and the page's alike, bit for bit", () => {
    for (const temperature of [0.1, 0.5, 0.7]) {
      const worker = drawNoise([{ classIndex: 0, seed: 7, count: 3, temperature }], 64);
      const page = requestNoise(7, 3, 64, temperature);
      expect(bits(page), `temperature ${temperature}`).toEqual(bits(worker));
      const plain = requestNoise(7, 3, 64);
      expect(page[5]).toBeCloseTo((plain[5] ?? 0) * temperature, 6);
    }
    // A batch of two temperatures: each request keeps its own.
    const both = drawNoise(
      [
        { classIndex: 0, seed: 7, count: 1, temperature: 0.5 },
        { classIndex: 0, seed: 7, count: 1 },
      ],
      64,
    );
    expect(bits(both.subarray(0, 64))).toEqual(bits(requestNoise(7, 1, 64, 0.5)));
    expect(bits(both.subarray(64))).toEqual(bits(requestNoise(7, 1, 64)));
  });

  it("differs between seeds and looks standard normal", () => {
    const a = seededNormal(3, 20_000);
    expect(bits(seededNormal(4, 16))).not.toEqual(bits(a.subarray(0, 16)));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
