import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import { selectBackend } from "../backend/select.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { ENCODER_PREFIXES, type TcganConfig, type TextModelDefinition } from "../models/tcgan.ts";
import {
  type CurvePoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainingMetadata,
  writeMetadata,
} from "./checkpoint.ts";
import { recordedOptions, resumeFrom, TrainingLoop, type TrainResult } from "./loop.ts";
import type { TrainOptions } from "./run.ts";
import { SAMPLES_PNG } from "./samples.ts";
import { snapshotDir } from "./snapshots.ts";
import { disposeGan, trainableVariables } from "./steps.ts";
import { batchSeed, disposeTextBatch, drawTextBatch } from "./text-batch.ts";
import { pretrainTextEncoder } from "./text-encoder-pretrain.ts";
import { writeTextSampleGrid } from "./text-samples.ts";

type Tf = typeof tfCore;

import {
  attributeLoss,
  supervisedSteps,
  type TextBatch,
  type TextGanState,
  textDiscriminatorStep,
  textGeneratorStep,
} from "./text-steps.ts";

/**
 * The procedural set is unlimited, so an "epoch" is a fixed number of steps: the rhythm of checkpoints,
 * sample grids and the generator snapshots the evaluator turns into a prompt-accuracy curve.
 */
export const TEXT_EPOCH_STEPS = 150;
/**
 * Weights of the auxiliary attribute loss. In G's loss 1 lets it and the adversarial loss pull about equally
 * early on; in D's, 2, so the attribute head (G's only per-attribute teacher) learns fast from real images.
 */
export const AUX_WEIGHT = 1;
export const DISCRIMINATOR_AUX_WEIGHT = 2;

/**
 * Two time-scale update rule (Heusel et al.): D learns at twice G's rate, so within a short CPU budget its
 * attribute head and real/fake judgement stay ahead of the generator they teach; β1 = 0.5 as in DCGAN.
 */
export function createTextOptimizers(tf: Tf) {
  return { dOptimizer: tf.train.adam(4e-4, 0.5), gOptimizer: tf.train.adam(2e-4, 0.5) };
}

/**
 * Optional (`--warmup N`): before the first adversarial step, D's attribute head is trained alone on real
 * captioned images, so it can tell G from step 1 which attributes its images lack. Off by default: in the one
 * run that used it (300 steps, with a larger D), the warmed-up D overpowered G, whose images still ignored
 * their prompts after 450 steps, while the run without it had learnt backgrounds by then. With pretrained text
 * encoders it did no better (1,000 steps: behind at step 450 on every attribute; models/README.md, version 3).
 */
export const WARMUP_STEPS = 0;
export const WARMUP_LEARNING_RATE = 1e-3;

function warmUpAttributeHead(
  tf: Tf,
  state: TextGanState,
  steps: number,
  draw: (k: number) => TextBatch,
): number {
  return supervisedSteps(tf, {
    optimizer: tf.train.adam(WARMUP_LEARNING_RATE),
    variables: trainableVariables(state.discriminator),
    steps,
    draw,
    loss: (real) => {
      const out = state.discriminator.apply([real.images, real.tokens], { training: true }) as tfCore.Tensor;
      return attributeLoss(tf, tf.slice(out, [0, 1], [-1, -1]), real.targets, state.attributeSizes);
    },
  });
}

/** The text-to-image trainer of token-encoder models: alternating D/G steps on freshly drawn captioned batches. */
export async function trainTextGan(options: TrainOptions, def: TextModelDefinition): Promise<TrainResult> {
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const totalSteps = options.steps ?? options.epochs * TEXT_EPOCH_STEPS;
  const pretrainSteps = options.encoderPretrainSteps ?? 0;
  const config: TcganConfig = {
    ...def.config,
    ...(pretrainSteps > 0 ? { encoderInit: "glorot" as const } : {}),
    ...options.generator,
    seed: options.seed,
  };
  const optimizers = createTextOptimizers(tf);

  const previous = await resumeFrom(options);
  const nets = previous
    ? await loadCheckpoint(tf, options.outDir, options.stateDir, optimizers)
    : { generator: def.buildGenerator(config), discriminator: def.buildDiscriminator(config) };
  const state: TextGanState = {
    ...nets,
    ...optimizers,
    latentDim: config.latentDim,
    attributeSizes: config.attributeSizes,
    auxWeight: options.auxWeight ?? AUX_WEIGHT,
    discriminatorAuxWeight: DISCRIMINATOR_AUX_WEIGHT,
    modeSeekingWeight: options.modeSeekingWeight ?? 0,
  };
  const curve: CurvePoint[] = [...(previous?.curve ?? [])];

  const loop = new TrainingLoop({
    tf,
    previous,
    losses: previous?.lastLosses ?? null,
    totals: (losses) => losses,
    totalSteps,
    stepsPerEpoch: TEXT_EPOCH_STEPS,
    progress: options.progress,
    header: `${def.name}: ${backendName} backend, procedural captioned shapes drawn per step, batch ${options.batchSize}, ${totalSteps} steps`,
    advice: "lower the learning rate or resume earlier.",
  });
  const meta = (seconds?: number): TrainingMetadata => ({
    ...loop.metadata(seconds),
    model: def.name,
    backend: { name: backendName, version },
    // Drawn on the fly: every step sees new images, so the count is what the run has seen.
    data: { name: "procedural-shapes", images: loop.step * options.batchSize * 2 },
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    options: recordedOptions(options, { limit: undefined, config }),
    curve,
  });
  const draw = (seed: number) =>
    drawTextBatch(tf, def.vocabulary, config.attributeSizes, options.batchSize, seed);
  try {
    const warmup = options.warmupSteps ?? WARMUP_STEPS;
    if (previous === undefined && warmup > 0) {
      const warm = warmUpAttributeHead(tf, state, warmup, (k) => draw(batchSeed(options.seed, -1 - k, 0)));
      loop.log(`warm-up: ${warmup} attribute-head steps on real images, loss ${warm.toFixed(3)}`);
    }
    if (previous === undefined && pretrainSteps > 0) {
      for (const [net, prefix] of [
        [state.generator, ENCODER_PREFIXES.generator],
        [state.discriminator, ENCODER_PREFIXES.discriminator],
      ] as const) {
        const loss = pretrainTextEncoder(tf, net, prefix, config.attributeSizes, pretrainSteps, (k) =>
          draw(batchSeed(options.seed, -1 - k, prefix === ENCODER_PREFIXES.generator ? 1 : 0)),
        );
        loop.log(`${prefix} encoder: ${pretrainSteps} caption → attribute steps, loss ${loss.toFixed(3)}`);
      }
    }
    await loop.run({
      step: (step) => {
        const real = draw(batchSeed(options.seed, step, 0));
        const wanted = draw(batchSeed(options.seed, step, 1));
        const d = textDiscriminatorStep(tf, state, real);
        const g = textGeneratorStep(tf, state, wanted);
        disposeTextBatch(tf, real);
        disposeTextBatch(tf, wanted);
        return { d: d.loss, g: g.loss };
      },
      checkpoint: async () => {
        const seconds = loop.seconds();
        await saveCheckpoint(tf, state, options.outDir, options.stateDir);
        // Kept for the prompt-accuracy curve (ganvas-worker eval --curve); they stay out of the shipped folder.
        await state.generator.save(fsHandler(snapshotDir(options.stateDir, loop.step)));
        curve.push({ step: loop.step, seconds: loop.trainingSeconds(seconds) });
        if (options.samples !== false) {
          await writeTextSampleGrid(state.generator, def.vocabulary, join(options.outDir, SAMPLES_PNG));
        }
        const metadata = meta(seconds);
        await writeMetadata(options.outDir, metadata);
        loop.log(
          `checkpoint: epoch ${metadata.epoch}/${metadata.totalEpochs}, step ${loop.step}, D ${loop.losses?.d.toFixed(3)} G ${loop.losses?.g.toFixed(3)}`,
        );
      },
    });
  } finally {
    loop.stop();
    disposeGan(state);
  }
  return loop.result(meta);
}
