import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDiscriminator, buildGenerator } from "../src/models/cdcgan.ts";
import {
  createOptimizers,
  discriminatorStep,
  type GanState,
  generatorStep,
  oneHotLabels,
} from "../src/training/steps.ts";
import { backend, tinyConfig } from "./helpers.ts";

// The same checks for the plain conditional GAN, the projection discriminator, the ACGAN (a class head in D,
// auxWeight > 0), and the ACGAN with every image D sees augmented.
describe.each([
  ["plain", tinyConfig, {}],
  ["projection", { ...tinyConfig, conditioning: "projection" }, {}],
  ["ACGAN", { ...tinyConfig, auxWeight: 1 }, {}],
  ["ACGAN, augmented", { ...tinyConfig, auxWeight: 1 }, { augment: { shift: 2, cutout: 6 } }],
] as const)("training steps (%s)", (_, config, extra) => {
  let tf: typeof tfCore;
  let state: GanState;
  let images: tfCore.Tensor4D;
  let labels: tfCore.Tensor2D;
  const batch = 4;

  beforeAll(async () => {
    ({ tf } = await backend());
    state = {
      generator: buildGenerator(config),
      discriminator: buildDiscriminator(config),
      ...createOptimizers(tf),
      latentDim: config.latentDim,
      numClasses: config.numClasses,
      auxWeight: config.auxWeight,
      ...extra,
    };
    images = tf.randomUniform([batch, 28, 28, 1], -1, 1) as tfCore.Tensor4D;
    labels = tf.tidy(() => oneHotLabels(tf, tf.tensor1d([0, 1, 2, 3], "int32"), config.numClasses));
  });

  afterAll(() => {
    tf.dispose([images, labels]);
    state.generator.dispose();
    state.discriminator.dispose();
  });

  it("a D step and a G step return finite losses that add up", () => {
    const d = discriminatorStep(tf, state, images, labels);
    const g = generatorStep(tf, state, batch);
    for (const v of [d.loss, d.realLoss, d.fakeLoss, g.loss]) expect(Number.isFinite(v)).toBe(true);
    expect(d.loss).toBeCloseTo(d.realLoss + d.fakeLoss + d.classLoss, 5);
    expect(g.loss).toBeCloseTo(g.adversarial + (config.auxWeight ?? 0) * g.classLoss, 5);
    // Only a class head has a class loss.
    expect(d.classLoss > 0).toBe((config.auxWeight ?? 0) > 0);
    expect(g.classLoss > 0).toBe((config.auxWeight ?? 0) > 0);
  });

  it("updates only the network it trains", () => {
    const snapshot = (m: GanState["generator"]) =>
      m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const [g0, d0] = [snapshot(state.generator), snapshot(state.discriminator)];
    discriminatorStep(tf, state, images, labels);
    expect(snapshot(state.generator)).toEqual(g0);
    expect(snapshot(state.discriminator)).not.toEqual(d0);
    const d1 = snapshot(state.discriminator);
    generatorStep(tf, state, batch);
    expect(snapshot(state.discriminator)).toEqual(d1);
    expect(snapshot(state.generator)).not.toEqual(g0);
  });

  it("leaks no tensors after warm-up", () => {
    discriminatorStep(tf, state, images, labels);
    generatorStep(tf, state, batch);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      discriminatorStep(tf, state, images, labels);
      generatorStep(tf, state, batch);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("the ACGAN class head", () => {
  it("answers real/fake and names the class (a plain D only real/fake), and learns classes of real images", async () => {
    const { tf } = await backend();
    const config = { ...tinyConfig, auxWeight: 1 };
    const state: GanState = {
      generator: buildGenerator(config),
      discriminator: buildDiscriminator(config),
      // A fast rate, so the head visibly learns four fixed images within a few dozen steps.
      dOptimizer: tf.train.adam(5e-3, 0.5),
      gOptimizer: tf.train.adam(2e-4, 0.5),
      latentDim: config.latentDim,
      numClasses: config.numClasses,
      auxWeight: config.auxWeight,
    };
    expect(state.discriminator.outputs[0]?.shape).toEqual([null, 1 + config.numClasses]);
    const plain = buildDiscriminator(tinyConfig);
    expect(plain.outputs[0]?.shape).toEqual([null, 1]);
    plain.dispose();
    const images = tf.randomUniform([4, 28, 28, 1], -1, 1) as tfCore.Tensor4D;
    const labels = tf.tidy(() => oneHotLabels(tf, tf.tensor1d([0, 1, 2, 3], "int32"), config.numClasses));
    // Four fixed images, four classes: repeated D steps must drive the head's cross-entropy down.
    const first = discriminatorStep(tf, state, images, labels).classLoss;
    let last = first;
    for (let i = 0; i < 30; i++) last = discriminatorStep(tf, state, images, labels).classLoss;
    expect(last).toBeLessThan(first * 0.5);
    tf.dispose([images, labels]);
    state.generator.dispose();
    state.discriminator.dispose();
  });
});

describe("the projection discriminator", () => {
  it("changes its logit between labels by the per-class vectors' difference dotted with the image features", async () => {
    const { tf } = await backend();
    const d = buildDiscriminator({ ...tinyConfig, conditioning: "projection" });
    const flatten = d.layers.find((l) => l.getClassName() === "Flatten");
    if (!flatten) throw new Error("no Flatten layer");
    const features = tfl.model({ inputs: d.inputs, outputs: flatten.output as tfl.SymbolicTensor });
    const [classVectors] = d.getLayer("d_projection").getWeights();
    const image = tf.randomUniform([1, 28, 28, 1], -1, 1, "float32", 3);
    const label = (k: number) => oneHotLabels(tf, tf.tensor1d([k], "int32"), tinyConfig.numClasses);
    const logit = (k: number) => (d.predict([image, label(k)]) as tfCore.Tensor).dataSync()[0] ?? Number.NaN;
    const phi = tf.reshape(features.predict([image, label(0)]) as tfCore.Tensor, [-1, 1]);
    const w = classVectors as tfCore.Tensor2D;
    const difference = tf.sub(tf.slice(w, [2, 0], [1, -1]), tf.slice(w, [5, 0], [1, -1]));
    const expected = tf.matMul(difference, phi).dataSync()[0];
    expect(logit(2) - logit(5)).toBeCloseTo(expected ?? Number.NaN, 4);
    // Without the label channel the image features do not depend on the label at all.
    const phi7 = (features.predict([image, label(7)]) as tfCore.Tensor).dataSync();
    expect(Array.from(phi7)).toEqual(Array.from(phi.dataSync()));
    d.dispose();
  });
});
