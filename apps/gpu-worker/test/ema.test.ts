import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/select.ts";
import { decayAt, weightAverage } from "../src/training/ema.ts";

/** Dense + batch norm: trainable weights and the moving statistics the average must carry too. */
function tinyModel(units = 3): tfl.LayersModel {
  const input = tfl.input({ shape: [2] });
  const dense = tfl.layers.dense({ units }).apply(input) as tfl.SymbolicTensor;
  const normed = tfl.layers.batchNormalization().apply(dense) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: normed });
}

const values = (model: tfl.LayersModel) => model.weights.map((w) => [...w.read().dataSync()]);

describe("generator weight average", () => {
  it("warms its decay up from 0.1 to the one asked for", () => {
    expect(decayAt(0.999, 0)).toBeCloseTo(0.1, 12);
    expect(decayAt(0.999, 90)).toBeCloseTo(0.91, 12);
    expect(decayAt(0.999, 100_000)).toBe(0.999);
  });

  it("starts as an exact copy and moves each weight, moving statistics included, by 1 − decay", async () => {
    const { tf } = await selectBackend("cpu");
    const source = tinyModel();
    const average = await weightAverage(tf, source, 0.9);
    expect(average.model).not.toBe(source);
    expect(average.model.weights.map((w) => w.originalName)).toEqual(
      source.weights.map((w) => w.originalName),
    );
    expect(values(average.model)).toEqual(values(source));
    const before = values(source);
    // New weights everywhere, the batch norm's moving mean and variance too.
    source.setWeights(source.weights.map((w, i) => tf.fill(w.shape as number[], i + 2)));
    average.update(1_000);
    const after = values(average.model);
    before.forEach((ws, i) => {
      for (const [j, w] of ws.entries()) expect(after[i]?.[j]).toBeCloseTo(0.9 * w + 0.1 * (i + 2), 6);
    });
    // An update every step must not leave tensors behind.
    const tensors = tf.memory().numTensors;
    average.update(1_001);
    expect(tf.memory().numTensors).toBe(tensors);
    average.dispose();
    source.dispose();
  });

  it("refuses to resume an average of another shape", async () => {
    const { tf } = await selectBackend("cpu");
    const source = tinyModel(3);
    const other = tinyModel(4);
    await expect(weightAverage(tf, source, 0.9, other)).rejects.toThrow(/do not match.*--ema 0/);
    source.dispose();
    other.dispose();
  });
});
