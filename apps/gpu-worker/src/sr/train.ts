import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../backend/select.ts";
import {
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
import { disposeGan, type GanState, setLearningRate, trainableVariables } from "../training/steps.ts";
import {
  busiestWindow,
  loadTrainingPhotos,
  lumaStd,
  samplePatches,
  type TrainingPhoto,
  toFloat,
  toRgb,
} from "./data.ts";
import { crop, encodePngRgb, type RgbImage, resizeBicubic } from "./image.ts";
import { psnrY } from "./metrics.ts";
import { SR_MODELS, type SrModelName } from "./model.ts";

type Tf = typeof tfCore;

/** What one SR training step touches. */
export interface SrState {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  gOptimizer: tfCore.Optimizer;
  dOptimizer: tfCore.Optimizer;
}

export interface SrLosses {
  /** Phase 2 discriminator loss (real + fake); 0 in phase 1. */
  d: number;
  /** Generator total: content (+ weighted adversarial in phase 2). */
  g: number;
  content: number;
  adversarial: number;
}

/** EDSR/ESRGAN settings: Adam 1e-4 for both, default betas. */
export function createSrOptimizers(tf: Tf, lr = 1e-4): Pick<SrState, "gOptimizer" | "dOptimizer"> {
  return { gOptimizer: tf.train.adam(lr, 0.9, 0.999), dOptimizer: tf.train.adam(lr, 0.9, 0.999) };
}

/** Phase 1: content (L1) loss only, as the PSNR-oriented pretraining of SRGAN/ESRGAN. */
export function contentStep(tf: Tf, state: SrState, lr: tfCore.Tensor4D, hr: tfCore.Tensor4D): SrLosses {
  const loss = tf.tidy(() => {
    const cost = state.gOptimizer.minimize(
      () =>
        tf.mean(
          tf.abs(tf.sub(state.generator.apply(lr, { training: true }) as tfCore.Tensor, hr)),
        ) as tfCore.Scalar,
      true,
      trainableVariables(state.generator),
    );
    return cost?.dataSync()[0] ?? Number.NaN;
  });
  return { d: 0, g: loss, content: loss, adversarial: 0 };
}

/**
 * Phase 2: one discriminator update (real HR vs the generator's SR, one-sided label smoothing 0.9), then one
 * generator update on L1 + advWeight · non-saturating adversarial loss.
 */
export function adversarialStep(
  tf: Tf,
  state: SrState,
  lr: tfCore.Tensor4D,
  hr: tfCore.Tensor4D,
  advWeight: number,
): SrLosses {
  return tf.tidy(() => {
    const fake = state.generator.apply(lr, { training: false }) as tfCore.Tensor;
    const ones = tf.fill([lr.shape[0], 1], 1);
    const dCost = state.dOptimizer.minimize(
      () => {
        const real = state.discriminator.apply(hr, { training: true }) as tfCore.Tensor;
        const fakeLogit = state.discriminator.apply(fake, { training: true }) as tfCore.Tensor;
        return tf.add(
          tf.losses.sigmoidCrossEntropy(tf.mul(ones, 0.9), real),
          tf.losses.sigmoidCrossEntropy(tf.zerosLike(fakeLogit), fakeLogit),
        ) as tfCore.Scalar;
      },
      true,
      trainableVariables(state.discriminator),
    );
    let content = 0;
    let adversarial = 0;
    const gCost = state.gOptimizer.minimize(
      () => {
        const sr = state.generator.apply(lr, { training: true }) as tfCore.Tensor;
        const c = tf.mean(tf.abs(tf.sub(sr, hr)));
        const a = tf.losses.sigmoidCrossEntropy(
          ones,
          state.discriminator.apply(sr, { training: true }) as tfCore.Tensor,
        );
        content = c.dataSync()[0] ?? Number.NaN;
        adversarial = a.dataSync()[0] ?? Number.NaN;
        return tf.add(c, tf.mul(a, advWeight)) as tfCore.Scalar;
      },
      true,
      trainableVariables(state.generator),
    );
    return {
      d: dCost?.dataSync()[0] ?? Number.NaN,
      g: gCost?.dataSync()[0] ?? Number.NaN,
      content,
      adversarial,
    };
  });
}

export interface SrTrainOptions extends TrainerOptions {
  model: SrModelName;
  /** Phase 1 (content-only) steps. */
  pretrainSteps: number;
  /** Phase 2 (content + adversarial) steps after phase 1. */
  ganSteps: number;
  /** HR patch side (default: the model's patchSize). */
  patchSize?: number;
  learningRate: number;
  /** Phase 1 learning rate decays along a cosine from learningRate to this (default: no decay). */
  learningRateMin?: number;
  advWeight: number;
  /** Redraw patches flatter than this LR luma std (0–255); 0 keeps all. */
  minPatchStd: number;
  checkpointEvery: number;
  dataDir?: string;
  /** Longer sides each photo is loaded at (see loadTrainingPhotos); default [1600]. */
  maxSides?: readonly number[];
}

export interface SrTrainingMetadata extends TrainingMetadata {
  phase: 1 | 2;
  lastSrLosses: SrLosses | null;
  /** Y-PSNR on the sample window (from a training photo, not the held-out set): ours vs bicubic. */
  sample: { psnr: number; bicubicPsnr: number } | null;
  sampleWindow: { photo: string; x: number; y: number; size: number };
}

export const SR_SAMPLES_PNG = "samples.png";

/**
 * Phase 1 learning rate at a step: cosine from lr to lrMin over the content steps (EDSR halves its rate in
 * steps; a cosine does the same job without picking milestones), then lrMin through phase 2.
 */
export function srLearningRate(step: number, pretrainSteps: number, lr: number, lrMin = lr): number {
  if (step >= pretrainSteps) return lrMin;
  return lrMin + 0.5 * (lr - lrMin) * (1 + Math.cos((Math.PI * step) / pretrainSteps));
}

/** The sample: the busiest 64×64 LR window over all training photos, chosen once per run. */
export function chooseSampleWindow(photos: readonly TrainingPhoto[], size = 64): SampleWindow {
  let best: SampleWindow | undefined;
  for (const photo of photos) {
    const side = Math.min(size, photo.lr.width, photo.lr.height);
    const { x, y } = busiestWindow(photo.lr, side);
    const std = lumaStd(photo.lr, x, y, side);
    if (best === undefined || std > best.std) best = { photo, x, y, size: side, std };
  }
  if (best === undefined) throw new Error("No training photos to take a sample from.");
  return best;
}

export interface SampleWindow {
  photo: TrainingPhoto;
  x: number;
  y: number;
  size: number;
  std: number;
}

/** Writes bicubic | ours | HR side by side for the sample window, and returns both Y-PSNRs on it. */
export async function writeSrSample(
  tf: Tf,
  generator: tfl.LayersModel,
  window: SampleWindow,
  scale: number,
  path: string | undefined,
): Promise<{ psnr: number; bicubicPsnr: number }> {
  const { photo, x, y, size } = window;
  const lr = crop(photo.lr, x, y, size, size);
  const hr = crop(photo.hr, x * scale, y * scale, size * scale, size * scale);
  const out = tf.tidy(() => generator.predict(tf.tensor4d(toFloat(lr), [1, size, size, 3])) as tfCore.Tensor);
  const sr = toRgb((await out.data()) as Float32Array, size * scale, size * scale);
  out.dispose();
  const bicubic = resizeBicubic(lr, size * scale, size * scale);
  if (path !== undefined) await writeFile(path, await encodePngRgb(sideBySide([bicubic, sr, hr])));
  return { psnr: psnrY(sr, hr, scale), bicubicPsnr: psnrY(bicubic, hr, scale) };
}

function sideBySide(images: readonly RgbImage[], gap = 4): RgbImage {
  const h = Math.max(...images.map((i) => i.height));
  const w = images.reduce((a, i) => a + i.width, 0) + gap * (images.length - 1);
  const data = new Uint8Array(w * h * 3);
  let x0 = 0;
  for (const img of images) {
    for (let y = 0; y < img.height; y++) {
      data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), (y * w + x0) * 3);
    }
    x0 += img.width + gap;
  }
  return { width: w, height: h, data };
}

/**
 * The SR training loop: phase 1 content-only, then phase 2 content + adversarial; a checkpoint (generator to
 * outDir, discriminator and both optimizers to stateDir), metadata and a sample strip every checkpointEvery
 * steps and at the end. Batches are drawn from rng(seed, step), so a resumed run sees the same data.
 */
export async function trainSr(options: SrTrainOptions): Promise<TrainResult<SrTrainingMetadata>> {
  const def = SR_MODELS[options.model];
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const scale = def.config.scale;
  const patch = options.patchSize ?? def.config.patchSize;
  const photos = await loadTrainingPhotos({
    scale,
    dir: options.dataDir,
    limit: options.limit,
    maxSides: options.maxSides,
  });
  const sampleWindow = chooseSampleWindow(photos);
  const totalSteps = options.pretrainSteps + options.ganSteps;
  const config = { ...def.config, seed: options.seed, patchSize: patch };
  const optimizers = createSrOptimizers(tf, options.learningRate);

  const previous = await resumeFrom<SrTrainingMetadata>(options);
  const asGan = (s: SrState): GanState => ({ ...s, latentDim: 0, numClasses: 0 });
  const nets = previous
    ? await loadCheckpoint(tf, options.outDir, options.stateDir, optimizers)
    : { generator: def.buildGenerator(config), discriminator: def.buildDiscriminator(config) };
  const state: SrState = { ...nets, ...optimizers };

  const loop = new TrainingLoop({
    tf,
    previous,
    losses: previous?.lastSrLosses ?? null,
    totals: (losses) => ({ d: losses.d, g: losses.g }),
    totalSteps,
    // An "epoch" here is one checkpoint interval: patches are sampled, there is no pass over a fixed set.
    stepsPerEpoch: options.checkpointEvery,
    progress: options.progress,
    header:
      `${def.name}: ${backendName} backend, ${photos.length} photos, batch ${options.batchSize}×${patch}px, ` +
      `${options.pretrainSteps} content + ${options.ganSteps} adversarial steps, ${state.generator.countParams()} G params`,
    advice: "lower --lr or resume from the last checkpoint.",
  });
  let sample: SrTrainingMetadata["sample"] = previous?.sample ?? null;
  const meta = (seconds?: number): SrTrainingMetadata => ({
    ...loop.metadata(seconds),
    model: def.name,
    lastSrLosses: loop.losses,
    phase: loop.step > options.pretrainSteps ? 2 : 1,
    sample,
    sampleWindow: {
      photo: sampleWindow.photo.name,
      x: sampleWindow.x,
      y: sampleWindow.y,
      size: sampleWindow.size,
    },
    backend: { name: backendName, version },
    data: { name: options.dataDir ?? "mate-backgrounds/nature", images: photos.length },
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    options: recordedOptions(options, { config }),
  });
  try {
    await loop.run({
      step: (step) => {
        const batch = samplePatches(
          photos,
          options.batchSize,
          patch,
          scale,
          rng(options.seed * 1000003 + step),
          true,
          options.minPatchStd,
        );
        const rate = srLearningRate(
          step,
          options.pretrainSteps,
          options.learningRate,
          options.learningRateMin,
        );
        setLearningRate(state.gOptimizer, rate);
        setLearningRate(state.dOptimizer, rate);
        // Adam creates its moments on the first step of each optimizer: phase 2 starts a new baseline.
        if (step === options.pretrainSteps) loop.resetLeakBaseline();
        const lr = tf.tensor4d(batch.lr, [batch.batch, batch.lrSize, batch.lrSize, 3]);
        const hr = tf.tensor4d(batch.hr, [batch.batch, batch.hrSize, batch.hrSize, 3]);
        try {
          return step < options.pretrainSteps
            ? contentStep(tf, state, lr, hr)
            : adversarialStep(tf, state, lr, hr, options.advWeight);
        } finally {
          tf.dispose([lr, hr]);
        }
      },
      checkpoint: async () => {
        await saveCheckpoint(tf, asGan(state), options.outDir, options.stateDir);
        await mkdir(options.outDir, { recursive: true });
        sample = await writeSrSample(
          tf,
          state.generator,
          sampleWindow,
          scale,
          options.samples === false ? undefined : join(options.outDir, SR_SAMPLES_PNG),
        );
        await writeMetadata(options.outDir, meta());
        loop.log(
          `checkpoint: step ${loop.step}/${totalSteps}, sample PSNR ${sample.psnr.toFixed(2)} dB (bicubic ${sample.bicubicPsnr.toFixed(2)})`,
        );
      },
    });
  } finally {
    loop.stop();
    disposeGan(state);
  }
  return loop.result(meta);
}
