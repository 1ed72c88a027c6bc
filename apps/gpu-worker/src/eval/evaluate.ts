import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { selectBackend } from "../backend/select.ts";
import { type ClassDataset, readClassSet } from "../data/class-sets.ts";
import { generateBatch } from "../models/generate.ts";
import { loadGenerator } from "../models/load.ts";
import { isModelName, MODELS } from "../models/registry.ts";
import { listSnapshots } from "../training/snapshots.ts";
import { type ClassScore, frechetReport, type ModelCard } from "./card.ts";
import {
  type ClassifierConfig,
  defaultClassifierConfig,
  IMAGE_PIXELS,
  type ImageSet,
  loadOrTrainClassifier,
  score,
} from "./classifier.ts";
import { frechetDistance, gaussianOf, meanPairwiseDistance } from "./linalg.ts";

export const MODEL_CARD = "model-card.json";
/**
 * Each class data set's judge: where it is kept with the models, and its passes over the real training split
 * (MNIST's split is a seventh of Fashion-MNIST's, so its judge takes more).
 */
export const JUDGES: Record<ClassDataset, { dir: string; epochs: number }> = {
  "fashion-mnist": { dir: join("models", "eval", "fashion-classifier"), epochs: 2 },
  mnist: { dir: join("models", "eval", "mnist-classifier"), epochs: 10 },
};
export const TARGETS = { promptAccuracy: 0.95, frechetRatio: 2 } as const;

export interface EvalOptions {
  modelDir: string;
  classifierDir?: string;
  /** Generated images per class prompt (and real images per class in the baseline set). */
  perClass?: number;
  /** Class c is generated from seed `seed + c`. */
  seed?: number;
  classifierEpochs?: number;
  classifierBatch?: number;
  classifierConfig?: ClassifierConfig;
  retrain?: boolean;
  /** Use only the first N train / test images (tests). */
  trainLimit?: number;
  testLimit?: number;
  backend?: string;
  dataDir?: string;
  /** Score the generator snapshots kept in this training state folder, for the prompt-accuracy curve. */
  curveStateDir?: string;
  /** Images per class for each curve point (default 30). */
  curvePerClass?: number;
  writeCard?: boolean;
  /** Noise scale of the generated images (default 1, what the card describes); see the API's temperature. */
  temperature?: number;
  log?: (line: string) => void;
}

function pick(set: ImageSet, indices: readonly number[]): ImageSet {
  const pixels = new Uint8Array(indices.length * IMAGE_PIXELS);
  indices.forEach((i, r) => {
    pixels.set(set.pixels.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), r * IMAGE_PIXELS);
  });
  return { pixels, labels: Uint8Array.from(indices, (i) => set.labels[i] as number), count: indices.length };
}

function rows(values: Float32Array, dim: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((i, r) => {
    out.set(values.subarray(i * dim, (i + 1) * dim), r * dim);
  });
  return out;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** A model the registry does not know (an old run) is judged on the set its metadata names. */
function metadataDataset(metadata: Record<string, unknown>): ClassDataset {
  const name = (metadata.data as { name?: unknown } | undefined)?.name;
  return name === "mnist" ? "mnist" : "fashion-mnist";
}

/** The time-to-quality mark: training time until prompt accuracy first reaches 90%. */
const CURVE_THRESHOLD = 0.9;

/** `count` images of class c from seed `seed`, as 8-bit pixels, with the classifier's verdict on each. */
async function generateAndScore(
  tf: Awaited<ReturnType<typeof selectBackend>>["tf"],
  generator: Awaited<ReturnType<typeof loadGenerator>>,
  classifier: Parameters<typeof score>[1],
  c: number,
  seed: number,
  count: number,
  temperature = 1,
) {
  const [images = []] = await generateBatch(generator, [{ classIndex: c, seed, count, temperature }]);
  const pixels = new Uint8Array(count * IMAGE_PIXELS);
  for (const [r, img] of images.entries()) pixels.set(img, r * IMAGE_PIXELS);
  return { pixels, scored: await score(tf, classifier, pixels, count) };
}

/**
 * Scores a conditional generator against the real images of its data set with an independent classifier:
 * - prompt accuracy: `perClass` images per class prompt (seeds `seed + c`), classified;
 * - Fréchet distance on the classifier's features between those images and the first half of the test split,
 *   next to the same distance for a class-balanced real set of the same size from the second half (baseline);
 * - diversity: mean pairwise distance among one prompt's outputs vs among real images of that class.
 * The two real halves are disjoint, so the baseline measures sampling noise, not memorisation.
 */
export async function evaluateModel(options: EvalOptions): Promise<ModelCard> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const perClass = options.perClass ?? 100;
  const seed = options.seed ?? 1;
  const config = options.classifierConfig ?? defaultClassifierConfig;
  const { tf, name: backend } = await selectBackend(options.backend);

  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(await readFile(join(options.modelDir, "metadata.json"), "utf8"));
  } catch (err) {
    throw new Error(
      `No readable metadata.json in ${options.modelDir}: point --model-dir at a trained version folder.`,
      { cause: err },
    );
  }
  const modelName = String(metadata.model ?? "unknown");
  const definition = isModelName(modelName) ? MODELS[modelName] : undefined;
  const dataset: ClassDataset =
    definition && "dataset" in definition ? definition.dataset : metadataDataset(metadata);
  const classifierDir = options.classifierDir ?? JUDGES[dataset].dir;

  const [train, test] = await Promise.all([
    readClassSet(dataset, "train", { limit: options.trainLimit, dir: options.dataDir }),
    readClassSet(dataset, "test", { limit: options.testLimit, dir: options.dataDir }),
  ]);
  const { model: classifier, info } = await loadOrTrainClassifier({
    tf,
    backend,
    dir: classifierDir,
    config,
    train,
    test,
    epochs: options.classifierEpochs ?? JUDGES[dataset].epochs,
    batchSize: options.classifierBatch ?? 128,
    retrain: options.retrain,
    log,
  });

  // Real test images: ceiling accuracy, reference set (first half), class-balanced baseline (second half).
  const real = await score(tf, classifier, test.pixels, test.count);
  let realHits = 0;
  const classHits = new Array<number>(config.numClasses).fill(0);
  const classCounts = new Array<number>(config.numClasses).fill(0);
  for (let i = 0; i < test.count; i++) {
    const label = test.labels[i] as number;
    classCounts[label] = (classCounts[label] ?? 0) + 1;
    if (real.predicted[i] === label) {
      realHits++;
      classHits[label] = (classHits[label] ?? 0) + 1;
    }
  }
  const half = Math.floor(test.count / 2);
  const reference = Array.from({ length: half }, (_, i) => i);
  const byClass: number[][] = Array.from({ length: config.numClasses }, () => []);
  for (let i = half; i < test.count; i++) {
    const bucket = byClass[test.labels[i] as number];
    if (bucket && bucket.length < perClass) bucket.push(i);
  }
  const starved = byClass.findIndex((b) => b.length < 2);
  if (starved >= 0)
    throw new Error(
      `Class ${starved} has under 2 real test images in the baseline half: raise --test-limit.`,
    );

  let curve: ModelCard["evaluation"]["curve"];
  if (options.curveStateDir !== undefined) {
    const count = options.curvePerClass ?? 30;
    const seconds = new Map(
      ((metadata.curve ?? []) as { step: number; seconds: number }[]).map((p) => [p.step, p.seconds]),
    );
    const points: { step: number; seconds: number; promptAccuracy: number }[] = [];
    for (const { step, dir } of await listSnapshots(options.curveStateDir)) {
      const at = seconds.get(step);
      if (at === undefined) continue;
      const snapshot = await loadGenerator(dir);
      let hits = 0;
      for (let c = 0; c < config.numClasses; c++) {
        const { scored } = await generateAndScore(tf, snapshot, classifier, c, seed + 1000 + c, count);
        hits += scored.predicted.reduce((n, p) => n + (p === c ? 1 : 0), 0);
      }
      snapshot.dispose();
      const accuracy = round(hits / (config.numClasses * count), 3);
      points.push({ step, seconds: at, promptAccuracy: accuracy });
      log(`curve: step ${step} (${at} s of training): prompt accuracy ${(100 * accuracy).toFixed(1)}%`);
    }
    const reached = points.find((p) => p.promptAccuracy >= CURVE_THRESHOLD);
    curve = { imagesPerClass: count, points, secondsTo90: reached?.seconds ?? null };
  }

  const generator = await loadGenerator(options.modelDir);
  const classes = definition?.classes ?? Array.from({ length: config.numClasses }, (_, c) => `class ${c}`);
  const dim = real.featureDim;
  const generatedFeatures = new Float32Array(config.numClasses * perClass * dim);
  const perClassScores: ClassScore[] = [];
  let generatedHits = 0;
  for (let c = 0; c < config.numClasses; c++) {
    const { pixels, scored } = await generateAndScore(
      tf,
      generator,
      classifier,
      c,
      seed + c,
      perClass,
      options.temperature,
    );
    const hits = scored.predicted.reduce((n, p) => n + (p === c ? 1 : 0), 0);
    generatedHits += hits;
    generatedFeatures.set(scored.features, c * perClass * dim);
    const realIdx = byClass[c] ?? [];
    const realSet = pick(test, realIdx);
    const unit = (p: Uint8Array) => Float32Array.from(p, (v) => v / 255);
    perClassScores.push({
      class: classes[c] ?? `class ${c}`,
      promptAccuracy: round(hits / perClass),
      realAccuracy: round((classHits[c] ?? 0) / Math.max(1, classCounts[c] ?? 0)),
      generatedPixelDiversity: round(meanPairwiseDistance(unit(pixels), perClass, IMAGE_PIXELS)),
      realPixelDiversity: round(meanPairwiseDistance(unit(realSet.pixels), realSet.count, IMAGE_PIXELS)),
      generatedFeatureDiversity: round(meanPairwiseDistance(scored.features, perClass, dim)),
      realFeatureDiversity: round(
        meanPairwiseDistance(rows(real.features, dim, realIdx), realIdx.length, dim),
      ),
    });
    log(`class ${c} (${classes[c]}): prompt accuracy ${((100 * hits) / perClass).toFixed(1)}%`);
  }
  generator.dispose();
  classifier.dispose();

  const baselineIdx = byClass.flat();
  const referenceStats = gaussianOf(rows(real.features, dim, reference), reference.length, dim);
  const generatedVsReal = frechetDistance(
    gaussianOf(generatedFeatures, config.numClasses * perClass, dim),
    referenceStats,
  );
  const realVsReal = frechetDistance(
    gaussianOf(rows(real.features, dim, baselineIdx), baselineIdx.length, dim),
    referenceStats,
  );
  const ratios = (key: "Pixel" | "Feature") =>
    perClassScores.map((s) => s[`generated${key}Diversity`] / s[`real${key}Diversity`]);
  const summary = (r: number[]) => ({
    mean: round(r.reduce((a, b) => a + b, 0) / r.length, 3),
    min: round(Math.min(...r), 3),
  });
  const overall = generatedHits / (config.numClasses * perClass);
  const options_ = (metadata.options ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" ? v : null);

  const card: ModelCard = {
    model: modelName,
    task: definition?.task ?? "text-to-image",
    modelDir: options.modelDir,
    training: {
      data: metadata.data ?? null,
      steps: num(metadata.step),
      epochs: num(metadata.epoch),
      batchSize: num(options_.batchSize),
      wallSeconds: num(metadata.trainingSeconds),
      backend: metadata.backend ?? null,
      params: metadata.params ?? null,
      completed: typeof metadata.completed === "boolean" ? metadata.completed : null,
    },
    evaluation: {
      date: new Date().toISOString(),
      backend,
      wallSeconds: round((performance.now() - started) / 1000, 1),
      imagesPerClass: perClass,
      seeds: `class c uses seed ${seed} + c`,
      temperature: options.temperature,
      classifier: {
        dir: classifierDir,
        architecture: `conv${config.filters[0]}/s2 → conv${config.filters[1]}/s2 → dense${config.featureDim} → softmax${config.numClasses}`,
        params: info.params,
        trainImages: info.trainImages,
        epochs: info.epochs,
        testAccuracy: round(realHits / test.count),
        testImages: test.count,
      },
      promptAccuracy: {
        overall: round(overall),
        target: TARGETS.promptAccuracy,
        met: overall >= TARGETS.promptAccuracy,
      },
      frechet: frechetReport(generatedVsReal, realVsReal, dim, TARGETS.frechetRatio, {
        reference: reference.length,
        generated: config.numClasses * perClass,
        baseline: baselineIdx.length,
      }),
      diversity: { pixelRatio: summary(ratios("Pixel")), featureRatio: summary(ratios("Feature")) },
      perClass: perClassScores,
      ...(curve ? { curve } : {}),
    },
  };
  if (options.writeCard !== false)
    await writeFile(join(options.modelDir, MODEL_CARD), `${JSON.stringify(card, null, 2)}\n`);
  return card;
}
