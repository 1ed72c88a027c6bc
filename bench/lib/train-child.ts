// Child process of bench/training.ts: one trainer run, its figures written as JSON to the file named in
// argv[3]. A process of its own per run, so a slow one can be stopped at its time limit and no TensorFlow.js
// state is shared with the parent or the other runs. Every output goes to a temporary folder, removed here.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SrModelName } from "../../apps/gpu-worker/src/sr/model.ts";
import { trainSr } from "../../apps/gpu-worker/src/sr/train.ts";
import { CYCLEGAN_DEFAULTS, trainCycleGan } from "../../apps/gpu-worker/src/style/cyclegan-train.ts";
import type { UnpairedStyle } from "../../apps/gpu-worker/src/style/photo-data.ts";
import {
  type PairedStyle,
  PIX2PIX_DEFAULTS,
  trainPix2Pix,
} from "../../apps/gpu-worker/src/style/pix2pix-train.ts";
import { type TrainOptions, train } from "../../apps/gpu-worker/src/training/run.ts";

/** What the parent asks for; `shipped` is the `options` object of the shipped model's metadata.json. */
export interface TrainChildArgs {
  trainer: "fashion-cdcgan" | "shapes-tcgan" | "pix2pix" | "cyclegan" | "sr";
  /** pix2pix / cyclegan: the style; sr: the model (sr-x2, sr-x4). */
  variant?: string;
  backend?: string;
  /** Steps in all, the warm-up ones included. */
  steps: number;
  /** Steps excluded from the timed window (kernels compiled, Adam's moments created); 0: no timed window. */
  warmup: number;
  batchSize: number;
  shipped?: Record<string, unknown>;
}

export interface TrainChildResult {
  /** As the trainer reports it: all its steps, from the first to the end of the run (closing checkpoint). */
  stepsPerSecond: number;
  /** The steps after the warm-up only, end of step `warmup` to end of the last step; null without a window. */
  timedStepsPerSecond: number | null;
  timedSteps: number;
  steps: number;
  backend: { name: string; version: string };
}

/**
 * The trainers' progress stream, as a pipe sees it: with fewer than 40 steps they write one `step N/…` line
 * per step, right after the step's losses are read back (so the step is done). Each line is timestamped.
 */
function stepClock(): { stream: NodeJS.WriteStream; at: Map<number, number> } {
  const at = new Map<number, number>();
  const stream = {
    isTTY: false,
    write(chunk: string | Uint8Array) {
      const m = /^step (\d+)\//m.exec(String(chunk));
      if (m) at.set(Number(m[1]), performance.now());
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, at };
}

const [, , argJson, outFile] = process.argv;
if (!argJson || !outFile) throw new Error("usage: train-child.ts <options json> <result file>");
const args = JSON.parse(argJson) as TrainChildArgs;
if (args.steps > 39 || args.warmup < 0 || (args.warmup > 0 && args.warmup >= args.steps))
  throw new Error("steps must be at most 39 (one progress line per step) and more than warmup");
const dir = mkdtempSync(join(tmpdir(), "ganvas-bench-train-"));
const shipped = args.shipped ?? {};
const pick = <T>(key: string, fallback: T): T => (shipped[key] ?? fallback) as T;
const shippedConfig = (shipped.config ?? {}) as { auxWeight?: number; conditioning?: string };
const common = {
  seed: 1,
  outDir: join(dir, "out"),
  stateDir: join(dir, "state"),
  resume: false,
  backend: args.backend,
  samples: false,
};
try {
  const clock = stepClock();
  let result: {
    metadata: { step: number; backend: { name: string; version: string } };
    stepsPerSecond: number;
  };
  switch (args.trainer) {
    case "fashion-cdcgan":
    case "shapes-tcgan":
      result = await train({
        ...common,
        model: args.trainer,
        epochs: 1,
        steps: args.steps,
        batchSize: args.batchSize,
        // Only as many images as the steps use: loading is not timed, and a step costs the same either way.
        limit: args.steps * args.batchSize,
        // shapes-tcgan's one-off attribute-head warm-up before step 1 is not a training step.
        warmupSteps: 0,
        // The shipped discriminator as its config resolved it (a resumed run's flags do not repeat it): the
        // class models' ACGAN head or projection, shapes-tcgan's attribute loss weight and mode-seeking term.
        auxWeight: pick<number | undefined>("auxWeight", shippedConfig.auxWeight),
        projection: shippedConfig.conditioning === "projection",
        modeSeekingWeight: pick<number | undefined>("modeSeekingWeight", undefined),
        // The shipped generator's options, and its text encoders frozen as the shipped run froze them (one
        // pretraining step does that; pretraining is one-off, before step 1, and not a training step).
        generator: pick<TrainOptions["generator"]>("generator", undefined),
        encoderPretrainSteps: Math.min(1, pick("encoderPretrainSteps", 0)),
        progress: clock.stream,
      });
      break;
    case "pix2pix":
      result = await trainPix2Pix({
        ...common,
        ...PIX2PIX_DEFAULTS,
        style: (args.variant ?? "noto-emoji") as PairedStyle,
        learningRate: pick("learningRate", PIX2PIX_DEFAULTS.learningRate),
        lambda: pick("lambda", PIX2PIX_DEFAULTS.lambda),
        strippedShare: pick("strippedShare", PIX2PIX_DEFAULTS.strippedShare),
        config: pick("config", PIX2PIX_DEFAULTS.config),
        batchSize: args.batchSize,
        // One epoch of exactly `steps` steps: as many training pairs as that takes (and as many held out,
        // scored once after the last step, outside the timed window).
        epochs: 1,
        limit: args.steps * args.batchSize,
        card: false,
        progress: clock.stream,
      });
      break;
    case "cyclegan":
      result = await trainCycleGan({
        ...common,
        ...CYCLEGAN_DEFAULTS,
        style: (args.variant ?? "starry-night") as UnpairedStyle,
        crop: pick("crop", CYCLEGAN_DEFAULTS.crop),
        shortSide: pick("shortSide", CYCLEGAN_DEFAULTS.shortSide),
        weights: pick("weights", CYCLEGAN_DEFAULTS.weights),
        poolSize: pick("poolSize", CYCLEGAN_DEFAULTS.poolSize),
        config: pick("config", CYCLEGAN_DEFAULTS.config),
        batchSize: args.batchSize,
        steps: args.steps,
        // A few photos and style images: crops are drawn at random, so a step costs the same; loading less
        // only shortens the untimed start.
        limit: 4,
        progress: clock.stream,
      });
      break;
    case "sr":
      result = await trainSr({
        ...common,
        model: (args.variant ?? "sr-x4") as SrModelName,
        // The shipped models are content-only (phase 1): every step is a content step.
        pretrainSteps: args.steps,
        ganSteps: 0,
        batchSize: args.batchSize,
        patchSize: pick<number | undefined>("patchSize", undefined),
        learningRate: pick("learningRate", 2e-4),
        advWeight: pick("advWeight", 0.005),
        minPatchStd: pick("minPatchStd", 8),
        checkpointEvery: args.steps,
        // Patches are drawn at random from the photos: two of them make the same steps, loaded faster.
        limit: 2,
        progress: clock.stream,
      });
      break;
  }
  const t0 = clock.at.get(args.warmup);
  const t1 = clock.at.get(args.steps);
  if (args.warmup > 0 && (t0 === undefined || t1 === undefined))
    throw new Error("the trainer wrote no per-step progress lines");
  const timedSteps = args.warmup > 0 ? args.steps - args.warmup : 0;
  const out: TrainChildResult = {
    stepsPerSecond: result.stepsPerSecond,
    timedStepsPerSecond:
      t0 !== undefined && t1 !== undefined && timedSteps > 0 ? timedSteps / ((t1 - t0) / 1000) : null,
    timedSteps,
    steps: result.metadata.step,
    backend: result.metadata.backend,
  };
  writeFileSync(outFile, JSON.stringify(out));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
