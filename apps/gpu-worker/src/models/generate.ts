import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

export interface GenerateOptions {
  classIndex: number;
  /** Same seed, class and count ⇒ same images, which the cache key relies on. */
  seed: number;
  count: number;
  /** Scales the noise (default 1): lower draws more typical images, with less variety. */
  temperature?: number;
}

/** A generator's raw output: `batch` images, channels-last, values in [-1, 1]. */
export interface GeneratorOutput {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * One call of a conditional generator, whatever runs it (TensorFlow.js, onnxruntime-node, onnxruntime-web):
 * noise [batch × latentDim] and one-hot labels [batch × numClasses], row-major float32.
 */
export interface ConditionalGenerator {
  readonly latentDim: number;
  readonly numClasses: number;
  predict(noise: Float32Array, labels: Float32Array, batch: number): Promise<GeneratorOutput>;
}

function inputWidth(model: tfl.LayersModel, index: number, what: string): number {
  const width = model.inputs[index]?.shape[1];
  if (typeof width !== "number")
    throw new Error(`Generator has no fixed ${what} input: load a trained generator.`);
  return width;
}

/** Runs a tfjs-layers generator on the active TensorFlow.js backend. */
export function layersGenerator(model: tfl.LayersModel): ConditionalGenerator {
  const latentDim = inputWidth(model, 0, "noise");
  const numClasses = inputWidth(model, 1, "label");
  return {
    latentDim,
    numClasses,
    async predict(noise, labels, batch) {
      const images = tf.tidy(() => {
        const out = model.predict([
          tf.tensor2d(noise, [batch, latentDim]),
          tf.tensor2d(labels, [batch, numClasses]),
        ]);
        return out as tf.Tensor;
      });
      const [, height = 0, width = 0, channels = 1] = images.shape;
      const raw = await images.data();
      const data = raw instanceof Float32Array ? raw : Float32Array.from(raw);
      images.dispose();
      return { data, height, width, channels };
    },
  };
}

function isConditionalGenerator(m: tfl.LayersModel | ConditionalGenerator): m is ConditionalGenerator {
  return typeof (m as ConditionalGenerator).latentDim === "number";
}

/**
 * tfjs reads a seed of 0 as "no seed" and draws from Math.random, so seed 0 gets 2³², which no request can
 * ask for (seeds are uint32): same seed ⇒ same noise holds for every seed.
 */
const SEED_ZERO = 4_294_967_296;

/**
 * Each request's noise from its own seed, with tfjs-core's seeded randomNormal. The numbers come from a JS
 * generator whatever the backend, so every serving runtime is fed exactly the same latent points.
 */
export function drawNoise<R extends Pick<GenerateOptions, "seed" | "count" | "temperature">>(
  requests: readonly R[],
  latentDim: number,
): Float32Array {
  const total = requests.reduce((n, r) => n + r.count, 0);
  const noise = new Float32Array(total * latentDim);
  let offset = 0;
  for (const { count, seed, temperature = 1 } of requests) {
    const t = tf.randomNormal([count, latentDim], 0, 1, "float32", seed === 0 ? SEED_ZERO : seed);
    const drawn = t.dataSync() as Float32Array;
    noise.set(temperature === 1 ? drawn : drawn.map((v) => v * temperature), offset);
    t.dispose();
    offset += count * latentDim;
  }
  return noise;
}

export function oneHotLabels(requests: readonly GenerateOptions[], numClasses: number): Float32Array {
  const total = requests.reduce((n, r) => n + r.count, 0);
  const labels = new Float32Array(total * numClasses);
  let row = 0;
  for (const { classIndex, count } of requests) {
    for (let i = 0; i < count; i++, row++) labels[row * numClasses + classIndex] = 1;
  }
  return labels;
}

/**
 * [-1, 1] → 0–255 as `round((x + 1) · 127.5)` in float32 with round-half-to-even, clipped: the same bytes
 * tfjs' add, mul, round and clipByValue gave when this ran as tensor ops.
 */
export function toBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(Math.fround((values[i] ?? 0) + 1) * 127.5);
    const base = Math.floor(v);
    const frac = v - base;
    const r = frac < 0.5 ? base : frac > 0.5 ? base + 1 : base % 2 === 0 ? base : base + 1;
    out[i] = Number.isNaN(r) ? 0 : Math.min(255, Math.max(0, r));
  }
  return out;
}

/** Runs a conditional generator; returns one 8-bit image (height × width × channels bytes) per sample. */
export async function generate(
  model: tfl.LayersModel | ConditionalGenerator,
  options: GenerateOptions,
): Promise<Uint8Array[]> {
  const [images = []] = await generateBatch(model, [options]);
  return images;
}

/**
 * Runs many requests as one generator call — where a worker's throughput comes from. Each request's noise
 * is drawn from its own seed, so a request gets the same images whether it runs alone or in a batch.
 */
export async function generateBatch(
  model: tfl.LayersModel | ConditionalGenerator,
  requests: readonly GenerateOptions[],
): Promise<Uint8Array[][]> {
  const generator = isConditionalGenerator(model) ? model : layersGenerator(model);
  const { latentDim, numClasses } = generator;
  for (const { classIndex, count } of requests) {
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= numClasses) {
      throw new Error(
        `classIndex ${classIndex} is outside 0–${numClasses - 1}: pick one of the model's classes.`,
      );
    }
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`count must be a positive integer, got ${count}.`);
  }
  const batch = requests.reduce((n, r) => n + r.count, 0);
  const out = await generator.predict(
    drawNoise(requests, latentDim),
    oneHotLabels(requests, numClasses),
    batch,
  );
  const pixels = toBytes(out.data);
  const size = out.height * out.width * out.channels;
  let offset = 0;
  return requests.map(({ count }) =>
    Array.from({ length: count }, () => pixels.slice(offset * size, ++offset * size)),
  );
}
