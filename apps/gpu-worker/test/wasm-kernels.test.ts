import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/select.ts";

type Pad = "same" | "valid";
type Case = {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  pad: Pad;
};

const cases: Case[] = [
  { x: [2, 28, 28, 2], w: [4, 4, 2, 8], stride: 2, pad: "same" },
  { x: [2, 14, 14, 8], w: [5, 5, 8, 16], stride: 2, pad: "same" },
  { x: [3, 7, 7, 4], w: [3, 3, 4, 5], stride: 1, pad: "same" },
  { x: [2, 9, 9, 3], w: [3, 3, 3, 2], stride: 2, pad: "valid" },
];

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const da = a.dataSync();
  const db = b.dataSync();
  let max = 0;
  for (let i = 0; i < da.length; i++) max = Math.max(max, Math.abs((da[i] ?? 0) - (db[i] ?? 0)));
  return max;
}

/** Gradients of Σ(op(x, w) · r) on `backend`, i.e. the backprop kernels fed an upstream gradient r. */
async function gradsOn(
  backend: string,
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  c: Case,
  seed: number,
) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", seed) as tf.Tensor4D;
    const w = tf.randomNormal(c.w, 0, 0.3, "float32", seed + 1) as tf.Tensor4D;
    const shape = op(x, w).shape;
    const r = tf.randomNormal(shape, 0, 0.1, "float32", seed + 2);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r));
    // Moved to cpu so comparisons do not depend on which backend is active.
    return tf
      .grads(f)([x, w])
      .map((g) => g.arraySync());
  });
}

describe("wasm training kernels", () => {
  beforeAll(async () => {
    // Silences the cpu backend's "install tfjs-node" banner, which is noise in test output.
    tf.env().set("IS_TEST", true);
    await selectBackend("wasm");
  });

  it.each(cases)("conv2d gradients match cpu for $x * $w stride $stride $pad", async (c) => {
    const conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.stride, c.pad);
    const [wasm, cpu] = [await gradsOn("wasm", conv, c, 1), await gradsOn("cpu", conv, c, 1)];
    for (let i = 0; i < 2; i++) {
      expect(maxAbsDiff(tf.tensor(wasm[i] as number[]), tf.tensor(cpu[i] as number[]))).toBeLessThan(1e-4);
    }
  });

  it.each(cases)("conv2dTranspose gradients match cpu for $x * $w stride $stride $pad", async (c) => {
    // The transpose of conv2d(x: c.x, w) maps that conv's output shape back to c.x.
    const outShape = tf.tidy(
      () => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.w) as tf.Tensor4D, c.stride, c.pad).shape,
    );
    const input: Case = { ...c, x: outShape as Case["x"] };
    const transpose = (y: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2dTranspose(y, w, c.x, c.stride, c.pad);
    const [wasm, cpu] = [
      await gradsOn("wasm", transpose, input, 5),
      await gradsOn("cpu", transpose, input, 5),
    ];
    for (let i = 0; i < 2; i++) {
      expect(maxAbsDiff(tf.tensor(wasm[i] as number[]), tf.tensor(cpu[i] as number[]))).toBeLessThan(1e-4);
    }
  });

  it("conv2dTranspose forward matches cpu", async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const y = tf.randomNormal([2, 7, 7, 6], 0, 1, "float32", 3) as tf.Tensor4D;
        const w = tf.randomNormal([4, 4, 3, 6], 0, 1, "float32", 4) as tf.Tensor4D;
        return tf.conv2dTranspose(y, w, [2, 14, 14, 3], 2, "same").arraySync();
      });
    };
    const [wasm, cpu] = [await run("wasm"), await run("cpu")];
    expect(maxAbsDiff(tf.tensor(wasm), tf.tensor(cpu))).toBeLessThan(1e-4);
    await tf.setBackend("wasm");
  });
});
