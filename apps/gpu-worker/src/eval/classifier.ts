import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Tensor } from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Tf } from "../backend/select.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { epochOrder } from "../training/run.ts";

/**
 * The evaluator's judge: a small CNN trained on real images only, never on generator output, so it is
 * independent of the GAN it scores. Its penultimate layer ("features") is the space of the Fréchet distance.
 */
export interface ClassifierConfig {
  filters: [number, number];
  featureDim: number;
  numClasses: number;
  seed: number;
}

export const defaultClassifierConfig: ClassifierConfig = {
  filters: [32, 64],
  featureDim: 64,
  numClasses: 10,
  seed: 1,
};

export const CLASSIFIER_INFO = "classifier.json";

/** What classifier.json records next to the cached weights. */
export interface ClassifierInfo {
  config: ClassifierConfig;
  params: number;
  trainImages: number;
  epochs: number;
  batchSize: number;
  /** Accuracy on the held-out test split, measured right after training. */
  testAccuracy: number;
  testImages: number;
  trainingSeconds: number;
  backend: string;
  trained: string;
}

/** Labelled 28×28 gray images as raw bytes (the IDX layout). */
export interface ImageSet {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export const IMAGE_PIXELS = 28 * 28;

/** Glorot-uniform starts, layer k's seeded from the judge's seed, so a retrained judge gets the same weights. */
export function classifierInit(seed: number) {
  return (k: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + k });
}

/**
 * Strided 3×3 ReLU convolutions, one per entry of `filters` (layer k seeded by `init(k)`): the judges' conv
 * stack. Strides instead of pooling keep to wasm's kernels.
 */
export function stridedConvs(
  x: tfl.SymbolicTensor,
  filters: readonly number[],
  init: ReturnType<typeof classifierInit>,
): tfl.SymbolicTensor {
  for (const [k, f] of filters.entries()) {
    x = tfl.layers
      .conv2d({
        filters: f,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(k),
      })
      .apply(x) as tfl.SymbolicTensor;
  }
  return x;
}

/**
 * The fashion and shapes judges' shared trunk: the strided convolutions → flatten → a dense "features" layer,
 * the layer Fréchet distances are measured on. `init(k)` seeds layer k's weights.
 */
export function classifierTrunk(
  image: tfl.SymbolicTensor,
  cfg: { filters: readonly number[]; featureDim: number; seed: number },
): { features: tfl.SymbolicTensor; init: ReturnType<typeof classifierInit> } {
  const init = classifierInit(cfg.seed);
  const x = tfl.layers.flatten().apply(stridedConvs(image, cfg.filters, init)) as tfl.SymbolicTensor;
  const features = tfl.layers
    .dense({ units: cfg.featureDim, activation: "relu", kernelInitializer: init(8), name: "features" })
    .apply(x) as tfl.SymbolicTensor;
  return { features, init };
}

/** The model with its "features" layer as a second output, for scoring and Fréchet distances in one pass. */
export function withFeatures(model: tfl.LayersModel): { both: tfl.LayersModel; featureDim: number } {
  const featureLayer = model.getLayer("features");
  const both = tfl.model({
    inputs: model.inputs,
    outputs: [model.outputs[0] as tfl.SymbolicTensor, featureLayer.output as tfl.SymbolicTensor],
  });
  return { both, featureDim: (featureLayer.output as tfl.SymbolicTensor).shape[1] as number };
}

/** The fashion classifier: the shared trunk → softmax over the classes. */
export function buildClassifier(cfg: ClassifierConfig): tfl.LayersModel {
  const image = tfl.input({ shape: [28, 28, 1], name: "image" });
  const { features, init } = classifierTrunk(image, cfg);
  const probs = tfl.layers
    .dense({ units: cfg.numClasses, activation: "softmax", kernelInitializer: init(9), name: "probs" })
    .apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: probs, name: "fashion_classifier" });
}

/** Bytes 0–255 → [-1, 1], the generator's range and the trainer's scaling. */
export function toInput(pixels: Uint8Array, indices?: ArrayLike<number>): Float32Array {
  if (indices === undefined) return Float32Array.from(pixels, (p) => p / 127.5 - 1);
  const out = new Float32Array(indices.length * IMAGE_PIXELS);
  for (let r = 0; r < indices.length; r++) {
    const src = (indices[r] as number) * IMAGE_PIXELS;
    for (let k = 0; k < IMAGE_PIXELS; k++)
      out[r * IMAGE_PIXELS + k] = (pixels[src + k] as number) / 127.5 - 1;
  }
  return out;
}

export interface TrainClassifierOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Adam on cross-entropy, seeded shuffles (the trainer's `epochOrder`), one `tf.tidy` per step. */
export async function trainClassifier(
  tf: Tf,
  model: tfl.LayersModel,
  data: ImageSet,
  options: TrainClassifierOptions,
): Promise<void> {
  const numClasses = (model.outputs[0]?.shape[1] as number | undefined) ?? 10;
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: "categoricalCrossentropy" });
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = epochOrder(data.count, options.seed, epoch);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < data.count; start += options.batchSize) {
      const idx = order.subarray(start, Math.min(data.count, start + options.batchSize));
      const x = tf.tensor4d(toInput(data.pixels, idx), [idx.length, 28, 28, 1]);
      const y = tf.tidy(() =>
        tf.oneHot(
          tf.tensor1d(
            Int32Array.from(idx, (i) => data.labels[i] as number),
            "int32",
          ),
          numClasses,
        ),
      );
      const loss = await model.trainOnBatch(x, y);
      x.dispose();
      y.dispose();
      lossSum += Array.isArray(loss) ? (loss[0] ?? 0) : loss;
      batches++;
    }
    options.onEpoch?.(epoch + 1, lossSum / Math.max(1, batches));
  }
  // Adam's moment tensors are only needed while training; the cached classifier is used for inference.
  optimizer.dispose();
}

export interface Scored {
  /** argmax class per image. */
  predicted: Int32Array;
  /** count × featureDim, the penultimate activations. */
  features: Float32Array;
  featureDim: number;
}

/** Runs the classifier over `count` images (bytes), in chunks, returning classes and penultimate features. */
export async function score(
  tf: Tf,
  model: tfl.LayersModel,
  pixels: Uint8Array,
  count: number,
  chunk = 500,
): Promise<Scored> {
  const { both, featureDim } = withFeatures(model);
  const predicted = new Int32Array(count);
  const features = new Float32Array(count * featureDim);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const slice = pixels.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS);
    const [cls, feat] = tf.tidy(() => {
      const [probs, f] = both.predict(tf.tensor4d(toInput(slice), [n, 28, 28, 1])) as Tensor[];
      return [tf.argMax(probs as Tensor, -1), f as Tensor];
    }) as [Tensor, Tensor];
    predicted.set(await cls.data(), start);
    features.set(await feat.data(), start * featureDim);
    cls.dispose();
    feat.dispose();
  }
  return { predicted, features, featureDim };
}

export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return labels.length === 0 ? 0 : hits / labels.length;
}

export interface CachedClassifierOptions {
  tf: Tf;
  backend: string;
  dir: string;
  config: ClassifierConfig;
  train: ImageSet;
  test: ImageSet;
  epochs: number;
  batchSize: number;
  /** Train even when a classifier with the same config is cached. */
  retrain?: boolean;
  log?: (line: string) => void;
}

/** A cached judge's classifier.json, or undefined when there is none yet (or it does not parse). */
export async function readClassifierInfo<T>(dir: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, CLASSIFIER_INFO), "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Caches a freshly trained judge: its weights and, beside them, the classifier.json it is matched on. */
export async function saveClassifier(model: tfl.LayersModel, dir: string, info: object): Promise<void> {
  await model.save(fsHandler(dir));
  await writeFile(join(dir, CLASSIFIER_INFO), `${JSON.stringify(info, null, 2)}\n`);
}

/**
 * The classifier cached in `dir` when it was trained with the same config, data size and epochs; otherwise trains
 * one, measures it on the test split and saves weights + classifier.json there.
 */
export async function loadOrTrainClassifier(
  o: CachedClassifierOptions,
): Promise<{ model: tfl.LayersModel; info: ClassifierInfo; cached: boolean }> {
  const info = o.retrain ? undefined : await readClassifierInfo<ClassifierInfo>(o.dir);
  if (
    info &&
    JSON.stringify(info.config) === JSON.stringify(o.config) &&
    info.trainImages === o.train.count &&
    info.epochs === o.epochs
  ) {
    return { model: await tfl.loadLayersModel(fsHandler(o.dir)), info, cached: true };
  }
  const model = buildClassifier(o.config);
  const started = performance.now();
  await trainClassifier(o.tf, model, o.train, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.config.seed,
    onEpoch: (epoch, loss) =>
      o.log?.(
        `classifier epoch ${epoch}/${o.epochs}: loss ${loss.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      ),
  });
  const trainingSeconds = (performance.now() - started) / 1000;
  const { predicted } = await score(o.tf, model, o.test.pixels, o.test.count);
  const fresh: ClassifierInfo = {
    config: o.config,
    params: model.countParams(),
    trainImages: o.train.count,
    epochs: o.epochs,
    batchSize: o.batchSize,
    testAccuracy: accuracy(predicted, o.test.labels),
    testImages: o.test.count,
    trainingSeconds: Math.round(trainingSeconds * 10) / 10,
    backend: o.backend,
    trained: new Date().toISOString(),
  };
  await saveClassifier(model, o.dir, fresh);
  return { model, info: fresh, cached: false };
}
