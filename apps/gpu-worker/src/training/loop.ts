import type { Tf } from "../backend/select.ts";
import { readMetadata, type TrainingMetadata } from "./checkpoint.ts";
import { createProgress, type Progress } from "./progress.ts";

/** The options every trainer takes. */
export interface TrainerOptions {
  batchSize: number;
  seed: number;
  /** What ships: the generator, its metadata and sample grid. */
  outDir: string;
  /** Discriminator and optimizer state, needed only to resume; not shipped. */
  stateDir: string;
  resume: boolean;
  /** Use only the first N training items (quick runs, tests). */
  limit?: number;
  backend?: string;
  /** Sample grids; off saves a few seconds in tests. */
  samples?: boolean;
  /** Where progress goes (default stderr); false for none. */
  progress?: NodeJS.WriteStream | false;
}

export interface TrainResult<M extends TrainingMetadata = TrainingMetadata> {
  metadata: M;
  stepsPerSecond: number;
}

/** The metadata a `--resume` run continues from; undefined for a fresh run. */
export async function resumeFrom<M extends TrainingMetadata = TrainingMetadata>(
  options: Pick<TrainerOptions, "resume" | "outDir">,
): Promise<M | undefined> {
  if (!options.resume) return undefined;
  const previous = await readMetadata(options.outDir);
  if (previous === undefined) {
    throw new Error(`Nothing to resume in ${options.outDir}: run without --resume to start fresh.`);
  }
  return previous as M;
}

/** A trainer's options as its metadata records them, with `extra` (the resolved config, …) on top. */
export function recordedOptions(
  options: TrainerOptions,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  // The state dir and the progress stream belong to this machine and session, not to the trained model.
  return { ...options, stateDir: undefined, progress: undefined, ...extra };
}

/** The D and G totals of a step: what the progress line shows and metadata's lastLosses keeps. */
export interface LossTotals {
  d: number;
  g: number;
}

export interface LoopOptions<L> {
  tf: Tf;
  previous: TrainingMetadata | undefined;
  /** The losses to report until the first step: a resumed run's last ones, or null. */
  losses: L | null;
  totals: (losses: L) => LossTotals;
  totalSteps: number;
  /** Also the checkpoint interval: every trainer checkpoints once an epoch and at the end. */
  stepsPerEpoch: number;
  progress: TrainerOptions["progress"];
  header: string;
  /** What the non-finite-loss error tells the user to do. */
  advice: string;
}

export interface LoopSteps<L> {
  /**
   * One training step. `step` counts the steps done before it, over resumed sessions too, so batches drawn
   * from it are the ones an unbroken run would draw.
   */
  step: (step: number) => L;
  /** After each step that passed the checks (a snapshot, say), before any checkpoint. */
  afterStep?: (step: number) => Promise<void>;
  checkpoint: () => Promise<void>;
}

/**
 * The step loop the trainers share: the step count and training clock carried across resumes, the checks
 * that stop a run going bad (non-finite losses, leaked tensors), progress, and a checkpoint every epoch.
 */
export class TrainingLoop<L> {
  readonly started: string;
  #step: number;
  #losses: L | null;
  #baseline: number | undefined;
  readonly #first: number;
  readonly #previousSeconds: number;
  readonly #progress: Progress;
  readonly #began: number;
  readonly #options: LoopOptions<L>;

  constructor(options: LoopOptions<L>) {
    this.#options = options;
    const { previous } = options;
    this.started = previous?.started ?? new Date().toISOString();
    this.#first = previous?.step ?? 0;
    this.#step = this.#first;
    this.#losses = options.losses;
    this.#previousSeconds = previous?.trainingSeconds ?? 0;
    this.#progress = createProgress(options.totalSteps, this.#first, options.progress);
    this.#progress.log(options.header);
    this.#began = performance.now();
  }

  /** Steps done, resumed sessions included. */
  get step(): number {
    return this.#step;
  }

  /** The epoch the current step falls in, so a run that stops mid-epoch reports the epoch it reached. */
  get epoch(): number {
    return Math.ceil(this.#step / this.#options.stepsPerEpoch);
  }

  get losses(): L | null {
    return this.#losses;
  }

  readonly log = (line: string): void => this.#progress.log(line);

  /** This session only: what stepsPerSecond divides by. */
  seconds(): number {
    return (performance.now() - this.#began) / 1000;
  }

  /** Summed over resumed sessions, so a resumed model's cost reads as if it had trained unbroken. */
  trainingSeconds(seconds = this.seconds()): number {
    return Math.round(this.#previousSeconds + seconds);
  }

  /** Adam creates its moment variables on an optimizer's first step: the next step takes a new baseline. */
  resetLeakBaseline(): void {
    this.#baseline = undefined;
  }

  /** The metadata fields every trainer writes; a trainer adds what describes its model and data. */
  metadata(
    seconds = this.seconds(),
  ): Omit<TrainingMetadata, "model" | "backend" | "data" | "params" | "options"> {
    const { totalSteps, stepsPerEpoch, totals } = this.#options;
    const step = this.#step;
    return {
      epoch: this.epoch,
      totalEpochs: Math.ceil(totalSteps / stepsPerEpoch),
      step,
      totalSteps,
      stepsPerEpoch,
      completed: step >= totalSteps,
      started: this.started,
      updated: new Date().toISOString(),
      trainingSeconds: this.trainingSeconds(seconds),
      lastLosses: this.#losses === null ? null : totals(this.#losses),
    };
  }

  async run({ step: trainStep, afterStep, checkpoint }: LoopSteps<L>): Promise<void> {
    const { tf, totals, totalSteps, stepsPerEpoch, advice } = this.#options;
    while (this.#step < totalSteps) {
      const losses = trainStep(this.#step);
      const step = ++this.#step;
      this.#losses = losses;
      const { d, g } = totals(losses);
      if (!Number.isFinite(d) || !Number.isFinite(g)) {
        throw new Error(`Losses became non-finite at step ${step}: ${advice}`);
      }
      // The first step (and any after resetLeakBaseline) sets the count; from then on it must stay flat.
      const tensors = tf.memory().numTensors;
      this.#baseline ??= tensors;
      if (tensors > this.#baseline) {
        throw new Error(`Tensor leak: ${tensors - this.#baseline} tensors after step ${step}.`);
      }
      this.#progress.update(step, { epoch: this.epoch, d, g });
      await afterStep?.(step);
      if (step % stepsPerEpoch === 0 || step === totalSteps) await checkpoint();
    }
  }

  stop(): void {
    this.#progress.stop();
  }

  /** `metadata` taken once more at the end, so the returned copy counts the last checkpoint's time too. */
  result<M extends TrainingMetadata>(metadata: (seconds: number) => M): TrainResult<M> {
    const seconds = this.seconds();
    return { metadata: metadata(seconds), stepsPerSecond: (this.#step - this.#first) / seconds };
  }
}
