import type * as tfCore from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { loadEmojiPairs } from "../src/style/emoji-data.ts";
import {
  buildPix2PixDiscriminator,
  buildPix2PixGenerator,
  type Pix2PixConfig,
  pix2pixMultiple,
} from "../src/style/pix2pix-model.ts";
import { pix2pixLearningRate, pix2pixStep } from "../src/style/pix2pix-steps.ts";
import { backend, expectSameSizeInRange } from "./helpers.ts";

const tiny: Pix2PixConfig = {
  filters: 8,
  maxFilters: 16,
  depth: 3,
  discriminatorFilters: 4,
  discriminatorLayers: 2,
  seed: 5,
};

describe("pix2pix networks", () => {
  it("the U-Net keeps any multiple-of-2^depth size in [-1, 1]; the discriminator judges pairs patch by patch", async () => {
    const { tf } = await backend();
    expect(pix2pixMultiple(tiny)).toBe(8);
    const g = buildPix2PixGenerator(tiny);
    const d = buildPix2PixDiscriminator(tiny);
    expectSameSizeInRange(tf, g, [
      [8, 8],
      [24, 40],
    ]);
    const logits = tf.tidy(
      () => d.predict([tf.zeros([2, 32, 32, 3]), tf.zeros([2, 32, 32, 3])]) as tfCore.Tensor,
    );
    expect(logits.shape).toEqual([2, 8, 8, 1]);
    logits.dispose();
    g.dispose();
    d.dispose();
  });

  it("steps return finite losses, pull G(source) towards the target and leak no tensors", async () => {
    const { tf } = await backend();
    const { train } = await loadEmojiPairs({ limit: 4 });
    const pack = (key: "input" | "target") => {
      const data = new Float32Array(4 * 64 * 64 * 3);
      for (const [i, p] of train.entries()) data.set(p[key].data, i * 64 * 64 * 3);
      return tf.tensor4d(data, [4, 64, 64, 3]);
    };
    const source = pack("input");
    const target = pack("target");
    const state = {
      generator: buildPix2PixGenerator(tiny),
      discriminator: buildPix2PixDiscriminator(tiny),
      gOptimizer: tf.train.adam(2e-3, 0.5),
      dOptimizer: tf.train.adam(2e-4, 0.5),
    };
    const first = pix2pixStep(tf, state, source, target, 100);
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 25; i++) last = pix2pixStep(tf, state, source, target, 100);
    expect(tf.memory().numTensors).toBe(tensors);
    for (const v of Object.values(last)) expect(Number.isFinite(v)).toBe(true);
    expect(last.g).toBeCloseTo(last.adversarial + 100 * last.l1, 3);
    expect(last.l1).toBeLessThan(0.7 * first.l1);
    // The generator's batch norm kept moving statistics while training, which inference uses.
    const moving = state.generator.getLayer("down1_norm").getWeights()[2] as tfCore.Tensor;
    expect(Math.max(...moving.dataSync().map(Math.abs))).toBeGreaterThan(0);
    tf.dispose([source, target]);
    state.generator.dispose();
    state.discriminator.dispose();
  });

  it("decays the learning rate linearly to zero over the second half", () => {
    expect(pix2pixLearningRate(2e-4, 0, 100, 0.5)).toBe(2e-4);
    expect(pix2pixLearningRate(2e-4, 49, 100, 0.5)).toBe(2e-4);
    expect(pix2pixLearningRate(2e-4, 75, 100, 0.5)).toBeCloseTo(1e-4, 10);
    expect(pix2pixLearningRate(2e-4, 100, 100, 0.5)).toBe(0);
  });
});
