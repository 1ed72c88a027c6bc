import { FASHION_CLASSES, SHAPES_VOCABULARY } from "@ganvas/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDiscriminator, buildGenerator, fashionCdcgan } from "../src/models/cdcgan.ts";
import { isModelName, MODELS } from "../src/models/registry.ts";
import { isTextModel, shapesTcgan } from "../src/models/tcgan.ts";
import { backend, tinyConfig } from "./helpers.ts";

describe("fashion-cdcgan builders", () => {
  let tf: Awaited<ReturnType<typeof backend>>["tf"];
  beforeAll(async () => {
    ({ tf } = await backend());
  });

  it("generator maps noise and a one-hot label to a 28×28×1 image in [-1, 1]", () => {
    const g = buildGenerator(tinyConfig);
    const out = tf.tidy(() => {
      const y = g.predict([
        tf.randomNormal([3, tinyConfig.latentDim]),
        tf.oneHot(tf.tensor1d([0, 4, 9], "int32"), tinyConfig.numClasses),
      ]) as import("@tensorflow/tfjs-core").Tensor;
      return { shape: y.shape, min: tf.min(y).dataSync()[0] ?? 0, max: tf.max(y).dataSync()[0] ?? 0 };
    });
    expect(out.shape).toEqual([3, 28, 28, 1]);
    expect(out.min).toBeGreaterThanOrEqual(-1);
    expect(out.max).toBeLessThanOrEqual(1);
    g.dispose();
  });

  it("discriminator maps an image and a label to one logit", () => {
    const d = buildDiscriminator(tinyConfig);
    const shape = tf.tidy(
      () =>
        (
          d.predict([
            tf.zeros([2, 28, 28, 1]),
            tf.oneHot(tf.tensor1d([1, 2], "int32"), tinyConfig.numClasses),
          ]) as import("@tensorflow/tfjs-core").Tensor
        ).shape,
    );
    expect(shape).toEqual([2, 1]);
    d.dispose();
  });

  it("the same seed builds the same weights", () => {
    const [a, b] = [buildGenerator(tinyConfig), buildGenerator(tinyConfig)];
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
    a.dispose();
    b.dispose();
  });
});

describe("model definition", () => {
  it("describes the shipped model", () => {
    expect(fashionCdcgan).toMatchObject({
      name: "fashion-cdcgan",
      task: "text-to-image",
      output: { width: 28, height: 28, channels: 1 },
      valueRange: [-1, 1],
    });
    expect(fashionCdcgan.latentDim).toBe(fashionCdcgan.config.latentDim);
  });

  it("indexes classes in the order the prompt vocabulary does", () => {
    expect([...fashionCdcgan.classes]).toEqual(FASHION_CLASSES.map((c) => c.label));
  });

  it("registry knows the model by name and nothing else", () => {
    expect(MODELS["fashion-cdcgan"]).toBe(fashionCdcgan);
    expect(MODELS["shapes-tcgan"]).toBe(shapesTcgan);
    expect(isTextModel(shapesTcgan)).toBe(true);
    expect(isTextModel(fashionCdcgan)).toBe(false);
    expect(shapesTcgan.config.vocabSize).toBe(SHAPES_VOCABULARY.tokens.length);
    expect(isModelName("fashion-cdcgan")).toBe(true);
    expect(isModelName("toString")).toBe(false);
  });
});
