import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import { selectBackend } from "../backend/select.ts";
import { loadClassSet } from "../data/class-sets.ts";
import type { CdcganConfig } from "../models/cdcgan.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { MODELS, type ModelName } from "../models/registry.ts";
import { isTextModel, type TcganConfig } from "../models/tcgan.ts";
import { DEFAULT_AUGMENTATION } from "./augment.ts";
import {
  type CurvePoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainingMetadata,
  writeMetadata,
} from "./checkpoint.ts";
import { type WeightAverage, weightAverage } from "./ema.ts";
import { recordedOptions, resumeFrom, type TrainerOptions, TrainingLoop, type TrainResult } from "./loop.ts";
import { rng } from "./random.ts";
import { SAMPLES_PNG, writeSampleGrid } from "./samples.ts";
import { SNAPSHOT_EVERY, snapshotDir } from "./snapshots.ts";
import {
  annealedRate,
  createOptimizers,
  discriminatorStep,
  disposeGan,
  type GanState,
  generatorStep,
  LEARNING_RATE,
  type LearningRates,
  oneHotLabels,
  setLearningRate,
} from "./steps.ts";

export interface TrainOptions extends TrainerOptions {
  model: ModelName;
  /** Passes over the data; ignored when `steps` is set. */
  epochs: number;
  /** Total steps (one D and one G update each), overriding `epochs`. */
  steps?: number;
  /** Text-encoder models: attribute-head warm-up steps before the first adversarial step (default 0). */
  warmupSteps?: number;
  /**
   * Class models: the ACGAN auxiliary loss weight of a fresh run (default: the model's config; 0 = none).
   * Text-encoder models: the attribute loss's weight in G's loss (default 1).
   */
  auxWeight?: number;
  /** Class models, fresh run: both networks' channel widths times this (default 1, the shipped size). */
  widthScale?: number;
  /** Class models, fresh run: a projection discriminator (CdcganConfig.conditioning) instead of the label channel. */
  projection?: boolean;
  /** Class models: differentiable augmentation of every image D sees (augment.ts' defaults). */
  augment?: boolean;
  /** Class models: the run's last N steps lower both learning rates linearly to zero (default 0: constant). */
  annealSteps?: number;
  /**
   * Class models: ship an exponential moving average of the generator's weights with this decay (ema.ts), e.g.
   * 0.999; 0 ships the generator itself. A resumed run keeps the decay it recorded unless given one.
   */
  emaDecay?: number;
  /** Class models: the discriminator's and generator's Adam rates (default 2e-4 each); a resume keeps its own. */
  learningRates?: Partial<LearningRates>;
  /** Class models: keep a generator snapshot every N steps for the evaluator's curve (default 300; 0 = none). */
  snapshotEvery?: number;
  /**
   * Text-encoder models, fresh run: train each network's text encoder this many steps to name the attributes
   * its captions mention, then freeze it, before the adversarial steps (default 0: learned with the GAN).
   */
  encoderPretrainSteps?: number;
  /** Text-encoder models: weight of the mode-seeking term in G's loss (default 0: off; text-steps.ts). */
  modeSeekingWeight?: number;
  /** Text-encoder models: generator options of a fresh run, over the model's config (see TcganConfig). */
  generator?: Pick<TcganConfig, "upsampling" | "conditionEveryScale">;
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

const scaled = (widths: readonly [number, number], k: number): [number, number] => [
  Math.round(widths[0] * k),
  Math.round(widths[1] * k),
];

export async function train(options: TrainOptions): Promise<TrainResult> {
  const def = MODELS[options.model];
  if (isTextModel(def)) {
    const { trainTextGan } = await import("./text-run.ts");
    return trainTextGan(options, def);
  }
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const data = await loadClassSet(tf, def.dataset, { limit: options.limit });
  const stepsPerEpoch = Math.floor(data.count / options.batchSize);
  if (stepsPerEpoch < 1) {
    throw new Error(
      `Batch size ${options.batchSize} is larger than the ${data.count} images: lower --batch.`,
    );
  }
  const totalSteps = options.steps ?? options.epochs * stepsPerEpoch;
  const previous = await resumeFrom(options);
  // A resumed run keeps the head its discriminator was built with.
  // What the resumed run recorded (recordedOptions below): a resume keeps it unless told otherwise.
  const recorded = previous?.options as
    | { config?: Partial<CdcganConfig>; emaDecay?: number; learningRates?: LearningRates }
    | undefined;
  const savedConfig = recorded?.config;
  const scale = options.widthScale ?? 1;
  const config: CdcganConfig = {
    ...def.config,
    seed: options.seed,
    auxWeight: savedConfig?.auxWeight ?? options.auxWeight ?? def.config.auxWeight ?? 0,
    generatorWidths: savedConfig?.generatorWidths ?? scaled(def.config.generatorWidths, scale),
    discriminatorWidths: savedConfig?.discriminatorWidths ?? scaled(def.config.discriminatorWidths, scale),
    // Runs saved before the option existed all read the label as an input channel.
    conditioning: previous
      ? (savedConfig?.conditioning ?? "input")
      : options.projection
        ? "projection"
        : (def.config.conditioning ?? "input"),
  };
  const learningRates: LearningRates = {
    d: options.learningRates?.d ?? recorded?.learningRates?.d ?? LEARNING_RATE,
    g: options.learningRates?.g ?? recorded?.learningRates?.g ?? LEARNING_RATE,
  };
  const optimizers = createOptimizers(tf, learningRates);
  const { average: savedAverage, ...nets } = previous
    ? await loadCheckpoint(tf, options.outDir, options.stateDir, optimizers)
    : {
        generator: def.buildGenerator(config),
        discriminator: def.buildDiscriminator(config),
        average: undefined,
      };
  const emaDecay = options.emaDecay ?? recorded?.emaDecay ?? 0;
  let average: WeightAverage | undefined;
  if (emaDecay > 0) average = await weightAverage(tf, nets.generator, emaDecay, savedAverage);
  else savedAverage?.dispose();
  // What ships, what the snapshots and sample grids show.
  const shipped = average?.model ?? nets.generator;
  const state: GanState = {
    ...nets,
    ...optimizers,
    latentDim: config.latentDim,
    numClasses: config.numClasses,
    auxWeight: config.auxWeight,
    ...(options.augment ? { augment: DEFAULT_AUGMENTATION } : {}),
  };
  const snapshotEvery = options.snapshotEvery ?? SNAPSHOT_EVERY;
  const annealSteps = options.annealSteps ?? 0;
  const curve: CurvePoint[] = [...(previous?.curve ?? [])];

  const loop = new TrainingLoop({
    tf,
    previous,
    losses: previous?.lastLosses ?? null,
    totals: (losses) => losses,
    totalSteps,
    stepsPerEpoch,
    progress: options.progress,
    header: `${def.name}: ${backendName} backend, ${data.count} images, batch ${options.batchSize}, ${totalSteps} steps`,
    advice: "lower the learning rate or resume earlier.",
  });
  const meta = (seconds?: number): TrainingMetadata => ({
    ...loop.metadata(seconds),
    model: def.name,
    backend: { name: backendName, version },
    data: { name: def.dataset, images: data.count },
    curve,
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    options: recordedOptions(options, { config, emaDecay, learningRates }),
  });
  // One shuffle per epoch, drawn when the epoch's first step needs it.
  let shuffled: { epoch: number; order: Int32Array } | undefined;
  try {
    await loop.run({
      step: (step) => {
        const epoch = Math.floor(step / stepsPerEpoch);
        if (shuffled?.epoch !== epoch)
          shuffled = { epoch, order: epochOrder(data.count, options.seed, epoch) };
        const { order } = shuffled;
        const i = step % stepsPerEpoch;
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
        if (annealSteps > 0) {
          setLearningRate(state.dOptimizer, annealedRate(step, totalSteps, annealSteps, learningRates.d));
          setLearningRate(state.gOptimizer, annealedRate(step, totalSteps, annealSteps, learningRates.g));
        }
        const d = discriminatorStep(tf, state, images, labels);
        const g = generatorStep(tf, state, options.batchSize);
        average?.update(step);
        tf.dispose([images, labels]);
        return { d: d.loss, g: g.loss };
      },
      afterStep: async (step) => {
        if (snapshotEvery > 0 && step % snapshotEvery === 0) {
          // Kept for the prompt-accuracy curve (ganvas-worker eval --curve); they stay out of the shipped folder.
          await shipped.save(fsHandler(snapshotDir(options.stateDir, step)));
          curve.push({ step, seconds: loop.trainingSeconds() });
        }
      },
      checkpoint: async () => {
        const seconds = loop.seconds();
        await saveCheckpoint(tf, state, options.outDir, options.stateDir, average?.model);
        if (options.samples !== false) {
          await writeSampleGrid(shipped, state.numClasses, join(options.outDir, SAMPLES_PNG));
        }
        const metadata = meta(seconds);
        await writeMetadata(options.outDir, metadata);
        loop.log(`checkpoint: epoch ${metadata.epoch}/${metadata.totalEpochs}, step ${loop.step}`);
      },
    });
  } finally {
    loop.stop();
    tf.dispose([data.images, data.labels]);
    disposeGan(state);
    average?.dispose();
  }
  return loop.result(meta);
}
