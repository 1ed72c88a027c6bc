import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import { selectBackend } from "../backend/select.ts";
import { loadFashionMnist } from "../data/fashion-mnist.ts";
import type { CdcganConfig } from "../models/cdcgan.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { MODELS, type ModelName } from "../models/registry.ts";
import { isTextModel } from "../models/tcgan.ts";
import {
  type CurvePoint,
  loadCheckpoint,
  readMetadata,
  saveCheckpoint,
  type TrainingMetadata,
  writeMetadata,
} from "./checkpoint.ts";
import { createProgress } from "./progress.ts";
import { rng } from "./random.ts";
import { SAMPLES_PNG, writeSampleGrid } from "./samples.ts";
import { SNAPSHOT_EVERY, snapshotDir } from "./snapshots.ts";
import { createOptimizers, discriminatorStep, type GanState, generatorStep, oneHotLabels } from "./steps.ts";

export interface TrainOptions {
  model: ModelName;
  /** Passes over the data; ignored when `steps` is set. */
  epochs: number;
  /** Total steps (one D and one G update each), overriding `epochs`. */
  steps?: number;
  batchSize: number;
  seed: number;
  outDir: string;
  /** Discriminator and optimizer state, needed only to resume; not shipped. */
  stateDir: string;
  resume: boolean;
  /** Use only the first N training images (quick runs, tests). */
  limit?: number;
  backend?: string;
  /** Per-epoch sample grid; off saves a few seconds in tests. */
  samples?: boolean;
  /** Text-encoder models: attribute-head warm-up steps before the first adversarial step (default 0). */
  warmupSteps?: number;
  /** Class models: the ACGAN auxiliary loss weight of a fresh run (default: the model's config; 0 = none). */
  auxWeight?: number;
  /** Class models: keep a generator snapshot every N steps for the evaluator's curve (default 300; 0 = none). */
  snapshotEvery?: number;
  /** Where progress goes (default stderr); false for none. */
  progress?: NodeJS.WriteStream | false;
}

export interface TrainResult {
  metadata: TrainingMetadata;
  stepsPerSecond: number;
}

export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  const next = rng(seed * 1000003 + epoch);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = t;
  }
  return order;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const def = MODELS[options.model];
  if (isTextModel(def)) {
    const { trainTextGan } = await import("./text-run.ts");
    return trainTextGan(options, def);
  }
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const data = await loadFashionMnist(tf, { limit: options.limit });
  const stepsPerEpoch = Math.floor(data.count / options.batchSize);
  if (stepsPerEpoch < 1) {
    throw new Error(
      `Batch size ${options.batchSize} is larger than the ${data.count} images: lower --batch.`,
    );
  }
  const totalSteps = options.steps ?? options.epochs * stepsPerEpoch;
  const totalEpochs = Math.ceil(totalSteps / stepsPerEpoch);
  const previous = options.resume ? await readMetadata(options.outDir) : undefined;
  if (options.resume && previous === undefined) {
    throw new Error(`Nothing to resume in ${options.outDir}: run without --resume to start fresh.`);
  }
  // A resumed run keeps the head its discriminator was built with.
  const savedConfig = (previous?.options as { config?: Partial<CdcganConfig> } | undefined)?.config;
  const config: CdcganConfig = {
    ...def.config,
    seed: options.seed,
    auxWeight: savedConfig?.auxWeight ?? options.auxWeight ?? def.config.auxWeight ?? 0,
  };
  const optimizers = createOptimizers(tf);
  const nets = previous
    ? await loadCheckpoint(tf, options.outDir, options.stateDir, optimizers)
    : { generator: def.buildGenerator(config), discriminator: def.buildDiscriminator(config) };
  const state: GanState = {
    ...nets,
    ...optimizers,
    latentDim: config.latentDim,
    numClasses: config.numClasses,
    auxWeight: config.auxWeight,
  };
  const snapshotEvery = options.snapshotEvery ?? SNAPSHOT_EVERY;
  const curve: CurvePoint[] = [...(previous?.curve ?? [])];

  const started = previous?.started ?? new Date().toISOString();
  const meta = (
    step: number,
    losses: { d: number; g: number } | null,
    seconds: number,
  ): TrainingMetadata => ({
    model: def.name,
    // The epoch this step falls in, so a run that stops mid-epoch reports the epoch it reached.
    epoch: Math.ceil(step / stepsPerEpoch),
    totalEpochs,
    step,
    totalSteps,
    stepsPerEpoch,
    completed: step >= totalSteps,
    started,
    updated: new Date().toISOString(),
    trainingSeconds: Math.round((previous?.trainingSeconds ?? 0) + seconds),
    lastLosses: losses,
    backend: { name: backendName, version },
    data: { name: "fashion-mnist", images: data.count },
    curve,
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    // The state dir and the progress stream belong to this machine and session, not to the trained model.
    options: { ...options, stateDir: undefined, progress: undefined, config },
  });

  const progress = createProgress(totalSteps, previous?.step ?? 0, options.progress);
  progress.log(
    `${def.name}: ${backendName} backend, ${data.count} images, batch ${options.batchSize}, ${totalSteps} steps`,
  );
  const began = performance.now();
  let step = previous?.step ?? 0;
  let losses: { d: number; g: number } | null = previous?.lastLosses ?? null;
  let baseline: number | undefined;
  try {
    while (step < totalSteps) {
      const epoch = Math.floor(step / stepsPerEpoch);
      const order = epochOrder(data.count, options.seed, epoch);
      for (let i = step % stepsPerEpoch; i < stepsPerEpoch && step < totalSteps; i++) {
        const [images, labels] = tf.tidy(() => {
          const idx = tf.tensor1d(
            order.subarray(i * options.batchSize, (i + 1) * options.batchSize),
            "int32",
          );
          const classes = tf.gather(data.labels, idx) as tfCore.Tensor1D;
          return [
            tf.gather(data.images, idx) as tfCore.Tensor4D,
            oneHotLabels(tf, classes, state.numClasses),
          ];
        });
        const d = discriminatorStep(tf, state, images, labels);
        const g = generatorStep(tf, state, options.batchSize);
        tf.dispose([images, labels]);
        step++;
        losses = { d: d.loss, g: g.loss };
        if (!Number.isFinite(d.loss) || !Number.isFinite(g.loss)) {
          throw new Error(
            `Losses became non-finite at step ${step}: lower the learning rate or resume earlier.`,
          );
        }
        // Adam creates its moment variables on the first step; from then on the count must stay flat.
        const tensors = tf.memory().numTensors;
        baseline ??= tensors;
        if (tensors > baseline)
          throw new Error(`Tensor leak: ${tensors - baseline} tensors after step ${step}.`);
        progress.update(step, { epoch: epoch + 1, ...losses });
        if (snapshotEvery > 0 && step % snapshotEvery === 0) {
          // Kept for the prompt-accuracy curve (ganvas-worker eval --curve); they stay out of the shipped folder.
          await state.generator.save(fsHandler(snapshotDir(options.stateDir, step)));
          const at = (previous?.trainingSeconds ?? 0) + (performance.now() - began) / 1000;
          curve.push({ step, seconds: Math.round(at) });
        }
      }
      const seconds = (performance.now() - began) / 1000;
      await saveCheckpoint(tf, state, options.outDir, options.stateDir);
      if (options.samples !== false) {
        await writeSampleGrid(state.generator, state.numClasses, join(options.outDir, SAMPLES_PNG));
      }
      await writeMetadata(options.outDir, meta(step, losses, seconds));
      progress.log(`checkpoint: epoch ${Math.ceil(step / stepsPerEpoch)}/${totalEpochs}, step ${step}`);
    }
  } finally {
    progress.stop();
    tf.dispose([data.images, data.labels]);
    state.generator.dispose();
    state.discriminator.dispose();
    state.dOptimizer.dispose();
    state.gOptimizer.dispose();
  }
  const seconds = (performance.now() - began) / 1000;
  return {
    metadata: meta(step, losses, seconds),
    stepsPerSecond: (step - (previous?.step ?? 0)) / seconds,
  };
}
