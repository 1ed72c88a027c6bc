import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../backend/select.ts";
import { fsHandler } from "../models/fs-handler.ts";
import type { TextModelDefinition } from "../models/tcgan.ts";
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
import { batchSeed, disposeTextBatch, drawTextBatch } from "./text-batch.ts";
import { writeTextSampleGrid } from "./text-samples.ts";

type Tf = typeof tfCore;

import { type TextGanState, textDiscriminatorStep, textGeneratorStep } from "./text-steps.ts";
import {
  buildTeacher,
  TEACHER_DIR,
  TEACHER_LEARNING_RATE,
  TEACHER_STEPS,
  TEACHER_WEIGHT,
  type TeacherReport,
  trainTeacher,
} from "./text-teacher.ts";

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

export interface TextTrainingMetadata extends TrainingMetadata {
  /** The frozen attribute classifier whose verdict joined G's loss (text-teacher.ts); null without one. */
  teacher: TeacherReport | null;
}

/** The text-to-image trainer of token-encoder models: alternating D/G steps on freshly drawn captioned batches. */
export async function trainTextGan(options: TrainOptions, def: TextModelDefinition): Promise<TrainResult> {
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const totalSteps = options.steps ?? options.epochs * TEXT_EPOCH_STEPS;
  const config = { ...def.config, seed: options.seed };
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
    auxWeight: AUX_WEIGHT,
    discriminatorAuxWeight: DISCRIMINATOR_AUX_WEIGHT,
    teacherWeight: TEACHER_WEIGHT,
  };
  const teacherDir = join(options.stateDir, TEACHER_DIR);
  // A resumed run keeps the teacher it started with (or its lack of one): G's loss must not change mid-run.
  let teacherReport = (previous as TextTrainingMetadata | undefined)?.teacher ?? null;
  if (previous !== undefined && teacherReport !== null) {
    state.teacher = await tfl.loadLayersModel(fsHandler(teacherDir));
  }
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
  const meta = (seconds?: number): TextTrainingMetadata => ({
    ...loop.metadata(seconds),
    model: def.name,
    backend: { name: backendName, version },
    // Drawn on the fly: every step sees new images, so the count is what the run has seen.
    data: { name: "procedural-shapes", images: loop.step * options.batchSize * 2 },
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    options: recordedOptions(options, { limit: undefined, config }),
    curve,
    teacher: teacherReport,
  });
  const draw = (seed: number) =>
    drawTextBatch(tf, def.vocabulary, config.attributeSizes, options.batchSize, seed);
  try {
    const teacherSteps = options.teacherSteps ?? TEACHER_STEPS;
    if (previous === undefined && teacherSteps > 0) {
      const began = performance.now();
      state.teacher = buildTeacher(config.attributeSizes, options.seed + 2000);
      // Negative batch seeds: never a batch the GAN steps draw.
      const { loss, heldOutAccuracy } = trainTeacher(
        tf,
        state.teacher,
        config.attributeSizes,
        { steps: teacherSteps, learningRate: TEACHER_LEARNING_RATE, batchSize: options.batchSize },
        (k) => draw(batchSeed(options.seed, -1 - k, 0)),
      );
      await state.teacher.save(fsHandler(teacherDir));
      teacherReport = {
        steps: teacherSteps,
        seconds: Math.round((performance.now() - began) / 1000),
        loss,
        heldOutAccuracy: Object.fromEntries(
          Object.keys(def.attributes).map((name, k) => [name, heldOutAccuracy[k] ?? 0]),
        ),
      };
      loop.log(
        `teacher: ${teacherSteps} supervised steps on real images, loss ${loss.toFixed(3)}, held-out accuracy ${JSON.stringify(teacherReport.heldOutAccuracy)}`,
      );
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
    state.generator.dispose();
    state.discriminator.dispose();
    state.dOptimizer.dispose();
    state.gOptimizer.dispose();
    state.teacher?.dispose();
  }
  return loop.result(meta);
}
