import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { fsHandler } from "../src/models/fs-handler.ts";
import { parseCycleGanTrainArgs } from "../src/style/cyclegan-cli.ts";
import {
  buildCycleGanGenerator,
  buildPatchDiscriminator,
  type CycleGanConfig,
} from "../src/style/cyclegan-model.ts";
import {
  CYCLEGAN_DEFAULTS,
  type CycleGanMetadata,
  cycleGanStep,
  ImagePool,
  learningRateAt,
  sobelEdges,
  trainCycleGan,
} from "../src/style/cyclegan-train.ts";
import { luma, sobelMagnitude } from "../src/style/evaluate-metrics.ts";
import { rng } from "../src/training/random.ts";
import { backend, expectSameSizeInRange, withTempDir } from "./helpers.ts";

const tiny: CycleGanConfig = {
  generatorFilters: 4,
  residualBlocks: 1,
  discriminatorFilters: 4,
  discriminatorLayers: 2,
  seed: 3,
};

/** Two tiny generator/discriminator pairs with fast optimizers, and one random 16×16 batch per domain. */
async function tinyCycleGan() {
  const { tf } = await backend();
  const state = {
    gAB: buildCycleGanGenerator(tiny),
    gBA: buildCycleGanGenerator({ ...tiny, seed: 9 }),
    dA: buildPatchDiscriminator(tiny),
    dB: buildPatchDiscriminator({ ...tiny, seed: 8 }),
    gOptimizer: tf.train.adam(5e-3, 0.5),
    dOptimizer: tf.train.adam(5e-3, 0.5),
  };
  const a = tf.randomUniform([2, 16, 16, 3], -1, 1, "float32", 1) as tfCore.Tensor4D;
  const b = tf.randomUniform([2, 16, 16, 3], -1, 1, "float32", 2) as tfCore.Tensor4D;
  return { tf, state, a, b };
}

/** A small unpaired data root on disk, as style-data.sh lays it out: photos/ and starry-night/. */
async function writeTinyStyleRoot(root: string): Promise<void> {
  const write = async (
    path: string,
    w: number,
    h: number,
    f: (x: number, y: number, c: number) => number,
  ) => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
    await sharp(data, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(path);
  };
  await mkdir(join(root, "photos"), { recursive: true });
  await mkdir(join(root, "starry-night"), { recursive: true });
  // Smooth gradients for "photos" (two of them carry held-out names), stripes for the "painting".
  for (const [i, name] of ["a", "b", "c", "Garden", "Storm"].entries()) {
    await write(
      join(root, "photos", `${name}.png`),
      120,
      100,
      (x, y, c) => (x * (c + 1) + y * (i + 1)) % 256,
    );
  }
  await write(join(root, "starry-night", "starry_night.png"), 160, 100, (x, y, c) =>
    c === 2 ? 200 : 60 + 120 * (Math.floor((x + 2 * y) / 6) % 2),
  );
}

describe("CycleGAN networks", () => {
  it("the generator keeps any multiple-of-4 size and stays in [-1, 1]; the discriminator gives a patch map", async () => {
    const { tf } = await backend();
    const g = buildCycleGanGenerator(tiny);
    const d = buildPatchDiscriminator(tiny);
    expectSameSizeInRange(tf, g, [
      [16, 16],
      [20, 28],
    ]);
    // The resize-then-convolve variant keeps the same contract.
    const nearest = buildCycleGanGenerator({ ...tiny, upsampling: "nearest" });
    const resized = tf.tidy(() => nearest.predict(tf.zeros([1, 12, 20, 3])) as tfCore.Tensor);
    expect(resized.shape).toEqual([1, 12, 20, 3]);
    resized.dispose();
    nearest.dispose();
    const logits = tf.tidy(() => d.predict(tf.zeros([2, 32, 32, 3])) as tfCore.Tensor);
    expect(logits.shape).toEqual([2, 8, 8, 1]);
    logits.dispose();
    g.dispose();
    d.dispose();
  });
});

describe("CycleGAN training", () => {
  it("the history buffer fills to 50, then returns an older fake about half the time", () => {
    const pool = new ImagePool(50);
    const next = rng(4);
    for (let i = 0; i < 50; i++) expect(pool.query(Float32Array.of(i), next)[0]).toBe(i);
    expect(pool.size).toBe(50);
    let older = 0;
    for (let i = 50; i < 450; i++) if ((pool.query(Float32Array.of(i), next)[0] ?? 0) !== i) older++;
    expect(older).toBeGreaterThan(150);
    expect(older).toBeLessThan(250);
    expect(pool.size).toBe(50);
  });

  it("the learning rate holds for the first half, then falls linearly to zero", () => {
    expect(learningRateAt(2e-4, 0, 100, 0.5)).toBe(2e-4);
    expect(learningRateAt(2e-4, 49, 100, 0.5)).toBe(2e-4);
    expect(learningRateAt(2e-4, 75, 100, 0.5)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(2e-4, 100, 100, 0.5)).toBe(0);
  });

  it("repeated steps on one pair lower the cycle loss and leak no tensors", async () => {
    const { tf, state, a, b } = await tinyCycleGan();
    const pools = { a: new ImagePool(50), b: new ImagePool(50) };
    const weights = { cycle: 10, identity: 0.5 };
    const first = cycleGanStep(tf, state, a, b, pools, weights, rng(1));
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 15; i++) last = cycleGanStep(tf, state, a, b, pools, weights, rng(i));
    expect(tf.memory().numTensors).toBe(count);
    expect(last.cycle).toBeLessThan(first.cycle);
    for (const v of Object.values(last)) expect(Number.isFinite(v)).toBe(true);
    expect(pools.a.size).toBe(32);
    tf.dispose([a, b]);
    for (const m of [state.gAB, state.gBA, state.dA, state.dB]) m.dispose();
  });

  it("the training edge map is the evaluator's Sobel map, borders included", async () => {
    const { tf } = await backend();
    const [w, h] = [9, 7];
    const image = tf.randomUniform([1, h, w, 3], -1, 1, "float32", 4) as tfCore.Tensor4D;
    const data = Float32Array.from(image.dataSync());
    const ours = tf.tidy(() => sobelEdges(tf, image));
    const theirs = sobelMagnitude(luma({ name: "random", width: w, height: h, data }));
    const got = ours.dataSync();
    // The evaluator clips at 1 (a full step); below that the two agree up to sqrt's epsilon.
    for (let i = 0; i < w * h; i++)
      expect(Math.min(1, got[i] ?? Number.NaN)).toBeCloseTo(theirs.data[i] ?? 0, 3);
    expect(theirs.data.some((v) => v > 0.1 && v < 1)).toBe(true);
    tf.dispose([image, ours]);
  });

  it("the edge-consistency term is reported and trained down, leaking nothing", async () => {
    const { tf, state, a, b } = await tinyCycleGan();
    const pools = { a: new ImagePool(0), b: new ImagePool(0) };
    const weights = { cycle: 1, identity: 0, edge: 20 };
    const first = cycleGanStep(tf, state, a, b, pools, weights, rng(1));
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 15; i++) last = cycleGanStep(tf, state, a, b, pools, weights, rng(i));
    expect(tf.memory().numTensors).toBe(count);
    expect(first.edge).toBeGreaterThan(0);
    expect(last.edge).toBeLessThan(first.edge * 0.8);
    // Off by default: the paper's objective, and no edge term reported.
    expect(cycleGanStep(tf, state, a, b, pools, { cycle: 10, identity: 0 }, rng(2)).edge).toBe(0);
    tf.dispose([a, b]);
    for (const m of [state.gAB, state.gBA, state.dA, state.dB]) m.dispose();
  });

  it("2 steps write the generator, metadata, samples and resumable state; resume continues to 3", async () => {
    await withTempDir(async (dir) => {
      const root = join(dir, "data");
      await writeTinyStyleRoot(root);
      const options = {
        ...parseCycleGanTrainArgs([
          "--style",
          "starry-night",
          "--steps",
          "2",
          "--crop",
          "32",
          "--batch",
          "2",
        ]),
        config: tiny,
        seed: 3,
        checkpointEvery: 1,
        outDir: join(dir, "out"),
        stateDir: join(dir, "state"),
        dataRoot: root,
        progress: false as const,
      };
      const first = await trainCycleGan(options);
      expect(first.metadata.step).toBe(2);
      for (const f of ["model.json", "weights.bin", "metadata.json", "samples.png"]) {
        expect(existsSync(join(dir, "out", f))).toBe(true);
      }
      for (const f of [
        "discriminator/model.json",
        "reverse-generator/model.json",
        "photo-discriminator/model.json",
        "g-optimizer.bin",
        "samples/epoch-2.png",
      ]) {
        expect(existsSync(join(dir, "state", f))).toBe(true);
      }
      const meta = JSON.parse(await readFile(join(dir, "out", "metadata.json"), "utf8")) as CycleGanMetadata;
      expect(meta).toMatchObject({
        style: "starry-night",
        multiple: 4,
        valueRange: [-1, 1],
        completed: true,
      });
      expect(meta.options.heldOutPhotos).toEqual(["Garden", "Storm"]);
      // Two held-out photos → two rows of 96 px tiles: photo · stylised · reconstructed.
      const png = await sharp(join(dir, "out", "samples.png")).metadata();
      expect([png.width, png.height]).toEqual([3 * 96 + 4 * 4, 2 * 96 + 3 * 4]);
      // The shipped generator loads on its own, with the custom layers registered.
      const g = await tfl.loadLayersModel(fsHandler(join(dir, "out")));
      expect(g.outputs[0]?.shape).toEqual([null, null, null, 3]);
      g.dispose();
      const resumed = await trainCycleGan({ ...options, steps: 3, resume: true });
      expect(resumed.metadata.step).toBe(3);
      expect(resumed.metadata.trainingSeconds).toBeGreaterThanOrEqual(meta.trainingSeconds);
    });
  }, 60_000);

  it("the CLI refuses an unknown style and a crop that is not a multiple of 4", () => {
    expect(() => parseCycleGanTrainArgs(["--style", "cubism"])).toThrow(/--style/);
    expect(() => parseCycleGanTrainArgs(["--style", "low-poly", "--crop", "30"])).toThrow(/multiple of 4/);
    expect(() => parseCycleGanTrainArgs(["--style", "low-poly", "--upsampling", "bicubic"])).toThrow(
      /--upsampling/,
    );
    const o = parseCycleGanTrainArgs(["--style", "low-poly"]);
    expect(o.outDir).toBe(join(".ganvas", "runs", "cyclegan", "low-poly"));
    expect(o.weights).toEqual(CYCLEGAN_DEFAULTS.weights);
    expect(o.poolSize).toBe(50);
  });
});
