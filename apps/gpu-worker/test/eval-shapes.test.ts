import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEvalArgs } from "../src/eval/cli.ts";
import { defaultShapesClassifierConfig } from "../src/eval/shapes-classifier.ts";
import { evalPrompts, evaluateShapesModel, formatShapesCard } from "../src/eval/shapes-evaluate.ts";
import type { TrainingMetadata } from "../src/training/checkpoint.ts";
import { train } from "../src/training/run.ts";
import { withTempDir } from "./helpers.ts";

// A tiny judge keeps the test fast; the shipped card uses the default one.
const tinyJudge = { ...defaultShapesClassifierConfig, trainImages: 256, testImages: 200, epochs: 1 };

describe("shapes evaluator", () => {
  it("scores a generator per attribute, with a Fréchet baseline, diversity and a curve over snapshots", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "gen");
      const stateDir = join(dir, "state");
      await train({
        model: "shapes-tcgan",
        epochs: 1,
        steps: 2,
        batchSize: 8,
        seed: 2,
        outDir: out,
        stateDir,
        resume: false,
        backend: "wasm",
        samples: false,
        progress: false,
        warmupSteps: 1,
      });
      const metadata = JSON.parse(await readFile(join(out, "metadata.json"), "utf8")) as TrainingMetadata;
      const lines: string[] = [];
      const card = await evaluateShapesModel({
        modelDir: out,
        metadata,
        classifierDir: join(dir, "classifier"),
        classifierConfig: tinyJudge,
        prompts: 60,
        curveStateDir: stateDir,
        curvePrompts: 30,
        backend: "wasm",
        log: (l) => lines.push(l),
      });
      const e = card.evaluation;
      expect(Object.keys(e.promptAccuracy.perAttribute)).toEqual([
        "shape",
        "color",
        "size",
        "position",
        "background",
      ]);
      for (const v of [
        ...Object.values(e.promptAccuracy.perAttribute),
        ...Object.values(e.classifier.testAccuracy),
      ]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      // Two steps of training draw near-uniform gray: far from real pictures, and the card says so.
      expect(e.frechet.ratio).toBeGreaterThan(2);
      expect(e.frechet.met).toBe(false);
      expect(e.promptAccuracy.met).toBe(false);
      expect(e.frechet.sets).toEqual({ reference: 240, generated: 60, baseline: 60 });
      expect(e.curve?.points.map((p) => p.step)).toEqual([2]);
      expect(card.metrics).toMatchObject({
        promptAccuracy: expect.any(Number),
        promptAccuracyShape: expect.any(Number),
        frechetRatio: e.frechet.ratio,
      });
      const saved = JSON.parse(await readFile(join(out, "model-card.json"), "utf8"));
      expect(saved.metrics).toEqual(card.metrics);
      expect(formatShapesCard(card)).toContain("Fréchet distance");

      // Requests may scale the noise; the evaluator scores that too. Less noise, less variety across seeds (the
      // same seeds at temperature 1 would give the very same figure).
      const cool = await evaluateShapesModel({
        modelDir: out,
        metadata,
        classifierDir: join(dir, "classifier"),
        classifierConfig: tinyJudge,
        prompts: 60,
        temperature: 0.1,
        backend: "wasm",
        writeCard: false,
      });
      expect(cool.evaluation.diversity.pixelRatio.mean).toBeLessThan(e.diversity.pixelRatio.mean);
      expect(formatShapesCard(cool).split("\n")[0]).toContain(
        "60 prompts at temperature 0.1 (requests' default is 1)",
      );
      expect(formatShapesCard(card).split("\n")[0]).not.toContain("temperature");
      expect(JSON.parse(await readFile(join(out, "model-card.json"), "utf8")).metrics).toEqual(card.metrics);
    });
  }, 60_000);

  it("prompts name every attribute and are reproducible", () => {
    const a = evalPrompts(20, 3);
    expect(evalPrompts(20, 3)).toEqual(a);
    for (const p of a) expect(Object.values(p.mentioned).every(Boolean)).toBe(true);
  });

  it("parses --prompts and --curve", () => {
    expect(parseEvalArgs(["--model-dir", "x", "--prompts", "50", "--curve", "--state", "s"])).toMatchObject({
      modelDir: "x",
      prompts: 50,
      curveStateDir: "s",
    });
    expect(() => parseEvalArgs(["--model-dir", "x", "--curve"])).toThrow(/--state/);
  });
});
