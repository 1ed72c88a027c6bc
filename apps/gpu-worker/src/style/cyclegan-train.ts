import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../backend/select.ts";
import { fsHandler } from "../models/fs-handler.ts";
import {
  epochSamplePath,
  loadCheckpoint,
  saveCheckpoint,
  type TrainingMetadata,
  writeMetadata,
} from "../training/checkpoint.ts";
import {
  recordedOptions,
  resumeFrom,
  type TrainerOptions,
  TrainingLoop,
  type TrainResult,
} from "../training/loop.ts";
import { rng } from "../training/random.ts";
import { type GanState, trainableVariables } from "../training/steps.ts";
import {
  buildCycleGanGenerator,
  buildPatchDiscriminator,
  type CycleGanConfig,
  DEFAULT_CYCLEGAN_CONFIG,
  GENERATOR_MIN_SIDE,
  GENERATOR_MULTIPLE,
} from "./cyclegan-model.ts";
import { writeCycleSamples } from "./cyclegan-samples.ts";
import {
  type FloatImage,
  gridCrops,
  loadUnpairedData,
  sampleCrops,
  type UnpairedStyle,
} from "./photo-data.ts";

type Tf = typeof tfCore;

/**
 * Domain A is photos, domain B the style. gAB (photo → style) is what ships; gBA, both discriminators and the
 * optimizers are kept in the state folder only to resume.
 */
export interface CycleGanState {
  gAB: tfl.LayersModel;
  gBA: tfl.LayersModel;
  dA: tfl.LayersModel;
  dB: tfl.LayersModel;
  /** One Adam over both generators (their losses are one sum), one over both discriminators. */
  gOptimizer: tfCore.Optimizer;
  dOptimizer: tfCore.Optimizer;
}

export interface CycleLosses {
  /** Both discriminators' LSGAN losses, each halved as in the paper. */
  dA: number;
  dB: number;
  /** Generators' LSGAN losses (fooling dB and dA), summed. */
  adversarial: number;
  /** L1 ‖gBA(gAB(a)) − a‖ + ‖gAB(gBA(b)) − b‖, before λ. */
  cycle: number;
  /** L1 ‖gAB(b) − b‖ + ‖gBA(a) − a‖, before its weight. */
  identity: number;
  /** L1 between the Sobel edge maps of each input and its translation, both directions, before its weight. */
  edge: number;
  /** The generators' total objective. */
  g: number;
}

export interface CycleWeights {
  /** λ of the cycle-consistency loss (paper: 10). */
  cycle: number;
  /** Identity loss weight as a fraction of λ (paper: 0.5); 0 skips the two extra generator passes. */
  identity: number;
  /**
   * Edge-consistency weight (0: the paper's objective). The cycle loss only asks that the photo can be recovered,
   * which a generator can satisfy while moving or inventing edges; this asks that the scene's edges stay where
   * they were, the content a user expects a restyled photo to keep (a gradient-consistency loss).
   */
  edge?: number;
}

/**
 * The image history buffer (Shrivastava et al., used by CycleGAN): the discriminator sees fakes from the last
 * few hundred steps, not only the latest generator's, which damps oscillation. Holds copies, not tensors.
 */
export class ImagePool {
  private readonly images: Float32Array[] = [];
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.images.length;
  }

  /** Per image: while not full, store and return it; then half the time swap it for a stored one. */
  query(image: Float32Array, next: () => number): Float32Array {
    if (this.capacity === 0) return image;
    if (this.images.length < this.capacity) {
      this.images.push(image);
      return image;
    }
    if (next() < 0.5) {
      const i = Math.floor(next() * this.capacity);
      const old = this.images[i] as Float32Array;
      this.images[i] = image;
      return old;
    }
    return image;
  }

  /** A batch (NHWC floats) through the pool, image by image. */
  queryBatch(batch: Float32Array, count: number, next: () => number): Float32Array {
    const per = batch.length / count;
    const out = new Float32Array(batch.length);
    for (let b = 0; b < count; b++) out.set(this.query(batch.slice(b * per, (b + 1) * per), next), b * per);
    return out;
  }
}

/** LSGAN: mean squared distance of every patch logit to the target label. */
function lsgan(tf: Tf, logits: tfCore.Tensor, target: number): tfCore.Scalar {
  // sub + square rather than squaredDifference, whose gradient mishandles broadcasting in tfjs-core.
  return tf.mean(tf.square(tf.sub(logits, target)));
}

function l1(tf: Tf, a: tfCore.Tensor, b: tfCore.Tensor): tfCore.Scalar {
  return tf.mean(tf.abs(tf.sub(a, b)));
}

/**
 * Sobel gradient magnitude of BT.601 luma, /4 so a full black-to-white step reads 1: the evaluator's edge map
 * (evaluate-metrics.ts) as a differentiable tensor op. Inputs NHWC RGB in [-1, 1].
 */
export function sobelEdges(tf: Tf, images: tfCore.Tensor4D): tfCore.Tensor4D {
  const weights = tf.tensor4d([0.299, 0.587, 0.114], [1, 1, 3, 1]);
  const luma = tf.mul(tf.add(tf.conv2d(images, weights, 1, "valid"), 1), 0.5);
  const kernels = tf.tensor4d(
    // gx and gy stacked as two output channels, [row][col][in][out].
    [-1, -1, 0, -2, 1, -1, -2, 0, 0, 0, 2, 0, -1, 1, 0, 2, 1, 1],
    [3, 3, 1, 2],
  );
  // A 1-pixel symmetric pad repeats the border pixel, as the evaluator's clamped reads do.
  const padded = tf.mirrorPad(
    luma as tfCore.Tensor4D,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    "symmetric",
  );
  const grad = tf.conv2d(padded, kernels, 1, "valid");
  // The small epsilon keeps sqrt's gradient finite on flat regions.
  return tf.div(tf.sqrt(tf.add(tf.sum(tf.square(grad), 3, true), 1e-6)), 4) as tfCore.Tensor4D;
}

function apply(model: tfl.LayersModel, x: tfCore.Tensor): tfCore.Tensor {
  return model.apply(x, { training: true }) as tfCore.Tensor;
}

/**
 * One CycleGAN step: the generators' update (adversarial + λ·cycle + λ·identity), then the discriminators'
 * update on real images and on fakes drawn through the history buffers. The fakes are copied out of the
 * generator pass, so the generators run once per step.
 */
export function cycleGanStep(
  tf: Tf,
  state: CycleGanState,
  realA: tfCore.Tensor4D,
  realB: tfCore.Tensor4D,
  pools: { a: ImagePool; b: ImagePool },
  weights: CycleWeights,
  next: () => number,
): CycleLosses {
  return tf.tidy(() => {
    const n = realA.shape[0];
    let fakeA: Float32Array = new Float32Array(0);
    let fakeB: Float32Array = new Float32Array(0);
    let adversarial = 0;
    let cycle = 0;
    let identity = 0;
    let edge = 0;
    const edgeWeight = weights.edge ?? 0;
    const gCost = state.gOptimizer.minimize(
      () => {
        const ab = apply(state.gAB, realA);
        const ba = apply(state.gBA, realB);
        const adv = tf.add(lsgan(tf, apply(state.dB, ab), 1), lsgan(tf, apply(state.dA, ba), 1));
        const cyc = tf.add(l1(tf, apply(state.gBA, ab), realA), l1(tf, apply(state.gAB, ba), realB));
        let total = tf.add(adv, tf.mul(cyc, weights.cycle));
        if (weights.identity > 0) {
          const id = tf.add(l1(tf, apply(state.gAB, realB), realB), l1(tf, apply(state.gBA, realA), realA));
          total = tf.add(total, tf.mul(id, weights.cycle * weights.identity));
          identity = id.dataSync()[0] ?? Number.NaN;
        }
        if (edgeWeight > 0) {
          const kept = tf.add(
            l1(tf, sobelEdges(tf, ab as tfCore.Tensor4D), sobelEdges(tf, realA)),
            l1(tf, sobelEdges(tf, ba as tfCore.Tensor4D), sobelEdges(tf, realB)),
          );
          total = tf.add(total, tf.mul(kept, edgeWeight));
          edge = kept.dataSync()[0] ?? Number.NaN;
        }
        fakeB = ab.dataSync() as Float32Array;
        fakeA = ba.dataSync() as Float32Array;
        adversarial = adv.dataSync()[0] ?? Number.NaN;
        cycle = cyc.dataSync()[0] ?? Number.NaN;
        return total as tfCore.Scalar;
      },
      true,
      trainableVariables(state.gAB, state.gBA),
    );
    const pooledA = tf.tensor4d(pools.a.queryBatch(fakeA, n, next), realA.shape);
    const pooledB = tf.tensor4d(pools.b.queryBatch(fakeB, n, next), realB.shape);
    let dA = 0;
    let dB = 0;
    state.dOptimizer.minimize(
      () => {
        const lossA = tf.mul(
          tf.add(lsgan(tf, apply(state.dA, realA), 1), lsgan(tf, apply(state.dA, pooledA), 0)),
          0.5,
        );
        const lossB = tf.mul(
          tf.add(lsgan(tf, apply(state.dB, realB), 1), lsgan(tf, apply(state.dB, pooledB), 0)),
          0.5,
        );
        dA = lossA.dataSync()[0] ?? Number.NaN;
        dB = lossB.dataSync()[0] ?? Number.NaN;
        return tf.add(lossA, lossB) as tfCore.Scalar;
      },
      false,
      trainableVariables(state.dA, state.dB),
    );
    return { dA, dB, adversarial, cycle, identity, edge, g: gCost?.dataSync()[0] ?? Number.NaN };
  });
}

/** The paper's schedule: the base rate for the first part of training, then linearly down to zero. */
export function learningRateAt(base: number, step: number, total: number, decayFrom: number): number {
  const start = Math.floor(total * decayFrom);
  if (step < start || total <= start) return base;
  return base * Math.max(0, 1 - (step - start) / (total - start));
}

function setLearningRate(optimizer: tfCore.Optimizer, lr: number): void {
  // Adam reads its (protected) learningRate on every update, so assigning it is how a schedule is applied.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

export interface CycleGanTrainOptions extends TrainerOptions {
  style: UnpairedStyle;
  steps: number;
  /** Square training crop side, a multiple of 4. */
  crop: number;
  /** Images are reduced to this shorter side before cropping. */
  shortSide: number;
  learningRate: number;
  /** Fraction of the steps after which the learning rate decays linearly to zero (paper: 0.5). */
  decayFrom: number;
  weights: CycleWeights;
  poolSize: number;
  config: CycleGanConfig;
  checkpointEvery: number;
  dataRoot?: string;
}

/**
 * Batch 4 rather than the paper's 1: on a single CPU core a 4-image step costs ~2.2× a 1-image step, and
 * instance norm makes the batch size otherwise irrelevant to the networks.
 */
export const CYCLEGAN_DEFAULTS = {
  steps: 700,
  batchSize: 4,
  crop: 64,
  shortSide: 256,
  learningRate: 2e-4,
  decayFrom: 0.5,
  weights: { cycle: 10, identity: 0.5, edge: 0 },
  poolSize: 50,
  config: DEFAULT_CYCLEGAN_CONFIG,
  checkpointEvery: 100,
} as const;

export interface CycleGanMetadata extends TrainingMetadata {
  style: UnpairedStyle;
  /** The generator contract shared by every style: NHWC RGB in [-1, 1], sides a multiple of this. */
  multiple: number;
  /**
   * Smallest side the generator takes: the bottleneck (a quarter of the side) must be wider than the residual
   * blocks' 1-pixel reflection padding. Callers pad smaller images up to this.
   */
  minSide: number;
  valueRange: [number, number];
  direction: "photo→style";
  lastCycleLosses: CycleLosses | null;
  learningRate: number;
}

export const CYCLEGAN_SAMPLES_PNG = "samples.png";
const REVERSE = "reverse-generator";
const REVERSE_D = "photo-discriminator";

async function saveState(tf: Tf, state: CycleGanState, outDir: string, stateDir: string): Promise<void> {
  // The photo→style pair goes through the shared checkpoint code (generator to outDir); the reverse pair next to it.
  const pair = {
    generator: state.gAB,
    discriminator: state.dB,
    ...state,
    latentDim: 0,
    numClasses: 0,
  } as GanState;
  await saveCheckpoint(tf, pair, outDir, stateDir);
  await state.gBA.save(fsHandler(join(stateDir, REVERSE)));
  await state.dA.save(fsHandler(join(stateDir, REVERSE_D)));
}

async function loadState(
  tf: Tf,
  outDir: string,
  stateDir: string,
  optimizers: Pick<CycleGanState, "gOptimizer" | "dOptimizer">,
): Promise<CycleGanState> {
  const { generator, discriminator } = await loadCheckpoint(tf, outDir, stateDir, optimizers);
  const gBA = await tfl.loadLayersModel(fsHandler(join(stateDir, REVERSE)));
  const dA = await tfl.loadLayersModel(fsHandler(join(stateDir, REVERSE_D)));
  return { gAB: generator, dB: discriminator, gBA, dA, ...optimizers };
}

/** Fixed sample crops: 96 px tiles from the held-out photos (never trained on), four of them. */
function samplePhotos(photos: readonly FloatImage[], fallback: readonly FloatImage[]): FloatImage[] {
  const source = photos.length > 0 ? photos : fallback;
  const tiles = gridCrops(source, 96, 1);
  return tiles.slice(0, 4);
}

/**
 * The CycleGAN training loop. Crops are drawn from rng(seed, step), so a resumed run sees the same data; the
 * history buffers start empty again on resume (they only smooth the discriminators' view).
 */
export async function trainCycleGan(options: CycleGanTrainOptions): Promise<TrainResult<CycleGanMetadata>> {
  if (options.crop % GENERATOR_MULTIPLE !== 0) {
    throw new Error(`--crop must be a multiple of ${GENERATOR_MULTIPLE}, got ${options.crop}.`);
  }
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const data = await loadUnpairedData(options.style, {
    root: options.dataRoot,
    shortSide: options.shortSide,
    limit: options.limit,
  });
  const samples = samplePhotos(data.heldOutPhotos, data.trainPhotos);
  const config = { ...options.config, seed: options.seed };
  const optimizers = {
    gOptimizer: tf.train.adam(options.learningRate, 0.5, 0.999),
    dOptimizer: tf.train.adam(options.learningRate, 0.5, 0.999),
  };
  const previous = await resumeFrom<CycleGanMetadata>(options);
  const state: CycleGanState = previous
    ? await loadState(tf, options.outDir, options.stateDir, optimizers)
    : {
        gAB: buildCycleGanGenerator(config, "photo_to_style"),
        gBA: buildCycleGanGenerator({ ...config, seed: config.seed + 500 }, "style_to_photo"),
        dA: buildPatchDiscriminator({ ...config, seed: config.seed + 1 }, "photo_discriminator"),
        dB: buildPatchDiscriminator(config, "style_discriminator"),
        ...optimizers,
      };
  const pools = { a: new ImagePool(options.poolSize), b: new ImagePool(options.poolSize) };

  const total = options.steps;
  const loop = new TrainingLoop({
    tf,
    previous,
    losses: previous?.lastCycleLosses ?? null,
    totals: (losses) => ({ d: losses.dA + losses.dB, g: losses.g }),
    totalSteps: total,
    // An "epoch" is one checkpoint interval: crops are sampled, there is no pass over a fixed set.
    stepsPerEpoch: options.checkpointEvery,
    progress: options.progress,
    header:
      `cyclegan ${options.style}: ${backendName} backend, ${data.trainPhotos.length} photos ↔ ` +
      `${data.trainStyle.length} style images, batch ${options.batchSize}×${options.crop}px, ${total} steps, ` +
      `${state.gAB.countParams()} params per generator, ${state.dB.countParams()} per discriminator`,
    advice: "lower --lr or resume from the last checkpoint.",
  });
  const meta = (seconds?: number): CycleGanMetadata => ({
    ...loop.metadata(seconds),
    model: `cyclegan/${options.style}`,
    lastCycleLosses: loop.losses,
    learningRate: learningRateAt(options.learningRate, loop.step, total, options.decayFrom),
    style: options.style,
    multiple: GENERATOR_MULTIPLE,
    minSide: GENERATOR_MIN_SIDE,
    valueRange: [-1, 1],
    direction: "photo→style",
    backend: { name: backendName, version },
    data: {
      name: `photos ↔ ${options.style}`,
      images: data.trainPhotos.length + data.trainStyle.length,
    },
    params: {
      generator: state.gAB.countParams(),
      discriminator: state.dB.countParams(),
    },
    options: recordedOptions(options, {
      dataRoot: undefined,
      config,
      trainPhotos: data.trainPhotos.map((i) => i.name),
      trainStyle: data.trainStyle.map((i) => i.name),
      heldOutPhotos: data.heldOutPhotos.map((i) => i.name),
    }),
  });
  try {
    await loop.run({
      step: (step) => {
        const next = rng(options.seed * 1000003 + step);
        const lr = learningRateAt(options.learningRate, step, total, options.decayFrom);
        setLearningRate(state.gOptimizer, lr);
        setLearningRate(state.dOptimizer, lr);
        const shape: [number, number, number, number] = [options.batchSize, options.crop, options.crop, 3];
        const crops = (from: readonly FloatImage[]) =>
          tf.tensor4d(sampleCrops(from, options.batchSize, options.crop, next), shape);
        const realA = crops(data.trainPhotos);
        const realB = crops(data.trainStyle);
        try {
          return cycleGanStep(tf, state, realA, realB, pools, options.weights, next);
        } finally {
          tf.dispose([realA, realB]);
        }
      },
      checkpoint: async () => {
        await saveState(tf, state, options.outDir, options.stateDir);
        await mkdir(options.outDir, { recursive: true });
        if (options.samples !== false) {
          const write = (path: string) => writeCycleSamples(tf, state.gAB, state.gBA, samples, path);
          await write(join(options.outDir, CYCLEGAN_SAMPLES_PNG));
          await write(await epochSamplePath(options.stateDir, loop.epoch));
        }
        await writeMetadata(options.outDir, meta());
        const l = loop.losses;
        loop.log(
          `checkpoint: step ${loop.step}/${total}` +
            (l
              ? `, D_A ${l.dA.toFixed(3)} D_B ${l.dB.toFixed(3)} adv ${l.adversarial.toFixed(3)} ` +
                `cycle ${l.cycle.toFixed(3)} identity ${l.identity.toFixed(3)}` +
                ((options.weights.edge ?? 0) > 0 ? ` edge ${l.edge.toFixed(3)}` : "")
              : ""),
        );
      },
    });
  } finally {
    loop.stop();
    for (const m of [state.gAB, state.gBA, state.dA, state.dB]) m.dispose();
    state.gOptimizer.dispose();
    state.dOptimizer.dispose();
  }
  return loop.result(meta);
}
