import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SHAPE_ATTRIBUTES, SHAPES_VOCABULARY } from "@ganvas/shared";
import type * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend, type Tf } from "../backend/select.ts";
import {
  ATTRIBUTE_NAMES,
  renderShapes,
  SHAPE_PIXELS,
  type ShapeAttributes,
  type ShapeSample,
  sampleShape,
} from "../data/shapes.ts";
import { loadGenerator } from "../models/load.ts";
import { generateFromPrompts } from "../models/text-generate.ts";
import type { CurvePoint, TrainingMetadata } from "../training/checkpoint.ts";
import { rng } from "../training/random.ts";
import { listSnapshots } from "../training/snapshots.ts";
import { atTemperature, type FrechetReport, formatFrechet, frechetReport } from "./card.ts";
import { frechetDistance, gaussianOf, meanPairwiseDistance } from "./linalg.ts";
import {
  attributeAccuracy,
  defaultShapesClassifierConfig,
  heldOutShapes,
  loadOrTrainShapesClassifier,
  type ShapesClassifierConfig,
  scoreShapes,
} from "./shapes-classifier.ts";

export const DEFAULT_SHAPES_CLASSIFIER_DIR = join("models", "eval", "shapes-classifier");
export const SHAPES_TARGETS = { promptAccuracyPerAttribute: 0.9, frechetRatio: 2 } as const;

export interface ShapesEvalOptions {
  modelDir: string;
  metadata: TrainingMetadata;
  classifierDir?: string;
  classifierConfig?: ShapesClassifierConfig;
  retrain?: boolean;
  /** Prompts scored (one image each, prompt i from seed `seed + i`). */
  prompts?: number;
  seed?: number;
  /** Score the generator snapshots kept in this training state folder, for the prompt-accuracy curve. */
  curveStateDir?: string;
  curvePrompts?: number;
  /** Noise scale of the scored images (default 1, what the card describes; the curve always uses 1). */
  temperature?: number;
  backend?: string;
  writeCard?: boolean;
  log?: (line: string) => void;
}

export interface CurveScore extends CurvePoint {
  promptAccuracy: Record<string, number>;
  minAttributeAccuracy: number;
}

export interface ShapesModelCard {
  model: string;
  task: string;
  modelDir: string;
  /** Headline figures as plain numbers (the registry lists these). */
  metrics: Record<string, number>;
  training: Record<string, unknown>;
  evaluation: {
    date: string;
    backend: string;
    wallSeconds: number;
    prompts: number;
    seeds: string;
    /** The noise scale images were drawn at, when not the default 1 (such a run writes no card). */
    temperature?: number;
    classifier: {
      dir: string;
      architecture: string;
      params: number;
      trainImages: number;
      epochs: number;
      testImages: number;
      /** Held-out accuracy per attribute: the ceiling for prompt accuracy. */
      testAccuracy: Record<string, number>;
    };
    promptAccuracy: {
      perAttribute: Record<string, number>;
      /** Every attribute of the prompt right at once. */
      allAttributes: number;
      target: number;
      met: boolean;
    };
    frechet: FrechetReport;
    diversity: {
      prompts: number;
      seedsPerPrompt: number;
      pixelRatio: { mean: number; min: number };
      featureRatio: { mean: number; min: number };
    };
    curve?: {
      prompts: number;
      points: CurveScore[];
      /** Training seconds at the first checkpoint where every attribute reached the target; null if none did. */
      secondsTo90: number | null;
    };
  };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** A full caption (every attribute named) per prompt, paraphrased by the same templates as training. */
export function evalPrompts(count: number, seed: number): ShapeSample[] {
  const next = rng(seed * 7_777 + 13);
  return Array.from({ length: count }, () => sampleShape(next, "all"));
}

async function generatePrompts(
  generator: tfl.LayersModel,
  prompts: readonly ShapeSample[],
  seed: number,
  temperature = 1,
) {
  const pixels = new Uint8Array(prompts.length * SHAPE_PIXELS);
  const chunk = 250;
  for (let start = 0; start < prompts.length; start += chunk) {
    const part = prompts.slice(start, start + chunk);
    const { images } = await generateFromPrompts(
      generator,
      SHAPES_VOCABULARY,
      part.map((p, i) => ({ prompt: p.caption, seed: seed + start + i, count: 1, temperature })),
    );
    images.forEach(([img], i) => {
      if (img) pixels.set(img, (start + i) * SHAPE_PIXELS);
    });
  }
  return pixels;
}

async function promptAccuracy(
  tf: Tf,
  classifier: tfl.LayersModel,
  generator: tfl.LayersModel,
  prompts: readonly ShapeSample[],
  seed: number,
  temperature?: number,
) {
  const pixels = await generatePrompts(generator, prompts, seed, temperature);
  const scored = await scoreShapes(tf, classifier, pixels, prompts.length);
  const truth = prompts.map((p) => p.attributes);
  const perAttribute = attributeAccuracy(scored, truth);
  let all = 0;
  truth.forEach((t, i) => {
    if (ATTRIBUTE_NAMES.every((a) => scored.predicted[a]?.[i] === t[a])) all++;
  });
  return { perAttribute, all: all / Math.max(1, truth.length), scored, pixels };
}

/**
 * Scores a text-to-image generator of the procedural set against real procedural images with the
 * independent attribute classifier: prompt accuracy per attribute, a Fréchet distance on the classifier's
 * features next to the real-vs-real baseline of the same size, and diversity across seeds per prompt.
 */
export async function evaluateShapesModel(options: ShapesEvalOptions): Promise<ShapesModelCard> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const promptCount = options.prompts ?? 1000;
  const seed = options.seed ?? 1;
  const classifierDir = options.classifierDir ?? DEFAULT_SHAPES_CLASSIFIER_DIR;
  const cfg = options.classifierConfig ?? defaultShapesClassifierConfig;
  const { tf, name: backend } = await selectBackend(options.backend);
  const { model: classifier, info } = await loadOrTrainShapesClassifier({
    tf,
    backend,
    dir: classifierDir,
    config: cfg,
    retrain: options.retrain,
    log,
  });
  log(`classifier held-out accuracy: ${JSON.stringify(info.testAccuracy)}`);

  const generator = await loadGenerator(options.modelDir);
  const prompts = evalPrompts(promptCount, seed);
  const gen = await promptAccuracy(tf, classifier, generator, prompts, seed, options.temperature);
  log(`prompt accuracy: ${JSON.stringify(gen.perAttribute)}, all attributes ${gen.all.toFixed(3)}`);

  // Fréchet distance: reference = real held-out images; baseline = another real set as large as the generated one.
  const dim = gen.scored.featureDim;
  const reference = heldOutShapes(cfg, 4 * promptCount, 1);
  const baseline = heldOutShapes(cfg, promptCount, 2);
  const refFeatures = (await scoreShapes(tf, classifier, reference.pixels, reference.count)).features;
  const baseFeatures = (await scoreShapes(tf, classifier, baseline.pixels, baseline.count)).features;
  const refStats = gaussianOf(refFeatures, reference.count, dim);
  const generatedVsReal = frechetDistance(gaussianOf(gen.scored.features, promptCount, dim), refStats);
  const realVsReal = frechetDistance(gaussianOf(baseFeatures, baseline.count, dim), refStats);
  const frechet = frechetReport(generatedVsReal, realVsReal, dim, SHAPES_TARGETS.frechetRatio, {
    reference: reference.count,
    generated: promptCount,
    baseline: baseline.count,
  });

  // Diversity: one prompt, many seeds, against real drawings of the same attributes (their jitter).
  const diversityPrompts = prompts.slice(0, 10);
  const perPrompt = 16;
  const pixelRatios: number[] = [];
  const featureRatios: number[] = [];
  const next = rng(seed * 31 + 5);
  for (const [k, p] of diversityPrompts.entries()) {
    const { images } = await generateFromPrompts(generator, SHAPES_VOCABULARY, [
      { prompt: p.caption, seed: seed * 1000 + k, count: perPrompt, temperature: options.temperature },
    ]);
    const genPixels = new Uint8Array(perPrompt * SHAPE_PIXELS);
    (images[0] ?? []).forEach((img, i) => {
      genPixels.set(img, i * SHAPE_PIXELS);
    });
    const realPixels = renderShapes(
      Array.from({ length: perPrompt }, (): ShapeAttributes => p.attributes),
      next,
    );
    const unit = (px: Uint8Array) => Float32Array.from(px, (v) => v / 255);
    const g = await scoreShapes(tf, classifier, genPixels, perPrompt);
    const r = await scoreShapes(tf, classifier, realPixels, perPrompt);
    pixelRatios.push(
      meanPairwiseDistance(unit(genPixels), perPrompt, SHAPE_PIXELS) /
        meanPairwiseDistance(unit(realPixels), perPrompt, SHAPE_PIXELS),
    );
    featureRatios.push(
      meanPairwiseDistance(g.features, perPrompt, dim) / meanPairwiseDistance(r.features, perPrompt, dim),
    );
  }
  const summary = (r: number[]) => ({
    mean: round(r.reduce((a, b) => a + b, 0) / r.length, 3),
    min: round(Math.min(...r), 3),
  });
  generator.dispose();

  let curve: ShapesModelCard["evaluation"]["curve"];
  if (options.curveStateDir) {
    curve = await scoreCurve(tf, classifier, options, seed);
  }
  classifier.dispose();

  const perAttribute = Object.fromEntries(Object.entries(gen.perAttribute).map(([k, v]) => [k, round(v)]));
  const minAttribute = Math.min(...Object.values(gen.perAttribute));
  const meta = options.metadata;
  const opts = (meta.options ?? {}) as Record<string, unknown>;
  const card: ShapesModelCard = {
    model: meta.model,
    task: "text-to-image",
    modelDir: options.modelDir,
    metrics: {
      promptAccuracy: round(
        Object.values(gen.perAttribute).reduce((a, b) => a + b, 0) / ATTRIBUTE_NAMES.length,
      ),
      promptAccuracyMinAttribute: round(minAttribute),
      promptAccuracyAllAttributes: round(gen.all),
      ...Object.fromEntries(
        ATTRIBUTE_NAMES.map((a) => [
          `promptAccuracy${a[0]?.toUpperCase()}${a.slice(1)}`,
          perAttribute[a] ?? 0,
        ]),
      ),
      frechetDistance: frechet.generatedVsReal,
      frechetRatio: frechet.ratio,
      diversityPixelRatio: summary(pixelRatios).mean,
      ...(curve?.secondsTo90 != null ? { minutesTo90: round(curve.secondsTo90 / 60, 1) } : {}),
      trainingStepsPerSecond: round(meta.step / Math.max(1, meta.trainingSeconds), 3),
    },
    training: {
      data: meta.data,
      steps: meta.step,
      epochs: meta.epoch,
      batchSize: opts.batchSize ?? null,
      wallSeconds: meta.trainingSeconds,
      backend: meta.backend,
      params: meta.params,
      completed: meta.completed,
    },
    evaluation: {
      date: new Date().toISOString(),
      backend,
      wallSeconds: round((performance.now() - started) / 1000, 1),
      prompts: promptCount,
      seeds: `prompt i uses seed ${seed} + i; prompts are paraphrased full captions (every attribute named)`,
      temperature: options.temperature,
      classifier: {
        dir: classifierDir,
        architecture: `${cfg.filters.map((f) => `conv${f}/s2`).join(" → ")} → dense${cfg.featureDim} → ${ATTRIBUTE_NAMES.map((a) => `softmax${SHAPE_ATTRIBUTES[a].length}`).join("+")}`,
        params: info.params,
        trainImages: cfg.trainImages,
        epochs: cfg.epochs,
        testImages: cfg.testImages,
        testAccuracy: Object.fromEntries(Object.entries(info.testAccuracy).map(([k, v]) => [k, round(v)])),
      },
      promptAccuracy: {
        perAttribute,
        allAttributes: round(gen.all),
        target: SHAPES_TARGETS.promptAccuracyPerAttribute,
        met: minAttribute >= SHAPES_TARGETS.promptAccuracyPerAttribute,
      },
      frechet,
      diversity: {
        prompts: diversityPrompts.length,
        seedsPerPrompt: perPrompt,
        pixelRatio: summary(pixelRatios),
        featureRatio: summary(featureRatios),
      },
      ...(curve ? { curve } : {}),
    },
  };
  if (options.writeCard !== false)
    await writeFile(join(options.modelDir, "model-card.json"), `${JSON.stringify(card, null, 2)}\n`);
  return card;
}

/** Prompt accuracy of every generator snapshot the trainer kept: accuracy against training time. */
async function scoreCurve(
  tf: Tf,
  classifier: tfl.LayersModel,
  options: ShapesEvalOptions,
  seed: number,
): Promise<NonNullable<ShapesModelCard["evaluation"]["curve"]>> {
  const count = options.curvePrompts ?? 300;
  const prompts = evalPrompts(count, seed + 1);
  const seconds = new Map((options.metadata.curve ?? []).map((p) => [p.step, p.seconds]));
  const points: CurveScore[] = [];
  for (const { step, dir } of await listSnapshots(options.curveStateDir ?? "")) {
    const at = seconds.get(step);
    if (at === undefined) continue;
    const generator = await loadGenerator(dir);
    const { perAttribute } = await promptAccuracy(tf, classifier, generator, prompts, seed + 1);
    generator.dispose();
    const rounded = Object.fromEntries(Object.entries(perAttribute).map(([k, v]) => [k, round(v, 3)]));
    const min = Math.min(...Object.values(perAttribute));
    points.push({ step, seconds: at, promptAccuracy: rounded, minAttributeAccuracy: round(min, 3) });
    options.log?.(
      `curve: step ${step} (${at} s): min attribute ${(100 * min).toFixed(1)}% ${JSON.stringify(rounded)}`,
    );
  }
  const reached = points.find((p) => p.minAttributeAccuracy >= SHAPES_TARGETS.promptAccuracyPerAttribute);
  return { prompts: count, points, secondsTo90: reached?.seconds ?? null };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A plain-text summary for the terminal. */
export function formatShapesCard(card: ShapesModelCard): string {
  const e = card.evaluation;
  const lines = [
    `${card.model} (${card.modelDir}) — ${e.prompts} prompts${atTemperature(e.temperature)}, backend ${e.backend}, ${e.wallSeconds.toFixed(0)} s`,
    `classifier: ${e.classifier.architecture}, ${e.classifier.trainImages} real images × ${e.classifier.epochs} epochs`,
    "",
    "attribute   prompt acc   classifier on real",
    ...ATTRIBUTE_NAMES.map(
      (a) =>
        `${a.padEnd(10)}  ${pct(e.promptAccuracy.perAttribute[a] ?? 0).padStart(10)}   ${pct(e.classifier.testAccuracy[a] ?? 0).padStart(18)}`,
    ),
    "",
    `all attributes right  ${pct(e.promptAccuracy.allAttributes)}; target ≥ ${pct(e.promptAccuracy.target)} per attribute: ${e.promptAccuracy.met ? "met" : "NOT met"}`,
    formatFrechet(e.frechet),
    `diversity ratio   pixels mean ${e.diversity.pixelRatio.mean.toFixed(2)} min ${e.diversity.pixelRatio.min.toFixed(2)}; features mean ${e.diversity.featureRatio.mean.toFixed(2)} min ${e.diversity.featureRatio.min.toFixed(2)} (1.00 = as varied as real drawings of that prompt)`,
  ];
  if (e.curve) {
    lines.push("", "curve (training seconds → min attribute accuracy):");
    for (const p of e.curve.points)
      lines.push(`  step ${p.step}  ${p.seconds} s  ${pct(p.minAttributeAccuracy)}`);
    lines.push(
      `  reached ${pct(SHAPES_TARGETS.promptAccuracyPerAttribute)} on every attribute: ${e.curve.secondsTo90 === null ? "never" : `${e.curve.secondsTo90} s`}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
