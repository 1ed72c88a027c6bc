import { SHAPE_ATTRIBUTES } from "@ganvas/shared";
import type { Tensor } from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Tf } from "../backend/select.ts";
import {
  ATTRIBUTE_NAMES,
  SHAPE_IMAGE_SIZE,
  SHAPE_PIXELS,
  type ShapeAttributes,
  shapeBatch,
} from "../data/shapes.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { trainableVariables } from "../training/steps.ts";
import { attributeLoss } from "../training/text-steps.ts";
import {
  CLASSIFIER_INFO,
  classifierTrunk,
  readClassifierInfo,
  saveClassifier,
  withFeatures,
} from "./classifier.ts";

/**
 * The shapes evaluator's judge: a small CNN that names every attribute of a 32×32 picture (one softmax group
 * per attribute), trained only on real procedural images, never on generator output. Its penultimate layer
 * ("features") is the space of the Fréchet distance.
 */
export interface ShapesClassifierConfig {
  /** 3×3 convolutions, each halving the resolution. */
  filters: readonly number[];
  featureDim: number;
  /** Training images (the same each epoch, drawn from `seed`); held-out images come from another seed. */
  trainImages: number;
  testImages: number;
  epochs: number;
  batchSize: number;
  seed: number;
}

export const defaultShapesClassifierConfig: ShapesClassifierConfig = {
  filters: [32, 64, 128],
  featureDim: 128,
  // 12,800 images for 5 epochs named a small shape right only 89.9% of the time, under the 90% the generator is
  // held to; four times the images, each seen 4 times, make a judge that can tell a generator meeting the mark.
  trainImages: 51_200,
  testImages: 2_000,
  epochs: 4,
  batchSize: 64,
  seed: 101,
};

export const ATTRIBUTE_SIZES = ATTRIBUTE_NAMES.map((a) => SHAPE_ATTRIBUTES[a].length);
export const SHAPES_CLASSIFIER_INFO = CLASSIFIER_INFO;

export interface ShapesClassifierInfo {
  config: ShapesClassifierConfig;
  params: number;
  /** Held-out accuracy per attribute, measured right after training: the ceiling for prompt accuracy. */
  testAccuracy: Record<string, number>;
  trainingSeconds: number;
  backend: string;
  trained: string;
}

export function buildShapesClassifier(cfg: ShapesClassifierConfig): tfl.LayersModel {
  const image = tfl.input({ shape: [SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 3], name: "image" });
  const { features, init } = classifierTrunk(image, cfg);
  const logits = tfl.layers
    .dense({
      units: ATTRIBUTE_SIZES.reduce((a, b) => a + b, 0),
      kernelInitializer: init(9),
      name: "attribute_logits",
    })
    .apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: logits, name: "shapes_classifier" });
}

/** Bytes → [-1, 1] tensor [n, 32, 32, 3]. */
function imagesTensor(tf: Tf, pixels: Uint8Array, count: number): Tensor {
  const x = new Float32Array(count * SHAPE_PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = (pixels[i] ?? 0) / 127.5 - 1;
  return tf.tensor4d(x, [count, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 3]);
}

function targetsTensor(tf: Tf, attributes: readonly ShapeAttributes[]): Tensor {
  const width = ATTRIBUTE_SIZES.reduce((a, b) => a + b, 0);
  const t = new Float32Array(attributes.length * width);
  attributes.forEach((a, i) => {
    let offset = i * width;
    ATTRIBUTE_NAMES.forEach((name, k) => {
      t[offset + a[name]] = 1;
      offset += ATTRIBUTE_SIZES[k] ?? 0;
    });
  });
  return tf.tensor2d(t, [attributes.length, width]);
}

export interface ScoredShapes {
  /** Per attribute, the predicted value index of each image. */
  predicted: Record<string, Int32Array>;
  /** count × featureDim. */
  features: Float32Array;
  featureDim: number;
}

/** Runs the classifier over `count` images (bytes, channels-last RGB) in chunks. */
export async function scoreShapes(
  tf: Tf,
  model: tfl.LayersModel,
  pixels: Uint8Array,
  count: number,
  chunk = 500,
): Promise<ScoredShapes> {
  const { both, featureDim } = withFeatures(model);
  const predicted = Object.fromEntries(ATTRIBUTE_NAMES.map((a) => [a, new Int32Array(count)]));
  const features = new Float32Array(count * featureDim);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const slice = pixels.subarray(start * SHAPE_PIXELS, (start + n) * SHAPE_PIXELS);
    const outs = tf.tidy(() => {
      const [logits, f] = both.predict(imagesTensor(tf, slice, n)) as Tensor[];
      let offset = 0;
      const groups = ATTRIBUTE_SIZES.map((size) => {
        const g = tf.argMax(tf.slice(logits as Tensor, [0, offset], [-1, size]), -1);
        offset += size;
        return g;
      });
      return [...groups, f as Tensor];
    });
    for (const [k, name] of ATTRIBUTE_NAMES.entries()) {
      (predicted[name] as Int32Array).set(await (outs[k] as Tensor).data(), start);
    }
    features.set(await (outs[ATTRIBUTE_NAMES.length] as Tensor).data(), start * featureDim);
    tf.dispose(outs);
  }
  return { predicted, features, featureDim };
}

/** Fraction right per attribute. */
export function attributeAccuracy(
  scored: ScoredShapes,
  truth: readonly ShapeAttributes[],
): Record<string, number> {
  return Object.fromEntries(
    ATTRIBUTE_NAMES.map((name) => {
      const p = scored.predicted[name] as Int32Array;
      let hits = 0;
      truth.forEach((t, i) => {
        if (p[i] === t[name]) hits++;
      });
      return [name, truth.length === 0 ? 0 : hits / truth.length];
    }),
  );
}

/** Real held-out images (a seed the training images never use) with their attributes. */
export function heldOutShapes(cfg: ShapesClassifierConfig, count = cfg.testImages, offset = 0) {
  return shapeBatch(count, cfg.seed + 7_919 + offset, "all");
}

/**
 * The classifier cached in `dir` when it was trained with the same config; otherwise trains one (Adam on the
 * summed per-attribute cross-entropy, images drawn fresh for each batch from the config's seed), measures
 * it on held-out images and saves weights + classifier.json there.
 */
export async function loadOrTrainShapesClassifier(o: {
  tf: Tf;
  backend: string;
  dir: string;
  config?: ShapesClassifierConfig;
  retrain?: boolean;
  log?: (line: string) => void;
}): Promise<{ model: tfl.LayersModel; info: ShapesClassifierInfo; cached: boolean }> {
  const cfg = o.config ?? defaultShapesClassifierConfig;
  const info = o.retrain ? undefined : await readClassifierInfo<ShapesClassifierInfo>(o.dir);
  if (info && JSON.stringify(info.config) === JSON.stringify(cfg)) {
    return { model: await tfl.loadLayersModel(fsHandler(o.dir)), info, cached: true };
  }
  const { tf } = o;
  const model = buildShapesClassifier(cfg);
  const optimizer = tf.train.adam(2e-3);
  const weights = trainableVariables(model);
  const started = performance.now();
  const batches = Math.ceil(cfg.trainImages / cfg.batchSize);
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    let sum = 0;
    for (let b = 0; b < batches; b++) {
      // The same images each epoch: batch b of every epoch is drawn from the same seed.
      const batch = shapeBatch(cfg.batchSize, cfg.seed * 100_003 + b, "all");
      const x = imagesTensor(tf, batch.pixels, batch.count);
      const y = targetsTensor(
        tf,
        batch.samples.map((s) => s.attributes),
      );
      const loss = optimizer.minimize(
        () => attributeLoss(tf, model.apply(x, { training: true }) as Tensor, y, ATTRIBUTE_SIZES),
        true,
        weights,
      );
      sum += loss?.dataSync()[0] ?? 0;
      tf.dispose([x, y, loss].filter((t) => t !== undefined && t !== null) as Tensor[]);
    }
    o.log?.(
      `shapes classifier epoch ${epoch + 1}/${cfg.epochs}: loss ${(sum / batches).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  optimizer.dispose();
  const test = heldOutShapes(cfg);
  const scored = await scoreShapes(tf, model, test.pixels, test.count);
  const fresh: ShapesClassifierInfo = {
    config: cfg,
    params: model.countParams(),
    testAccuracy: attributeAccuracy(
      scored,
      test.samples.map((s) => s.attributes),
    ),
    trainingSeconds: Math.round((performance.now() - started) / 100) / 10,
    backend: o.backend,
    trained: new Date().toISOString(),
  };
  await saveClassifier(model, o.dir, fresh);
  return { model, info: fresh, cached: false };
}
