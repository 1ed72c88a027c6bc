import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatCard } from "../src/eval/card.ts";
import { CLASSIFIER_INFO } from "../src/eval/classifier.ts";
import { parseEvalArgs } from "../src/eval/cli.ts";
import { evaluateModel, MODEL_CARD } from "../src/eval/evaluate.ts";
import { buildGenerator } from "../src/models/cdcgan.ts";
import { fsHandler } from "../src/models/fs-handler.ts";
import { snapshotDir } from "../src/training/snapshots.ts";
import { backend, tinyConfig, withTempDir } from "./helpers.ts";

const tinyClassifier = { filters: [4, 8] as [number, number], featureDim: 8, numClasses: 10, seed: 3 };

describe("evaluator", () => {
  it("scores an untrained tiny generator on a small slice and writes a model card with every figure", async () => {
    const { tf } = await backend();
    await withTempDir(async (dir) => {
      const modelDir = join(dir, "model");
      const generator = buildGenerator(tinyConfig);
      await generator.save(fsHandler(modelDir));
      // Two training snapshots; only the one the metadata's curve dates is scored.
      const stateDir = join(dir, "state");
      await generator.save(fsHandler(snapshotDir(stateDir, 1)));
      await generator.save(fsHandler(snapshotDir(stateDir, 2)));
      generator.dispose();
      await writeFile(
        join(modelDir, "metadata.json"),
        JSON.stringify({
          model: "fashion-cdcgan",
          step: 2,
          epoch: 1,
          completed: true,
          trainingSeconds: 1.5,
          backend: { name: "wasm", version: "4.22.0" },
          data: { name: "fashion-mnist", images: 256 },
          options: { batchSize: 128 },
          curve: [{ step: 2, seconds: 1 }],
        }),
      );
      const options = {
        modelDir,
        classifierDir: join(dir, "classifier"),
        classifierConfig: tinyClassifier,
        classifierEpochs: 1,
        trainLimit: 512,
        testLimit: 400,
        perClass: 4,
        backend: "wasm",
      };
      const tensorsBefore = tf.memory().numTensors;
      const card = await evaluateModel(options);
      expect(tf.memory().numTensors).toBe(tensorsBefore);

      const written = JSON.parse(await readFile(join(modelDir, MODEL_CARD), "utf8"));
      expect(written).toEqual(JSON.parse(JSON.stringify(card)));
      expect(card).toMatchObject({
        model: "fashion-cdcgan",
        task: "text-to-image",
        training: { steps: 2, epochs: 1, batchSize: 128, wallSeconds: 1.5, backend: { name: "wasm" } },
        evaluation: {
          backend: "wasm",
          imagesPerClass: 4,
          classifier: { trainImages: 512, epochs: 1, testImages: 400 },
          promptAccuracy: { target: 0.95 },
          frechet: { target: 2, sets: { reference: 200, generated: 40, baseline: 40 } },
        },
      });
      const e = card.evaluation;
      expect(e.perClass).toHaveLength(10);
      expect(e.perClass[7]?.class).toBe("sneaker");
      for (const x of [e.promptAccuracy.overall, e.classifier.testAccuracy]) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
      }
      expect(e.frechet.generatedVsReal).toBeGreaterThan(0);
      expect(e.frechet.realVsReal).toBeGreaterThan(0);
      expect(e.frechet.ratio / (e.frechet.generatedVsReal / e.frechet.realVsReal)).toBeCloseTo(1, 3);
      expect(e.perClass.every((c) => c.realPixelDiversity > 0)).toBe(true);
      expect(formatCard(card)).toContain("prompt accuracy");
      expect(e.curve).toBeUndefined();

      // The classifier is cached: a second run loads it instead of retraining.
      const info = JSON.parse(await readFile(join(dir, "classifier", CLASSIFIER_INFO), "utf8"));
      const again = await evaluateModel({
        ...options,
        writeCard: false,
        curveStateDir: stateDir,
        curvePerClass: 2,
      });
      const curve = again.evaluation.curve;
      expect(curve?.imagesPerClass).toBe(2);
      expect(curve?.points.map((p) => [p.step, p.seconds])).toEqual([[2, 1]]);
      const reached = curve?.points[0]?.promptAccuracy ?? -1;
      expect(reached).toBeGreaterThanOrEqual(0);
      expect(curve?.secondsTo90).toBe(reached >= 0.9 ? 1 : null);
      expect(formatCard(again)).toContain("90% reached at");
      const infoAgain = JSON.parse(await readFile(join(dir, "classifier", CLASSIFIER_INFO), "utf8"));
      expect(infoAgain.trained).toBe(info.trained);
      expect(again.evaluation.promptAccuracy.overall).toBe(card.evaluation.promptAccuracy.overall);
      expect(again.evaluation.frechet.generatedVsReal).toBeCloseTo(
        card.evaluation.frechet.generatedVsReal,
        4,
      );
    });
  });

  it("parses the command line and insists on a model dir", () => {
    expect(parseEvalArgs(["--model-dir", "m", "--per-class", "10"])).toMatchObject({
      modelDir: "m",
      perClass: 10,
      writeCard: true,
    });
    expect(() => parseEvalArgs([])).toThrow(/--model-dir is required/);
    expect(parseEvalArgs(["--model-dir", "m", "--curve", "--state", "s"]).curveStateDir).toBe("s");
    expect(() => parseEvalArgs(["--model-dir", "m", "--curve"])).toThrow(/--curve needs --state/);
    expect(() => parseEvalArgs(["--model-dir", "m", "--per-class", "0"])).toThrow(/positive integer/);
    expect(parseEvalArgs(["--model-dir", "m", "--temperature", "0.5", "--no-card"]).temperature).toBe(0.5);
    expect(() => parseEvalArgs(["--model-dir", "m", "--temperature", "0.5"])).toThrow(/needs --no-card/);
    expect(() => parseEvalArgs(["--model-dir", "m", "--temperature", "0.05", "--no-card"])).toThrow(
      /between 0.1 and 1/,
    );
  });
});
