import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { encodePng, tileGray } from "../src/image/png.ts";
import { buildGenerator } from "../src/models/cdcgan.ts";
import { fsHandler } from "../src/models/fs-handler.ts";
import { generate } from "../src/models/generate.ts";
import { loadGenerator } from "../src/models/load.ts";
import { backend, tinyConfig, withTempDir } from "./helpers.ts";

describe("generate", () => {
  let tf: Awaited<ReturnType<typeof backend>>["tf"];
  beforeAll(async () => {
    ({ tf } = await backend());
  });

  it("is deterministic per seed, returns 28×28 bytes per image and frees its tensors", async () => {
    const g = buildGenerator(tinyConfig);
    const before = tf.memory().numTensors;
    const a = await generate(g, { classIndex: 3, seed: 42, count: 2 });
    const b = await generate(g, { classIndex: 3, seed: 42, count: 2 });
    const c = await generate(g, { classIndex: 3, seed: 43, count: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(a).toHaveLength(2);
    expect(a[0]).toBeInstanceOf(Uint8Array);
    expect(a[0]).toHaveLength(28 * 28);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    g.dispose();
  });

  it("rejects a class the model does not have", async () => {
    const g = buildGenerator(tinyConfig);
    await expect(generate(g, { classIndex: 10, seed: 1, count: 1 })).rejects.toThrow(/classIndex/);
    g.dispose();
  });

  it("a saved and reloaded generator draws the same images", async () => {
    await withTempDir(async (dir) => {
      const g = buildGenerator(tinyConfig);
      await g.save(fsHandler(dir));
      const loaded = await loadGenerator(dir);
      const opts = { classIndex: 7, seed: 5, count: 1 };
      expect(await generate(loaded, opts)).toEqual(await generate(g, opts));
      g.dispose();
      loaded.dispose();
    });
  });
});

describe("encodePng", () => {
  it("round-trips gray pixels", () => {
    const gray = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
    const decoded = PNG.sync.read(encodePng(gray, 3, 2));
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    expect(Array.from({ length: 6 }, (_, i) => decoded.data[i * 4])).toEqual(Array.from(gray));
  });

  it("round-trips RGBA pixels and rejects a wrong length", () => {
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 128]);
    expect(Array.from(PNG.sync.read(encodePng(rgba, 2, 1)).data)).toEqual(Array.from(rgba));
    expect(() => encodePng(new Uint8Array(5), 2, 1)).toThrow(/not 2×1/);
  });

  it("tiles with gaps", () => {
    const grid = tileGray(
      [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])],
      { width: 1, height: 1 },
      2,
      1,
    );
    expect([grid.width, grid.height]).toEqual([3, 3]);
    expect(Array.from(grid.pixels)).toEqual([1, 0, 2, 0, 0, 0, 3, 0, 0]);
  });
});
