import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cropImage,
  type FloatImage,
  gridCrops,
  HELD_OUT_PHOTOS,
  HELD_OUT_STYLE,
  loadUnpairedData,
  STYLE_DATA_DIR,
  sampleCrops,
  toBytes,
} from "../src/style/photo-data.ts";
import { rng } from "../src/training/random.ts";

function ramp(name: string, width: number, height: number): FloatImage {
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i % width) / width;
    data[i * 3 + 1] = Math.floor(i / width) / height;
    data[i * 3 + 2] = -1;
  }
  return { name, width, height, data };
}

describe("style crops", () => {
  const image = ramp("r", 40, 30);

  it("random crops are reproducible from the seed, in range, and flip horizontally", () => {
    const a = sampleCrops([image], 3, 8, rng(5));
    const b = sampleCrops([image], 3, 8, rng(5));
    expect(a).toEqual(b);
    expect(a.length).toBe(3 * 8 * 8 * 3);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    // Every row of a crop is a run of the ramp, ascending or (flipped) descending in x.
    let flipped = 0;
    const crops = sampleCrops([image], 40, 8, rng(6));
    for (let k = 0; k < 40; k++) {
      const first = crops[k * 192] ?? 0;
      const second = crops[k * 192 + 3] ?? 0;
      expect(Math.abs(Math.abs(second - first) - 1 / 40)).toBeLessThan(1e-6);
      if (second < first) flipped++;
    }
    expect(flipped).toBeGreaterThan(8);
    expect(flipped).toBeLessThan(32);
    expect(() => sampleCrops([image], 1, 41, rng(1))).toThrow(/smaller/);
  });

  it("grid crops are fixed, disjoint tiles; toBytes maps [-1, 1] to 0–255", () => {
    const tiles = gridCrops([image], 10, 100);
    expect(tiles.map((t) => t.name)).toEqual(
      ["0,0", "1,0", "2,0", "3,0", "0,1", "1,1", "2,1", "3,1", "0,2", "1,2", "2,2", "3,2"].map(
        (c) => `r@${c}`,
      ),
    );
    expect(tiles[5]?.data).toEqual(cropImage(image, 10, 10, 10, 10).data);
    expect(gridCrops([image], 10, 3).length).toBe(3);
    expect(Array.from(toBytes(Float32Array.of(-1, 0, 1, 2)))).toEqual([0, 128, 255, 255]);
  });
});

// The Debian wallpapers are fetched by `bash infra/setup/style-data.sh`; without them only the tests above run.
const haveData = existsSync(join(STYLE_DATA_DIR, "photos")) && existsSync(join(STYLE_DATA_DIR, "low-poly"));

describe.skipIf(!haveData)(
  "unpaired data from style-data.sh (skipped when absent: run infra/setup/style-data.sh)",
  () => {
    it("starry-night: held-out photos are never in the training set; the painting's right quarter is held out", async () => {
      const data = await loadUnpairedData("starry-night", { shortSide: 64 });
      const train = data.trainPhotos.map((p) => p.name);
      expect(data.heldOutPhotos.map((p) => p.name).sort()).toEqual([...HELD_OUT_PHOTOS].sort());
      for (const name of HELD_OUT_PHOTOS) expect(train).not.toContain(name);
      expect(train.length).toBeGreaterThanOrEqual(10);
      for (const p of [...data.trainPhotos, ...data.heldOutPhotos])
        expect(Math.min(p.width, p.height)).toBe(64);
      const [left, right] = [data.trainStyle[0], data.heldOutStyle[0]];
      expect(left && right && left.height === right.height).toBe(true);
      expect((right?.width ?? 0) / ((left?.width ?? 0) + (right?.width ?? 0))).toBeCloseTo(0.25, 1);
    });

    it("low-poly: the held-out illustrations are split off by name", async () => {
      const data = await loadUnpairedData("low-poly", { shortSide: 32 });
      expect(data.heldOutStyle.map((i) => i.name).sort()).toEqual([...HELD_OUT_STYLE["low-poly"]].sort());
      expect(data.trainStyle.length).toBeGreaterThanOrEqual(8);
      expect(data.trainStyle.some((i) => HELD_OUT_STYLE["low-poly"].includes(i.name))).toBe(false);
    });
  },
);
