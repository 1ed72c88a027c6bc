import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import { selectBackend } from "../backend/select.ts";
import { fsHandler } from "../models/fs-handler.ts";
import type { TextModelDefinition } from "../models/tcgan.ts";
import {
  type CurvePoint,
  loadCheckpoint,
  readMetadata,
  saveCheckpoint,
  type TrainingMetadata,
  writeMetadata,
} from "./checkpoint.ts";
import { createProgress } from "./progress.ts";
import type { TrainOptions, TrainResult } from "./run.ts";
import { SAMPLES_PNG } from "./samples.ts";
import { snapshotDir } from "./snapshots.ts";
import { batchSeed, disposeTextBatch, drawTextBatch } from "./text-batch.ts";
import { writeTextSampleGrid } from "./text-samples.ts";

type Tf = typeof tfCore;

import {
  attributeLoss,
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
 * their prompts after 450 steps, while the run without it had learnt backgrounds by then.
 */
export const WARMUP_STEPS = 0;
export const WARMUP_LEARNING_RATE = 1e-3;

function warmUpAttributeHead(
  tf: Tf,
  state: TextGanState,
  steps: number,
  draw: (k: number) => TextBatch,
): number {
  const optimizer = tf.train.adam(WARMUP_LEARNING_RATE);
  const variables = state.discriminator.trainableWeights.map((w) => w.read() as tfCore.Variable);
  let last = Number.NaN;
  for (let k = 0; k < steps; k++) {
    const real = draw(k);
    const loss = tf.tidy(
      () =>
        optimizer.minimize(
          () => {
            const out = state.discriminator.apply([real.images, real.tokens], {
              training: true,
            }) as tfCore.Tensor;
            return attributeLoss(tf, tf.slice(out, [0, 1], [-1, -1]), real.targets, state.attributeSizes);
          },
          true,
          variables,
        ) ?? tf.scalar(Number.NaN),
    );
    last = loss.dataSync()[0] ?? Number.NaN;
    loss.dispose();
    disposeTextBatch(tf, real);
  }
  optimizer.dispose();
  return last;
}

/** The text-to-image trainer of token-encoder models: alternating D/G steps on freshly drawn captioned batches. */
export async function trainTextGan(options: TrainOptions, def: TextModelDefinition): Promise<TrainResult> {
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const stepsPerEpoch = TEXT_EPOCH_STEPS;
  const totalSteps = options.steps ?? options.epochs * stepsPerEpoch;
  const totalEpochs = Math.ceil(totalSteps / stepsPerEpoch);
  const config = { ...def.config, seed: options.seed };
  const optimizers = createTextOptimizers(tf);

  const previous = options.resume ? await readMetadata(options.outDir) : undefined;
  if (options.resume && previous === undefined) {
    throw new Error(`Nothing to resume in ${options.outDir}: run without --resume to start fresh.`);
  }
  const nets = previous
    ? await loadCheckpoint(tf, options.outDir, options.stateDir, optimizers)
    : { generator: def.buildGenerator(config), discriminator: def.buildDiscriminator(config) };
  const state: TextGanState = {
    ...nets,
    ...optimizers,
    latentDim: config.latentDim,
    attributeSizes: config.attributeSizes,
    auxWeight: AUX_WEIGHT,
    discriminatorAuxWeight: DISCRIMINATOR_AUX_WEIGHT,
  };
  const curve: CurvePoint[] = [...(previous?.curve ?? [])];

  const started = previous?.started ?? new Date().toISOString();
  const meta = (
    step: number,
    losses: { d: number; g: number } | null,
    seconds: number,
  ): TrainingMetadata => ({
    model: def.name,
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
    // Drawn on the fly: every step sees new images, so the count is what the run has seen.
    data: { name: "procedural-shapes", images: step * options.batchSize * 2 },
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    options: { ...options, stateDir: undefined, progress: undefined, limit: undefined, config },
    curve,
  });

  const progress = createProgress(totalSteps, previous?.step ?? 0, options.progress);
  progress.log(
    `${def.name}: ${backendName} backend, procedural captioned shapes drawn per step, batch ${options.batchSize}, ${totalSteps} steps`,
  );
  const began = performance.now();
  let step = previous?.step ?? 0;
  let losses: { d: number; g: number } | null = previous?.lastLosses ?? null;
  let baseline: number | undefined;
  const draw = (role: 0 | 1) =>
    drawTextBatch(
      tf,
      def.vocabulary,
      config.attributeSizes,
      options.batchSize,
      batchSeed(options.seed, step, role),
    );
  try {
    const warmup = options.warmupSteps ?? WARMUP_STEPS;
    if (previous === undefined && warmup > 0) {
      const warm = warmUpAttributeHead(tf, state, warmup, (k) =>
        drawTextBatch(
          tf,
          def.vocabulary,
          config.attributeSizes,
          options.batchSize,
          batchSeed(options.seed, -1 - k, 0),
        ),
      );
      progress.log(`warm-up: ${warmup} attribute-head steps on real images, loss ${warm.toFixed(3)}`);
    }
    while (step < totalSteps) {
      const epochEnd = Math.min(totalSteps, (Math.floor(step / stepsPerEpoch) + 1) * stepsPerEpoch);
      while (step < epochEnd) {
        const real = draw(0);
        const wanted = draw(1);
        const d = textDiscriminatorStep(tf, state, real);
        const g = textGeneratorStep(tf, state, wanted);
        disposeTextBatch(tf, real);
        disposeTextBatch(tf, wanted);
        step++;
        losses = { d: d.loss, g: g.loss };
        if (!Number.isFinite(d.loss) || !Number.isFinite(g.loss)) {
          throw new Error(
            `Losses became non-finite at step ${step}: lower the learning rate or resume earlier.`,
          );
        }
        const tensors = tf.memory().numTensors;
        baseline ??= tensors;
        if (tensors > baseline)
          throw new Error(`Tensor leak: ${tensors - baseline} tensors after step ${step}.`);
        progress.update(step, { epoch: Math.ceil(step / stepsPerEpoch), ...losses });
      }
      const seconds = (performance.now() - began) / 1000;
      await saveCheckpoint(tf, state, options.outDir, options.stateDir);
      // Kept for the prompt-accuracy curve (ganvas-worker eval --curve); they stay out of the shipped folder.
      await state.generator.save(fsHandler(snapshotDir(options.stateDir, step)));
      curve.push({ step, seconds: Math.round((previous?.trainingSeconds ?? 0) + seconds) });
      if (options.samples !== false) {
        await writeTextSampleGrid(state.generator, def.vocabulary, join(options.outDir, SAMPLES_PNG));
      }
      await writeMetadata(options.outDir, meta(step, losses, seconds));
      progress.log(
        `checkpoint: epoch ${Math.ceil(step / stepsPerEpoch)}/${totalEpochs}, step ${step}, D ${losses?.d.toFixed(3)} G ${losses?.g.toFixed(3)}`,
      );
    }
  } finally {
    progress.stop();
    state.generator.dispose();
    state.discriminator.dispose();
    state.dOptimizer.dispose();
    state.gOptimizer.dispose();
  }
  const seconds = (performance.now() - began) / 1000;
  return { metadata: meta(step, losses, seconds), stepsPerSecond: (step - (previous?.step ?? 0)) / seconds };
}
