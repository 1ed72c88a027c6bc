import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/select.ts";
import { fsHandler } from "../src/models/fs-handler.ts";
import {
  InstanceNormalization,
  instanceNorm,
  ReflectionPadding2D,
  reflectionPad,
} from "../src/style/layers.ts";
import { withTempDir } from "./helpers.ts";

function maxAbsDiff(a: number[] | Float32Array, b: number[] | Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** Gradients of Σ(f(x, γ, β) · r) for x, γ, β on `backend`, returned as plain arrays. */
async function normGradsOn(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal([2, 5, 6, 3], 0.5, 2, "float32", 11);
    const gamma = tf.randomNormal([3], 1, 0.2, "float32", 12);
    const beta = tf.randomNormal([3], 0, 0.2, "float32", 13);
    const r = tf.randomNormal([2, 7, 8, 3], 0, 1, "float32", 14);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(reflectionPad(instanceNorm(a as tf.Tensor4D, g, b), 1), r));
    return tf
      .grads(f)([x, gamma, beta])
      .map((t) => t.dataSync() as Float32Array);
  });
}

describe("style layers", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  it("instance norm gives each image's channels zero mean and unit variance, then γ, β", async () => {
    await tf.setBackend("wasm");
    const x = tf.randomNormal([2, 6, 7, 4], 3, 5, "float32", 1) as tf.Tensor4D;
    const y = instanceNorm(x, tf.ones([4]), tf.zeros([4]));
    const { mean, variance } = tf.moments(y, [1, 2]);
    expect(Math.max(...Array.from(tf.abs(mean).dataSync()))).toBeLessThan(1e-4);
    expect(maxAbsDiff(variance.dataSync() as Float32Array, new Float32Array(8).fill(1))).toBeLessThan(1e-3);
    const shifted = instanceNorm(x, tf.fill([4], 2), tf.fill([4], -1));
    expect(
      maxAbsDiff(shifted.dataSync() as Float32Array, tf.sub(tf.mul(y, 2), 1).dataSync() as Float32Array),
    ).toBeLessThan(1e-5);
    tf.dispose([x, y, mean, variance, shifted]);
  });

  it("reflection padding mirrors without repeating the edge", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const y = reflectionPad(x, 1);
    expect(y.shape).toEqual([1, 4, 5, 1]);
    expect(Array.from(y.dataSync())).toEqual([5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2]);
    tf.dispose([x, y]);
  });

  it("gradients on wasm match the cpu backend", async () => {
    const wasm = await normGradsOn("wasm");
    // IS_TEST silences the cpu backend's "install tfjs-node" banner; only while cpu is active, since it also
    // turns on tfjs' kernel leak checks, which the project's wasm backprop kernels trip (they allocate inside).
    tf.env().set("IS_TEST", true);
    const cpu = await normGradsOn("cpu");
    tf.env().set("IS_TEST", false);
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(wasm[i] ?? [], cpu[i] ?? [])).toBeLessThan(1e-4);
    // Not all zero: a broken gradient would be.
    expect(Math.max(...Array.from(wasm[0] ?? []).map(Math.abs))).toBeGreaterThan(1e-3);
    await tf.setBackend("wasm");
  });

  it("a model with both layers trains, saves and loads back with the same output", async () => {
    await tf.setBackend("wasm");
    const input = tfl.input({ shape: [null, null, 3] });
    let x = new ReflectionPadding2D({ padding: 1 }).apply(input) as tfl.SymbolicTensor;
    x = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })
      .apply(x) as tfl.SymbolicTensor;
    x = new InstanceNormalization().apply(x) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: x });
    const sample = tf.randomNormal([1, 8, 10, 3], 0, 1, "float32", 5);
    const target = tf.randomNormal([1, 8, 10, 4], 0, 1, "float32", 6);
    model.compile({ optimizer: "adam", loss: "meanSquaredError" });
    const h = await model.fit(sample, target, { epochs: 5, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses.at(-1)).toBeLessThan(losses[0] ?? 0);
    const gamma = model.layers[3]?.getWeights()[0]?.dataSync();
    expect(gamma && Array.from(gamma).some((v) => v !== 1)).toBe(true);
    await withTempDir(async (dir) => {
      await model.save(fsHandler(dir));
      const loaded = await tfl.loadLayersModel(fsHandler(dir));
      const a = model.predict(sample) as tf.Tensor;
      const b = loaded.predict(sample) as tf.Tensor;
      expect(b.shape).toEqual([1, 8, 10, 4]);
      expect(maxAbsDiff(a.dataSync() as Float32Array, b.dataSync() as Float32Array)).toBeLessThan(1e-6);
      tf.dispose([a, b]);
      loaded.dispose();
    });
    tf.dispose([sample, target]);
    model.dispose();
  });
});
