import { describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/select.ts";
import { loadClassSet, readClassSet } from "../src/data/class-sets.ts";
import { readFashionMnist } from "../src/data/fashion-mnist.ts";

describe("selectBackend", () => {
  it("falls back to wasm when the native packages are absent", async () => {
    const { name, tf } = await selectBackend("wasm");
    expect(name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("fails loudly for a forced backend that cannot start or does not exist", async () => {
    await expect(selectBackend("tfjs-node-gpu")).rejects.toThrow(/could not start/);
    await expect(selectBackend("webgl")).rejects.toThrow(/Unknown backend/);
  });
});

describe("Fashion-MNIST", () => {
  it("reads images and labels, limited to a slice", async () => {
    const { pixels, labels, count } = await readFashionMnist("t10k", 100);
    expect(count).toBe(100);
    expect(pixels).toHaveLength(100 * 28 * 28);
    expect(Math.max(...labels)).toBeLessThan(10);
  });

  it("scales pixels to [-1, 1] tensors", async () => {
    const { tf } = await selectBackend("wasm");
    const data = await loadClassSet(tf, "fashion-mnist", { split: "test", limit: 16 });
    expect(data.images.shape).toEqual([16, 28, 28, 1]);
    expect(data.labels.shape).toEqual([16]);
    expect(tf.min(data.images).dataSync()[0]).toBeGreaterThanOrEqual(-1);
    expect(tf.max(data.images).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([data.images, data.labels]);
  });

  it("says where to get the data when the folder is wrong", async () => {
    await expect(readFashionMnist("train", 1, "/nonexistent")).rejects.toThrow(/GANVAS_FASHION_MNIST_DIR/);
  });
});

describe("MNIST through the class-set door", () => {
  it("loads the digits' held-out split as [-1, 1] tensors", async () => {
    const { tf } = await selectBackend("wasm");
    const data = await loadClassSet(tf, "mnist", { split: "test", limit: 32 });
    expect(data.images.shape).toEqual([32, 28, 28, 1]);
    expect(tf.max(data.images).dataSync()[0]).toBeGreaterThan(0.5);
    const labels = await readClassSet("mnist", "test", { limit: 32 });
    expect(Array.from(data.labels.dataSync())).toEqual(Array.from(labels.labels));
    tf.dispose([data.images, data.labels]);
  });
});
