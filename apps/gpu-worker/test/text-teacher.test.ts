import { SHAPES_VOCABULARY } from "@ganvas/shared";
import type * as tfCore from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { shapesTcgan } from "../src/models/tcgan.ts";
import { createOptimizers } from "../src/training/steps.ts";
import { batchSeed, disposeTextBatch, drawTextBatch } from "../src/training/text-batch.ts";
import { type TextGanState, textGeneratorStep } from "../src/training/text-steps.ts";
import { attributeAccuracy, buildTeacher, trainTeacher } from "../src/training/text-teacher.ts";
import { backend } from "./helpers.ts";

const cfg = shapesTcgan.config;
const sizes = cfg.attributeSizes;

describe("text GAN teacher (classifier guidance)", () => {
  let tf: typeof tfCore;
  beforeAll(async () => {
    ({ tf } = await backend());
  });

  it("attributeAccuracy scores each softmax group on its own", () => {
    const acc = tf.tidy(() =>
      attributeAccuracy(
        tf,
        // Row 0 right on both groups, row 1 right on the second only.
        tf.tensor2d([
          [3, 1, 0, 5],
          [1, 3, 0, 5],
        ]),
        tf.tensor2d([
          [1, 0, 0, 1],
          [1, 0, 0, 1],
        ]),
        [2, 2],
      ),
    );
    expect(acc).toEqual([0.5, 1]);
  });

  it("learns to name real attributes from a few dozen batches, and reports held-out accuracy", () => {
    const teacher = buildTeacher(sizes, 11);
    const draw = (k: number) => drawTextBatch(tf, SHAPES_VOCABULARY, sizes, 32, batchSeed(4, -1 - k, 1));
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    const result = trainTeacher(
      tf,
      teacher,
      sizes,
      { steps: 40, learningRate: 2e-3, batchSize: 32 },
      draw,
      (_, loss) => losses.push(loss),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(losses).toHaveLength(40);
    const early = (losses[0] ?? 0) + (losses[1] ?? 0);
    const late = (losses[38] ?? 0) + (losses[39] ?? 0);
    expect(late).toBeLessThan(early * 0.8);
    expect(result.heldOutAccuracy).toHaveLength(sizes.length);
    // Background fills most of the picture: even a short run names it far above chance (1/8).
    expect(result.heldOutAccuracy[4]).toBeGreaterThan(0.4);
    teacher.dispose();
  });

  it("adds its loss to G's and stays frozen while G learns", () => {
    const teacher = buildTeacher(sizes, 12);
    const state: TextGanState = {
      generator: shapesTcgan.buildGenerator({ ...cfg, seed: 2 }),
      discriminator: shapesTcgan.buildDiscriminator({ ...cfg, seed: 2 }),
      ...createOptimizers(tf),
      latentDim: cfg.latentDim,
      attributeSizes: sizes,
      auxWeight: 1,
      discriminatorAuxWeight: 2,
      teacher,
      teacherWeight: 0.5,
    };
    const weights = () => teacher.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const frozen = weights();
    const wanted = drawTextBatch(tf, SHAPES_VOCABULARY, sizes, 4, 9);
    const g = textGeneratorStep(tf, state, wanted);
    expect(g.teacherLoss).toBeGreaterThan(0);
    expect(g.loss).toBeCloseTo(g.adversarial + g.attributeLoss + 0.5 * g.teacherLoss, 4);
    expect(weights()).toEqual(frozen);
    const without = textGeneratorStep(tf, { ...state, teacher: undefined }, wanted);
    expect(without.teacherLoss).toBe(0);
    disposeTextBatch(tf, wanted);
    for (const m of [state.generator, state.discriminator, teacher]) m.dispose();
  });
});
