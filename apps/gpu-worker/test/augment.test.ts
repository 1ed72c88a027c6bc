import { describe, expect, it } from "vitest";
import { diffAugment } from "../src/training/augment.ts";
import { backend } from "./helpers.ts";

describe("diffAugment", () => {
  it("shifts each image by its own offset within the bound, filling with the background, and passes gradients", async () => {
    const { tf } = await backend();
    const [batch, side, shift] = [16, 6, 2];
    const values = Float32Array.from({ length: batch * side * side }, (_, i) => (i % 97) / 97);
    const images = tf.tensor4d(values, [batch, side, side, 1]);
    const out = diffAugment(tf, images, { shift, cutout: 0 }).dataSync();
    const at = (src: ArrayLike<number>, b: number, y: number, x: number) =>
      y < 0 || x < 0 || y >= side || x >= side ? -1 : (src[(b * side + y) * side + x] ?? Number.NaN);
    const offsets = new Set<string>();
    for (let b = 0; b < batch; b++) {
      const found: string[] = [];
      for (let dy = -shift; dy <= shift; dy++)
        for (let dx = -shift; dx <= shift; dx++) {
          let same = true;
          for (let y = 0; y < side && same; y++)
            for (let x = 0; x < side && same; x++)
              same = Math.abs(at(out, b, y, x) - at(values, b, y + dy, x + dx)) < 1e-6;
          if (same) found.push(`${dy},${dx}`);
        }
      expect(found).toHaveLength(1);
      offsets.add(found[0] ?? "");
    }
    expect(offsets.size).toBeGreaterThan(3); // per image, not one shift for the batch
    const grad = tf.grad((x) => tf.sum(diffAugment(tf, x as typeof images, { shift, cutout: 2 })))(images);
    expect(tf.sum(grad).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([images, grad]);
  });

  it("cuts out a square of the given side, set to 0", async () => {
    const { tf } = await backend();
    const ones = tf.ones([8, 10, 10, 1]) as Parameters<typeof diffAugment>[1];
    const out = diffAugment(tf, ones, { shift: 0, cutout: 4 }).dataSync();
    for (let b = 0; b < 8; b++) {
      const zeros = out.subarray(b * 100, (b + 1) * 100).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(0);
      expect(zeros).toBeLessThanOrEqual(16);
    }
    ones.dispose();
  });
});
