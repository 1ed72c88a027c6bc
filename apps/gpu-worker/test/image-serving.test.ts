import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { loadServedImageModel, type ServedImageModel } from "../src/serving/image-model.ts";
import "../src/sr/model.ts";
import "../src/style/layers.ts";
import { backend } from "./helpers.ts";

const GENERATORS = [
  { dir: join(DEFAULT_MODELS_DIR, "super-resolution", "srgan", "1", "x2"), lo: 0, scale: 2 },
  { dir: join(DEFAULT_MODELS_DIR, "style-transfer", "cyclegan", "1", "starry-night"), lo: -1, scale: 1 },
];

const opened: ServedImageModel[] = [];
beforeAll(async () => {
  await backend();
});
afterAll(async () => {
  await Promise.all(opened.map((m) => m.dispose()));
});

describe.each(GENERATORS)("serving the image generator $dir", ({ dir, lo, scale }) => {
  it("picks onnxruntime-node on a CPU host, from the shipped generator.onnx, and matches TensorFlow.js", async () => {
    const fast = await loadServedImageModel(dir);
    const reference = await loadServedImageModel(dir, { runtime: "tfjs" });
    opened.push(fast, reference);
    expect(fast.runtime).toBe("onnxruntime-node");
    expect(fast.onnx).toBe("fresh");
    expect(reference.runtime).toBe("tfjs");
    // An odd tile size: the export has free height and width, so one session serves every tile.
    const x = tf.randomUniform([1, 24, 36, 3], lo, 1, "float32", 7) as tf.Tensor4D;
    const [a, b] = [await fast.apply(x), await reference.apply(x)];
    expect(a.shape).toEqual([1, 24 * scale, 36 * scale, 3]);
    expect(b.shape).toEqual(a.shape);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([x, a, b]);
  });
});
