import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tfl from "@tensorflow/tfjs-layers";
import { describe, expect, it } from "vitest";
import {
  type DomainSets,
  loadOrTrainStyleClassifier,
  type StyleClassifierConfig,
} from "../src/style/classifier.ts";
import { cardMetrics, fitToMultiple, type StyleEvalData, scoreStyle } from "../src/style/evaluate.ts";
import { parseStyleEvalArgs } from "../src/style/evaluate-cli.ts";
import { edgeSsim, luma, sobelMagnitude, ssim } from "../src/style/evaluate-metrics.ts";
import { type FloatImage, gridCrops } from "../src/style/photo-data.ts";
import { backend, withTempDir } from "./helpers.ts";

function image(
  name: string,
  w: number,
  h: number,
  f: (x: number, y: number, c: number) => number,
): FloatImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
  return { name, width: w, height: h, data };
}

/** A "scene": soft shapes with edges, values in [-1, 1]. */
const scene = (name: string, seed: number, w = 48, h = 40) =>
  image(name, w, h, (x, y, c) =>
    Math.tanh(Math.sin((x + seed) / 4) * Math.cos((y - seed) / 5) * 3 + (c - 1) * 0.3),
  );

describe("edge-map SSIM", () => {
  const a = scene("a", 1);

  it("is 1 for identical images and for a palette change that keeps every edge", () => {
    expect(edgeSsim(a, a)).toBe(1);
    // Negating RGB negates luma, which leaves gradient magnitudes unchanged.
    const negated = { ...a, data: a.data.map((v) => -v) };
    expect(edgeSsim(a, negated)).toBeCloseTo(1, 6);
  });

  it("falls for moved edges and is near 0 for a flat output", () => {
    const moved = scene("moved", 7);
    const flat = image("flat", 48, 40, () => 0.2);
    const sMoved = edgeSsim(a, moved);
    expect(sMoved).toBeLessThan(0.7);
    expect(edgeSsim(moved, a)).toBeCloseTo(sMoved, 10);
    expect(edgeSsim(a, flat)).toBeLessThan(0.05);
  });

  it("Sobel reads a unit step as 1, flat regions as 0", () => {
    const step = image("step", 8, 4, (x) => (x < 4 ? -1 : 1));
    const edges = sobelMagnitude(luma(step));
    expect(edges.data[1 * 8 + 1]).toBe(0);
    expect(edges.data[1 * 8 + 3]).toBeCloseTo(1, 12);
    expect(edges.data[1 * 8 + 4]).toBeCloseTo(1, 12);
    expect(ssim(edges, edges)).toBe(1);
  });
});

describe("style evaluator", () => {
  const tinyJudge: StyleClassifierConfig = {
    crop: 16,
    filters: [4, 8, 8],
    cropsPerClass: 256,
    epochs: 3,
    batchSize: 16,
    seed: 2,
  };
  // Source: smooth scenes; target "style": hard blue stripes. The judge must tell them apart.
  const stripes = (name: string, phase: number) =>
    image(name, 48, 40, (x, y, c) => (c === 2 ? 0.8 : Math.floor((x + 2 * y + phase) / 3) % 2 ? 0.6 : -0.6));
  const data: StyleEvalData = {
    style: "stripes",
    sets: {
      source: {
        name: "scenes",
        train: [scene("s1", 1), scene("s2", 5), scene("s3", 9)],
        heldOut: [scene("h1", 13)],
      },
      target: { name: "stripes", train: [stripes("t1", 0), stripes("t2", 1)], heldOut: [stripes("t3", 2)] },
    } satisfies DomainSets,
    heldOutCrops: {
      source: gridCrops([scene("h1", 13)], 16, 6),
      target: gridCrops([stripes("t3", 2)], 16, 6),
    },
    inputs: [scene("h1", 13, 50, 42), scene("h2", 17)],
    crop: 16,
    judge: tinyJudge,
  };

  it("trains and caches a judge, then scores an identity generator: edges kept, style not reached", async () => {
    const { tf, name } = await backend();
    await withTempDir(async (dir) => {
      const o = {
        tf,
        backend: name,
        dir: join(dir, "judge"),
        style: "stripes",
        sets: data.sets,
        heldOut: data.heldOutCrops,
        config: data.judge,
      };
      const first = await loadOrTrainStyleClassifier(o);
      expect(first.cached).toBe(false);
      expect(first.info.heldOut.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(existsSync(join(dir, "judge", "classifier.json"))).toBe(true);
      const again = await loadOrTrainStyleClassifier(o);
      expect(again.cached).toBe(true);
      expect(again.info).toEqual(first.info);

      const input = tfl.input({ shape: [null, null, 3] });
      const identity = tfl.model({
        inputs: input,
        outputs: tfl.layers.activation({ activation: "linear" }).apply(input) as tfl.SymbolicTensor,
      });
      const { score, inputs } = await scoreStyle(tf, identity, first.model, data, 4);
      // 50×42 is cut to 48×40 for the generator's multiple of 4.
      expect(inputs.map((i) => [i.width, i.height])).toEqual([
        [48, 40],
        [48, 40],
      ]);
      expect(score.edgeSsim).toBe(1);
      expect(score.outputCrops).toBe(2 * 3 * 2);
      expect(score.styleAccuracy).toBe(score.inputStyleRate);
      expect(score.styleAccuracy).toBeLessThan(0.5);
      expect(score.secondsPerMegapixel).toBeGreaterThan(0);
      expect(score.referenceEdgeSsim).toBeUndefined();
      // A paired style scores its true outputs too: here each input's true output is the other input.
      const references = [...data.inputs].reverse();
      const paired = (await scoreStyle(tf, identity, first.model, { ...data, references }, 4)).score;
      expect(paired.edgeSsim).toBe(1);
      const [a, b] = inputs as [FloatImage, FloatImage];
      expect(paired.referenceEdgeSsim).toBeCloseTo((edgeSsim(a, b) + edgeSsim(b, a)) / 2, 10);
      expect(paired.referenceEdgeSsim).toBeLessThan(0.99);
      const metrics = cardMetrics({
        stripes: {
          training: {},
          classifier: { ...first.info, dir: "judge" },
          score,
          targets: { styleAccuracy: { target: 0.9, met: false }, edgeSsim: { target: 0.5, met: true } },
        },
      });
      expect(Object.keys(metrics).sort()).toEqual([
        "stripes.classifierAccuracy",
        "stripes.edgeSsim",
        "stripes.inputStyleRate",
        "stripes.secondsPerMegapixel",
        "stripes.styleAccuracy",
      ]);
      for (const v of Object.values(metrics)) expect(typeof v).toBe("number");
      identity.dispose();
      first.model.dispose();
      again.model.dispose();
      expect(JSON.parse(await readFile(join(dir, "judge", "classifier.json"), "utf8")).style).toBe("stripes");
    });
  }, 30_000);

  it("fitToMultiple keeps the top-left part; the CLI needs a model dir", () => {
    const s = scene("s", 1, 13, 10);
    const fitted = fitToMultiple(s, 4);
    expect([fitted.width, fitted.height]).toEqual([12, 8]);
    expect(fitted.data.subarray(0, 36)).toEqual(s.data.subarray(0, 36));
    expect(fitToMultiple(fitted, 4)).toBe(fitted);
    expect(() => parseStyleEvalArgs([])).toThrow(/--model-dir/);
    expect(parseStyleEvalArgs(["--model-dir", "m"]).classifierDir).toBe(
      join("models", "eval", "style-classifier"),
    );
  });
});
