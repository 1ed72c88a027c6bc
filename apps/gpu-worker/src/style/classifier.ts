import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Tf } from "../backend/select.ts";
import {
  CLASSIFIER_INFO,
  classifierInit,
  readClassifierInfo,
  saveClassifier,
  stridedConvs,
} from "../eval/classifier.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { rng } from "../training/random.ts";
import { type FloatImage, sampleCrops } from "./photo-data.ts";

/**
 * The style evaluator's judge: a small CNN that tells a real source image (a photo, a Twemoji) from a real
 * image of the target style, trained on real images only, never on generator output, so it is independent
 * of the GAN it scores. One per style, cached under models/eval/style-classifier/<style>/.
 */
export interface StyleClassifierConfig {
  /** Crop side the classifier sees (a multiple of 8). */
  crop: number;
  /** Channels of the stride-2 convolutions, one per layer. */
  filters: number[];
  /** Random crops per class per epoch. */
  cropsPerClass: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /**
   * Shuffle each training crop's RGB channels at random, so the judge must decide on texture, not palette:
   * for styles defined by shapes (low-poly) rather than by colours (a painting's palette is part of it).
   */
  permuteChannels?: boolean;
}

export const DEFAULT_STYLE_CLASSIFIER: StyleClassifierConfig = {
  crop: 64,
  filters: [16, 32, 64, 64],
  cropsPerClass: 3000,
  epochs: 3,
  batchSize: 32,
  seed: 1,
};

export const STYLE_CLASSIFIER_INFO = CLASSIFIER_INFO;

/** The two sides, with a training part and a held-out part each. */
export interface DomainSets {
  /** Label 0: what the generator takes in. */
  source: { name: string; train: readonly FloatImage[]; heldOut: readonly FloatImage[] };
  /** Label 1: the target style. */
  target: { name: string; train: readonly FloatImage[]; heldOut: readonly FloatImage[] };
}

export interface StyleClassifierInfo {
  style: string;
  config: StyleClassifierConfig;
  architecture: string;
  params: number;
  source: string;
  target: string;
  trainImages: { source: number; target: number };
  /** Held-out real crops the classifier never saw: accuracy on each side and their mean. */
  heldOut: {
    sourceCrops: number;
    targetCrops: number;
    sourceAccuracy: number;
    targetAccuracy: number;
    accuracy: number;
  };
  trainingSeconds: number;
  backend: string;
  trained: string;
}

/**
 * Stride-2 3×3 convolutions with ReLU (four by default: a 31 px receptive field, enough to see brush strokes
 * and facets, not only colours), global average pooling, one sigmoid unit. Averaging over positions makes it
 * judge texture and palette, what a style is, rather than where things are.
 */
export function buildStyleClassifier(cfg: StyleClassifierConfig): tfl.LayersModel {
  const init = classifierInit(cfg.seed);
  const input = tfl.input({ shape: [null, null, 3], name: "image" });
  const convs = stridedConvs(input, cfg.filters, init);
  const x = tfl.layers.globalAveragePooling2d({}).apply(convs) as tfl.SymbolicTensor;
  const prob = tfl.layers
    .dense({ units: 1, activation: "sigmoid", kernelInitializer: init(9), name: "target_probability" })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: prob, name: "style_classifier" });
}

/** Probability of the target style for each image; images of one size go through in chunks. */
export async function targetProbabilities(
  tf: Tf,
  model: tfl.LayersModel,
  images: readonly FloatImage[],
  chunk = 64,
): Promise<Float32Array> {
  const out = new Float32Array(images.length);
  for (let start = 0; start < images.length; start += chunk) {
    const part = images.slice(start, start + chunk);
    const first = part[0] as FloatImage;
    const sameSize = part.every((i) => i.width === first.width && i.height === first.height);
    if (!sameSize) {
      for (const [k, image] of part.entries())
        out[start + k] = (await targetProbabilities(tf, model, [image]))[0] ?? 0;
      continue;
    }
    const data = new Float32Array(part.length * first.width * first.height * 3);
    for (const [k, image] of part.entries()) data.set(image.data, k * image.data.length);
    const probs = tf.tidy(
      () => model.predict(tf.tensor4d(data, [part.length, first.height, first.width, 3])) as tfCore.Tensor,
    );
    out.set((await probs.data()) as Float32Array, start);
    probs.dispose();
  }
  return out;
}

/** Fraction of images the classifier puts on the target side (probability > 0.5). */
export async function targetRate(
  tf: Tf,
  model: tfl.LayersModel,
  images: readonly FloatImage[],
): Promise<number> {
  if (images.length === 0) return Number.NaN;
  const p = await targetProbabilities(tf, model, images);
  let hits = 0;
  for (const v of p) if (v > 0.5) hits++;
  return hits / images.length;
}

/** Adam on binary cross-entropy over fresh random crops of both sides (seeded), balanced batches. */
export async function trainStyleClassifier(
  tf: Tf,
  model: tfl.LayersModel,
  sets: DomainSets,
  cfg: StyleClassifierConfig,
  log?: (line: string) => void,
): Promise<void> {
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: "binaryCrossentropy" });
  const half = Math.max(1, Math.floor(cfg.batchSize / 2));
  const batches = Math.ceil(cfg.cropsPerClass / half);
  const labels = new Float32Array(half * 2);
  labels.fill(1, half);
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const next = rng(cfg.seed * 7919 + epoch * 100003 + b);
      const crops = new Float32Array(half * 2 * cfg.crop * cfg.crop * 3);
      crops.set(sampleCrops(sets.source.train, half, cfg.crop, next));
      crops.set(sampleCrops(sets.target.train, half, cfg.crop, next), half * cfg.crop * cfg.crop * 3);
      if (cfg.permuteChannels) permuteEach(crops, half * 2, next);
      const x = tf.tensor4d(crops, [half * 2, cfg.crop, cfg.crop, 3]);
      const y = tf.tensor2d(labels, [half * 2, 1]);
      const loss = await model.trainOnBatch(x, y);
      tf.dispose([x, y]);
      lossSum += Array.isArray(loss) ? (loss[0] ?? 0) : loss;
    }
    log?.(`classifier epoch ${epoch + 1}/${cfg.epochs}: loss ${(lossSum / batches).toFixed(4)}`);
  }
  optimizer.dispose();
}

const PERMUTATIONS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const;

/** In place: each of `count` NHWC crops gets one random channel order. */
function permuteEach(crops: Float32Array, count: number, next: () => number): void {
  const per = crops.length / count;
  for (let k = 0; k < count; k++) {
    const order = PERMUTATIONS[Math.floor(next() * 6)] ?? PERMUTATIONS[0];
    for (let i = k * per; i < (k + 1) * per; i += 3) {
      const r = crops[i] ?? 0;
      const g = crops[i + 1] ?? 0;
      const b = crops[i + 2] ?? 0;
      const px = [r, g, b];
      crops[i] = px[order[0]] ?? 0;
      crops[i + 1] = px[order[1]] ?? 0;
      crops[i + 2] = px[order[2]] ?? 0;
    }
  }
}

export interface CachedStyleClassifierOptions {
  tf: Tf;
  backend: string;
  dir: string;
  style: string;
  sets: DomainSets;
  /** Held-out crops of each side, fixed by the caller (the same every run). */
  heldOut: { source: readonly FloatImage[]; target: readonly FloatImage[] };
  config?: StyleClassifierConfig;
  retrain?: boolean;
  log?: (line: string) => void;
}

/**
 * The classifier cached in `dir` when it was trained with the same config on the same number of images;
 * otherwise trains one, measures it on the held-out crops and saves weights + classifier.json there.
 */
export async function loadOrTrainStyleClassifier(
  o: CachedStyleClassifierOptions,
): Promise<{ model: tfl.LayersModel; info: StyleClassifierInfo; cached: boolean }> {
  const config = o.config ?? DEFAULT_STYLE_CLASSIFIER;
  const trainImages = { source: o.sets.source.train.length, target: o.sets.target.train.length };
  const info = o.retrain ? undefined : await readClassifierInfo<StyleClassifierInfo>(o.dir);
  if (
    info &&
    JSON.stringify(info.config) === JSON.stringify(config) &&
    JSON.stringify(info.trainImages) === JSON.stringify(trainImages)
  ) {
    return { model: await tfl.loadLayersModel(fsHandler(o.dir)), info, cached: true };
  }
  const model = buildStyleClassifier(config);
  const started = performance.now();
  await trainStyleClassifier(o.tf, model, o.sets, config, o.log);
  const trainingSeconds = (performance.now() - started) / 1000;
  const sourceAccuracy = 1 - (await targetRate(o.tf, model, o.heldOut.source));
  const targetAccuracy = await targetRate(o.tf, model, o.heldOut.target);
  const fresh: StyleClassifierInfo = {
    style: o.style,
    config,
    architecture: `conv${config.filters.join("/s2 → conv")}/s2 → global average → sigmoid`,
    params: model.countParams(),
    source: o.sets.source.name,
    target: o.sets.target.name,
    trainImages,
    heldOut: {
      sourceCrops: o.heldOut.source.length,
      targetCrops: o.heldOut.target.length,
      sourceAccuracy,
      targetAccuracy,
      accuracy: (sourceAccuracy + targetAccuracy) / 2,
    },
    trainingSeconds: Math.round(trainingSeconds * 10) / 10,
    backend: o.backend,
    trained: new Date().toISOString(),
  };
  await saveClassifier(model, o.dir, fresh);
  return { model, info: fresh, cached: false };
}
