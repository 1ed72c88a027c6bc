import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SHAPES_VOCABULARY } from "@ganvas/shared";
import type * as tfCore from "@tensorflow/tfjs-core";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { drawNoise } from "../src/models/generate.ts";
import { ENCODER_PREFIXES, shapesTcgan, type TcganConfig } from "../src/models/tcgan.ts";
import { generateFromPrompts, promptRows } from "../src/models/text-generate.ts";
import { exportLayersModel } from "../src/onnx/export.ts";
import { checkParity } from "../src/onnx/parity.ts";
import { textToImageRunner } from "../src/runtime/text-to-image.ts";
import { train } from "../src/training/run.ts";
import { SNAPSHOTS } from "../src/training/snapshots.ts";
import { createOptimizers } from "../src/training/steps.ts";
import { disposeTextBatch, drawTextBatch } from "../src/training/text-batch.ts";
import { pretrainTextEncoder } from "../src/training/text-encoder-pretrain.ts";
import { SAMPLE_PROMPTS } from "../src/training/text-samples.ts";
import {
  attributeLoss,
  modeSeekingLoss,
  type TextGanState,
  textDiscriminatorStep,
  textGeneratorStep,
} from "../src/training/text-steps.ts";
import { backend, withTempDir } from "./helpers.ts";

const cfg = shapesTcgan.config;
const spec = (prompt: string, seed: number, n = 2) => ({
  task: "text-to-image" as const,
  model: "shapes-tcgan@1",
  params: { prompt, n, seed },
  input: null,
});

describe("shapes-tcgan", () => {
  let tf: typeof tfCore;
  beforeAll(async () => {
    ({ tf } = await backend());
  });

  const textState = (config: TcganConfig): TextGanState => ({
    generator: shapesTcgan.buildGenerator(config),
    discriminator: shapesTcgan.buildDiscriminator(config),
    ...createOptimizers(tf),
    latentDim: config.latentDim,
    attributeSizes: config.attributeSizes,
    auxWeight: 1,
    discriminatorAuxWeight: 2,
  });

  it("generator: noise + token rows → 32×32 RGB in [-1, 1]; discriminator: logit + attribute logits", () => {
    const g = shapesTcgan.buildGenerator({ ...cfg, seed: 3 });
    const d = shapesTcgan.buildDiscriminator({ ...cfg, seed: 3 });
    const b = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 3, 1);
    const [gShape, dShape, lo, hi] = tf.tidy(() => {
      const img = g.predict([tf.randomNormal([3, cfg.latentDim]), b.tokens]) as tfCore.Tensor;
      const out = d.predict([img, b.tokens]) as tfCore.Tensor;
      return [img.shape, out.shape, tf.min(img).dataSync()[0], tf.max(img).dataSync()[0]];
    });
    expect(gShape).toEqual([3, 32, 32, 3]);
    expect(dShape).toEqual([3, 1 + cfg.attributeSizes.reduce((a, x) => a + x, 0)]);
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
    disposeTextBatch(tf, b);
    g.dispose();
    d.dispose();
  });

  it("nearest upsampling with the condition at every scale: same contract, and it exports to ONNX", async () => {
    const g = shapesTcgan.buildGenerator({
      ...cfg,
      upsampling: "nearest",
      conditionEveryScale: true,
      seed: 3,
    });
    const layers = g.layers.map((l) => l.getClassName());
    expect(layers).not.toContain("Conv2DTranspose");
    expect(g.layers.filter((l) => /^g_cond_\d+_joined$/.test(l.name)).map((l) => l.name)).toEqual([
      "g_cond_4_joined",
      "g_cond_8_joined",
      "g_cond_16_joined",
    ]);
    const b = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 2, 1);
    const [shape, lo, hi] = tf.tidy(() => {
      const img = g.predict([tf.randomNormal([2, cfg.latentDim]), b.tokens]) as tfCore.Tensor;
      return [img.shape, tf.min(img).dataSync()[0], tf.max(img).dataSync()[0]];
    });
    expect(shape).toEqual([2, 32, 32, 3]);
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
    disposeTextBatch(tf, b);
    const r = await checkParity(g, exportLayersModel(g), "onnxruntime-node", 2);
    expect(r.maxAbsDiff).toBeLessThan(1e-4);
    g.dispose();
  });

  it("the text encoder reads word order: swapping shape and background colours changes the image", async () => {
    const g = shapesTcgan.buildGenerator({ ...cfg, seed: 5 });
    // Raw outputs: an untrained generator's images all round to mid-gray bytes.
    const requests = ["a red star on blue", "a blue star on red", "a red star on blue"].map((prompt) => ({
      prompt,
      seed: 1,
      count: 1,
    }));
    const out = tf.tidy(() =>
      Array.from(
        (
          g.predict([
            tf.tensor2d(drawNoise(requests, cfg.latentDim), [3, cfg.latentDim]),
            tf.tensor2d(promptRows(SHAPES_VOCABULARY, requests), [3, cfg.maxTokens * cfg.vocabSize]),
          ]) as tfCore.Tensor
        ).dataSync(),
      ),
    );
    const size = 32 * 32 * 3;
    const [a, b, c] = [0, 1, 2].map((i) => out.slice(i * size, (i + 1) * size));
    expect(a).toEqual(c);
    expect(a).not.toEqual(b);
    const { images } = await generateFromPrompts(g, SHAPES_VOCABULARY, requests);
    expect(images.map((r) => r[0]?.length)).toEqual([size, size, size]);
    g.dispose();
  });

  it("the mode-seeking loss is the inverse of the mean image-to-noise distance ratio over the pairs", () => {
    // Two pairs: images 2×1×1×2, noise 2-dimensional; first halves pair with second halves.
    const images = [
      [0, 0],
      [1, -1],
      [0.5, 0.5],
      [1, 1],
    ];
    const noise = [
      [0, 0],
      [1, 1],
      [2, 0],
      [0, 1],
    ];
    const meanAbs = (a: number[], b: number[]) =>
      a.reduce((s, v, i) => s + Math.abs(v - (b[i] ?? 0)), 0) / a.length;
    const pairs = [0, 1].map(
      (i) => meanAbs(images[i] ?? [], images[i + 2] ?? []) / meanAbs(noise[i] ?? [], noise[i + 2] ?? []),
    );
    const expected = 1 / ((pairs[0]! + pairs[1]!) / 2 + 1e-5);
    const got = tf.tidy(
      () => modeSeekingLoss(tf, tf.tensor4d(images.flat(), [4, 1, 1, 2]), tf.tensor2d(noise)).dataSync()[0],
    );
    expect(got).toBeCloseTo(expected, 5);
  });

  it("the mode-seeking term adds to G's loss and pushes one caption's images apart across noise", () => {
    const wanted = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 8, 21);
    // Held-out pairs: 4 captions, each under two fixed noise vectors.
    const probe = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 4, 22);
    const tokens = tf.concat([probe.tokens, probe.tokens], 0);
    const noise = tf.randomNormal([8, cfg.latentDim], 0, 1, "float32", 5) as tfCore.Tensor2D;
    const spread = (g: TextGanState["generator"]) =>
      tf.tidy(
        () =>
          1 / (modeSeekingLoss(tf, g.predict([noise, tokens]) as tfCore.Tensor, noise).dataSync()[0] ?? 0),
      );
    const after = (weight: number) => {
      const state = { ...textState({ ...cfg, seed: 6 }), modeSeekingWeight: weight };
      let last = textGeneratorStep(tf, state, wanted);
      for (let i = 0; i < 9; i++) last = textGeneratorStep(tf, state, wanted);
      const s = spread(state.generator);
      state.generator.dispose();
      state.discriminator.dispose();
      return { last, spread: s };
    };
    const plain = after(0);
    const seeking = after(20);
    expect(Number.isNaN(plain.last.modeSeeking)).toBe(true);
    expect(Number.isFinite(seeking.last.modeSeeking)).toBe(true);
    const { loss, adversarial, attributeLoss: aux, modeSeeking } = seeking.last;
    expect(loss).toBeCloseTo(adversarial + aux + 20 * modeSeeking, 3);
    process.stderr.write(
      `mode seeking: image/noise distance ratio ${plain.spread.toFixed(4)} → ${seeking.spread.toFixed(4)}\n`,
    );
    expect(seeking.spread).toBeGreaterThan(plain.spread * 1.1);
    tf.dispose([tokens, noise]);
    disposeTextBatch(tf, wanted);
    disposeTextBatch(tf, probe);
  });

  it("masked attribute loss counts only the attributes a caption names", () => {
    const [full, none, half] = tf.tidy(() => {
      const logits = tf.randomNormal([2, 29]);
      const targets = tf.concat(
        [
          tf.oneHot([0, 1], 6),
          tf.oneHot([0, 1], 8),
          tf.oneHot([0, 1], 2),
          tf.oneHot([0, 1], 5),
          tf.oneHot([0, 1], 8),
        ],
        1,
      );
      const sizes = cfg.attributeSizes;
      return [
        attributeLoss(tf, logits, targets, sizes).dataSync()[0] ?? 0,
        attributeLoss(tf, logits, targets, sizes, tf.zeros([2, 5])).dataSync()[0] ?? 0,
        attributeLoss(
          tf,
          logits,
          targets,
          sizes,
          tf.tensor2d([
            [1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0],
          ]),
        ).dataSync()[0] ?? 0,
      ];
    });
    expect(full).toBeGreaterThan(0);
    expect(none).toBe(0);
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(full);
  });

  it("a pretrained text encoder names what captions say, and stays frozen through the generator's steps", () => {
    const state = textState({ ...cfg, encoderInit: "glorot", seed: 5 });
    const g = state.generator;
    const encoderWeights = () =>
      g.layers
        .filter((l) => l.name.startsWith(`${ENCODER_PREFIXES.generator}_`))
        .flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    // A uniform guess costs Σ ln(values) over the attributes: what an encoder that learnt nothing scores.
    const chance = cfg.attributeSizes.reduce((sum, n) => sum + Math.log(n), 0);
    const loss = pretrainTextEncoder(tf, g, ENCODER_PREFIXES.generator, cfg.attributeSizes, 200, (k) =>
      drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 32, 300 + k),
    );
    expect(loss).toBeLessThan(chance / 4);
    expect(g.trainableWeights.some((w) => w.name.startsWith(ENCODER_PREFIXES.generator))).toBe(false);
    const before = encoderWeights();
    const bodyBefore = g.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const wanted = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 4, 12);
    textGeneratorStep(tf, state, wanted);
    expect(encoderWeights()).toEqual(before);
    expect(g.trainableWeights.map((w) => Array.from(w.read().dataSync()))).not.toEqual(bodyBefore);
    disposeTextBatch(tf, wanted);
    g.dispose();
    state.discriminator.dispose();
  });

  it("a D step and a G step give finite losses, update only their own network and leak nothing", () => {
    const state = textState({ ...cfg, seed: 2 });
    const snapshot = (m: TextGanState["generator"]) =>
      m.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const real = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 4, 11);
    const wanted = drawTextBatch(tf, SHAPES_VOCABULARY, cfg.attributeSizes, 4, 12);
    const g0 = snapshot(state.generator);
    const d = textDiscriminatorStep(tf, state, real);
    expect(snapshot(state.generator)).toEqual(g0);
    const d1 = snapshot(state.discriminator);
    const g = textGeneratorStep(tf, state, wanted);
    expect(snapshot(state.discriminator)).toEqual(d1);
    expect(snapshot(state.generator)).not.toEqual(g0);
    for (const v of [
      d.loss,
      d.realLoss,
      d.fakeLoss,
      d.attributeLoss,
      g.loss,
      g.adversarial,
      g.attributeLoss,
    ]) {
      expect(Number.isFinite(v)).toBe(true);
    }
    expect(d.loss).toBeCloseTo(d.realLoss + d.fakeLoss + 2 * d.attributeLoss, 4);
    const before = tf.memory().numTensors;
    textDiscriminatorStep(tf, state, real);
    textGeneratorStep(tf, state, wanted);
    expect(tf.memory().numTensors).toBe(before);
    disposeTextBatch(tf, real);
    disposeTextBatch(tf, wanted);
    state.generator.dispose();
    state.discriminator.dispose();
  });

  it("trains 3 steps (checkpoint, captioned sample grid, snapshot), resumes, and serves RGB on tfjs and ONNX alike", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "models", "text-to-image", "shapes-tcgan", "1");
      const base = {
        model: "shapes-tcgan" as const,
        epochs: 1,
        batchSize: 8,
        seed: 4,
        outDir: out,
        stateDir: join(dir, "state"),
        backend: "wasm",
        progress: false as const,
        warmupSteps: 2,
        encoderPretrainSteps: 2,
      };
      const first = await train({ ...base, steps: 3, resume: false });
      expect(first.metadata).toMatchObject({ model: "shapes-tcgan", step: 3, completed: true });
      expect(first.metadata.options).toMatchObject({ config: { encoderInit: "glorot" } });
      expect(first.metadata.curve).toEqual([{ step: 3, seconds: expect.any(Number) }]);
      const png = PNG.sync.read(await readFile(join(out, "samples.png")));
      expect(png.height).toBe(SAMPLE_PROMPTS.length * (64 + 2));
      expect(png.width).toBeGreaterThan(8 * 64);
      const resumed = await train({ ...base, steps: 5, resume: true, samples: false });
      expect(resumed.metadata).toMatchObject({ step: 5, started: first.metadata.started });
      expect(await readdir(join(dir, "state", SNAPSHOTS))).toEqual(["step-000003", "step-000005"]);
      // Pretrained encoders stay frozen across a resume: the saved layers say so.
      const topology = JSON.parse(await readFile(join(out, "model.json"), "utf8")).modelTopology;
      const encoderLayers = topology.config.layers.filter((l: { name: string }) =>
        l.name.startsWith(`${ENCODER_PREFIXES.generator}_`),
      );
      expect(encoderLayers.length).toBeGreaterThan(0);
      for (const l of encoderLayers) expect(l.config.trainable).toBe(false);

      const byRuntime: Uint8Array[][] = [];
      for (const runtime of ["tfjs", "onnxruntime-node"]) {
        const run = textToImageRunner(join(dir, "models"), { runtime, log: () => {} });
        const [job1, job2] = await run([
          spec("a small red triangle on blue", 7),
          spec("big yellow circle", 8, 1),
        ]);
        expect(job1).toHaveLength(2);
        expect(job2).toHaveLength(1);
        const decoded = [...(job1 ?? []), ...(job2 ?? [])].map((img) => {
          expect([img.width, img.height]).toEqual([32, 32]);
          const p = PNG.sync.read(Buffer.from(img.png));
          expect(p.colorType).toBe(2); // RGB
          return Uint8Array.from(p.data);
        });
        byRuntime.push(decoded);
      }
      const [tfjs, onnx] = byRuntime;
      tfjs?.forEach((img, i) => {
        const other = onnx?.[i] as Uint8Array;
        let worst = 0;
        for (let k = 0; k < img.length; k++)
          worst = Math.max(worst, Math.abs((img[k] ?? 0) - (other[k] ?? 0)));
        expect(worst).toBeLessThanOrEqual(1);
      });
    });
  }, 60_000);
});
