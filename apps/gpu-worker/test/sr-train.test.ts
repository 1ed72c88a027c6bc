import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resolveModel } from "@ganvas/shared";
import type * as tfCore from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { parseSrEvalArgs, parseSrTrainArgs } from "../src/sr/cli.ts";
import { encodePngRgb } from "../src/sr/image.ts";
import { buildSrDiscriminator, buildSrGenerator, type SrConfig } from "../src/sr/model.ts";
import {
  adversarialStep,
  contentStep,
  createSrOptimizers,
  type SrTrainingMetadata,
  srLearningRate,
  trainSr,
} from "../src/sr/train.ts";
import { backend, withTempDir } from "./helpers.ts";

const tiny: SrConfig = {
  scale: 2,
  filters: 4,
  blocks: 1,
  residualScale: 0.2,
  discriminatorWidths: [4, 8],
  patchSize: 16,
  seed: 5,
};

async function writePhotos(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let n = 0; n < count; n++) {
    const width = 72;
    const height = 56;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const x = i % width;
      const y = Math.floor(i / width);
      for (let c = 0; c < 3; c++) data[i * 3 + c] = 128 + 100 * Math.sin((x * (c + 1) + y * (n + 2)) / 5);
    }
    await writeFile(join(dir, `p${n}.png`), await encodePngRgb({ width, height, data }));
  }
}

describe("SR training steps", () => {
  it("phase 1 lowers L1 on a fixed batch; phase 2 returns all losses; no tensors leak", async () => {
    const { tf } = await backend();
    const state = {
      generator: buildSrGenerator(tiny),
      discriminator: buildSrDiscriminator(tiny),
      ...createSrOptimizers(tf, 1e-2),
    };
    const lr = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 1) as tfCore.Tensor4D;
    const hr = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 2) as tfCore.Tensor4D;
    const first = contentStep(tf, state, lr, hr);
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 10; i++) last = contentStep(tf, state, lr, hr);
    expect(tf.memory().numTensors).toBe(count);
    expect(last.content).toBeLessThan(first.content);
    const adv = adversarialStep(tf, state, lr, hr, 5e-3);
    const count2 = tf.memory().numTensors;
    adversarialStep(tf, state, lr, hr, 5e-3);
    expect(tf.memory().numTensors).toBe(count2);
    for (const v of [adv.d, adv.g, adv.content, adv.adversarial]) expect(Number.isFinite(v)).toBe(true);
    expect(adv.g).toBeCloseTo(adv.content + 5e-3 * adv.adversarial, 5);
    tf.dispose([lr, hr]);
    state.generator.dispose();
    state.discriminator.dispose();
  });
});

describe("sr-train loop", () => {
  it("runs both phases, writes checkpoint + metadata + samples, and resumes", async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, "photos");
      await writePhotos(data, 2);
      const out = join(dir, "out");
      const options = parseSrTrainArgs([
        "--model",
        "sr-x2",
        "--pretrain-steps",
        "2",
        "--gan-steps",
        "1",
        "--batch",
        "2",
        "--patch",
        "16",
        "--min-patch-std",
        "0",
        "--checkpoint-every",
        "2",
        "--out",
        out,
        "--state",
        join(dir, "state"),
        "--data",
        data,
        "--backend",
        "wasm",
      ]);
      const first = await trainSr({ ...options, progress: false });
      expect(first.metadata.step).toBe(3);
      expect(first.metadata.phase).toBe(2);
      expect(first.metadata.completed).toBe(true);
      for (const f of ["model.json", "weights.bin", "metadata.json", "samples.png"])
        expect(existsSync(join(out, f))).toBe(true);
      expect(existsSync(join(dir, "state", "discriminator", "model.json"))).toBe(true);
      const resumed = await trainSr({ ...options, ganSteps: 2, resume: true, progress: false });
      expect(resumed.metadata.step).toBe(4);
      const meta = JSON.parse(await readFile(join(out, "metadata.json"), "utf8")) as SrTrainingMetadata;
      expect(meta.step).toBe(4);
      expect(meta.sample?.bicubicPsnr).toBeGreaterThan(10);
    });
  });

  it("decays the content-phase learning rate along a cosine, then holds the floor", () => {
    expect(srLearningRate(0, 100, 2e-4, 1e-5)).toBeCloseTo(2e-4, 12);
    expect(srLearningRate(50, 100, 2e-4, 1e-5)).toBeCloseTo(1.05e-4, 12);
    expect(srLearningRate(100, 100, 2e-4, 1e-5)).toBeCloseTo(1e-5, 12);
    expect(srLearningRate(150, 100, 2e-4, 1e-5)).toBe(1e-5);
    expect(srLearningRate(70, 100, 2e-4)).toBe(2e-4); // no floor given: constant
    for (let s = 1; s <= 100; s++)
      expect(srLearningRate(s, 100, 2e-4, 1e-5)).toBeLessThanOrEqual(srLearningRate(s - 1, 100, 2e-4, 1e-5));
  });

  it("parses CLI options and rejects bad ones", () => {
    expect(parseSrTrainArgs([]).outDir).toBe(join(".ganvas", "runs", "srgan-x2"));
    expect(parseSrTrainArgs(["--model", "sr-x4"]).outDir).toBe(join(".ganvas", "runs", "srgan-x4"));
    expect(parseSrTrainArgs(["--lr", "2e-4", "--lr-min", "1e-5"])).toMatchObject({
      learningRate: 2e-4,
      learningRateMin: 1e-5,
    });
    // sr-eval reads the version a request naming srgan alone gets, and that folder is shipped.
    const shipped = String(resolveModel("super-resolution", "srgan")?.version);
    expect(parseSrEvalArgs(["--scale", "4"]).modelDir).toBe(
      join("models", "super-resolution", "srgan", shipped, "x4"),
    );
    expect(existsSync(join(parseSrEvalArgs([]).modelDir, "model.json"))).toBe(true);
    expect(() => parseSrEvalArgs(["--card", "d", "--out", "x.json"])).toThrow(/--card/);
    expect(() => parseSrTrainArgs(["--model", "nope"])).toThrow(/Unknown model/);
    expect(() => parseSrTrainArgs(["--pretrain-steps", "0"])).toThrow(/Nothing to do/);
    expect(parseSrEvalArgs(["--scale", "4"]).scale).toBe(4);
    expect(() => parseSrEvalArgs(["--scale", "3"])).toThrow(/2 or 4/);
    expect(() => parseSrEvalArgs(["--methods", "bicubic,foo"])).toThrow(/Unknown method/);
  });
});
