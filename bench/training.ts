import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "@ganvas/infra";
import { shippedModel, type Task } from "@ganvas/shared";
import { MODELS } from "../apps/gpu-worker/src/models/registry.ts";
import { DEFAULT_MODELS_DIR } from "../apps/gpu-worker/src/runtime/config.ts";
import { EMOJI_SIZE } from "../apps/gpu-worker/src/style/emoji-data.ts";
import { REPO_ROOT } from "./lib/machine.ts";
import type { Report } from "./lib/report.ts";
import type { Scope } from "./lib/scope.ts";
import { num, times } from "./lib/stats.ts";
import type { TrainChildArgs, TrainChildResult } from "./lib/train-child.ts";

/**
 * Training speed of the fashion-cdcgan trainer at its shipped configuration (batch 64, one discriminator and
 * one generator update per step), with `train()` as `ganvas-worker train` runs it, on the fastest
 * TensorFlow.js backend present; baseline: the same trainer on the plain-JavaScript `cpu` backend, for as
 * few steps as give a figure. Then every other trainer at the configuration its shipped model was trained
 * with (see benchTrainers). Each run is a child process with a time limit.
 */
export interface TrainingBenchOptions {
  scope: Scope;
  report: Report;
  steps?: number;
  baselineSteps?: number;
  batchSize?: number;
  /** Backend of the measured run (default: GANVAS_BACKEND, else the fastest present). */
  backend?: string;
  baselineBackend?: string;
  timeoutMs?: number;
  baselineTimeoutMs?: number;
  /** Skip the cpu-backend baseline run (quick runs of the per-trainer table). */
  skipCpuBaseline?: boolean;
  /** Skip the per-trainer table. */
  skipTrainers?: boolean;
  /** Time limit of each per-trainer run; default 90 s. */
  trainerTimeoutMs?: number;
  modelsDir?: string;
}

export interface TrainingRun {
  backend: string;
  version: string;
  steps: number;
  stepsPerSecond: number;
  /** Steps/s after the warm-up steps only (see train-child.ts); NaN when the run was stopped. */
  timedStepsPerSecond: number;
  timedSteps: number;
  /** Set when the run was stopped at its time limit. */
  stoppedAfterMs?: number;
}

/** Steps of the fashion-cdcgan run left out of its timed window (the per-trainer table's baseline). */
const FASHION_WARMUP = 2;

const CHILD = fileURLToPath(new URL("./lib/train-child.ts", import.meta.url));

async function trainIn(scope: Scope, args: TrainChildArgs, timeoutMs: number): Promise<TrainingRun> {
  const dir = mkdtempSync(join(tmpdir(), "ganvas-bench-train-result-"));
  const out = join(dir, "result.json");
  const label = `${args.trainer}${args.variant ? ` ${args.variant}` : ""} trainer (${args.backend ?? "fastest backend"})`;
  const child = scope.add(
    label,
    startProcess(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(args), out], {
      cwd: REPO_ROOT,
      name: label,
    }),
    (p) => p.stop(2000),
  );
  const started = performance.now();
  try {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      new Promise<number | null>((resolve) => {
        if (child.child.exitCode !== null) resolve(child.child.exitCode);
        else child.child.once("exit", (c) => resolve(c));
      }),
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (code === "timeout") {
      // Too slow to finish in its budget: stop it, and report the bound that the time spent gives.
      await child.stop(2000);
      return {
        backend: args.backend ?? "?",
        version: "",
        steps: 0,
        stepsPerSecond: args.steps / ((performance.now() - started) / 1000),
        timedStepsPerSecond: Number.NaN,
        timedSteps: 0,
        stoppedAfterMs: performance.now() - started,
      };
    }
    if (code !== 0) throw new Error(`${label} exited ${code}:\n${child.output().slice(-2000)}`);
    const r = JSON.parse(readFileSync(out, "utf8")) as TrainChildResult;
    return {
      backend: r.backend.name,
      version: r.backend.version,
      steps: r.steps,
      stepsPerSecond: r.stepsPerSecond,
      timedStepsPerSecond: r.timedStepsPerSecond ?? Number.NaN,
      timedSteps: r.timedSteps,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `options` of a shipped model's metadata.json; undefined when the model is not shipped there. */
function shippedOptions(modelsDir: string, model: string): Record<string, unknown> | undefined {
  const metadata = join(modelsDir, model, "metadata.json");
  if (!existsSync(metadata)) return undefined;
  return (JSON.parse(readFileSync(metadata, "utf8")) as { options?: Record<string, unknown> }).options ?? {};
}

export async function benchTraining(options: TrainingBenchOptions): Promise<TrainingRun[]> {
  const { scope, report } = options;
  const batchSize = options.batchSize ?? 64;
  const steps = options.steps ?? 30;
  const baselineSteps = options.baselineSteps ?? 1;
  // The default version's discriminator (ACGAN head, projection) as it was trained; both runs use it.
  const shipped =
    shippedOptions(
      options.modelsDir ?? DEFAULT_MODELS_DIR,
      join("text-to-image", "fashion-cdcgan", newest("text-to-image", "fashion-cdcgan")),
    ) ?? {};
  const main = await trainIn(
    scope,
    {
      trainer: "fashion-cdcgan",
      ...(options.backend && { backend: options.backend }),
      steps,
      warmup: FASHION_WARMUP,
      batchSize,
      shipped,
    },
    options.timeoutMs ?? 180_000,
  );
  const runs = [main];
  if (!options.skipCpuBaseline) {
    const base = await trainIn(
      scope,
      {
        trainer: "fashion-cdcgan",
        backend: options.baselineBackend ?? "cpu",
        // Only train()'s own figure is used here: no warm-up window (too slow a backend for one).
        steps: baselineSteps,
        warmup: 0,
        batchSize,
        shipped,
      },
      options.baselineTimeoutMs ?? 240_000,
    );
    runs.push(base);
    fashionTable(report, batchSize, baselineSteps, main, base);
  }
  if (!options.skipTrainers) await benchTrainers(options, main, batchSize);
  return runs;
}

function fashionTable(
  report: Report,
  batchSize: number,
  baselineSteps: number,
  main: TrainingRun,
  base: TrainingRun,
): void {
  const ratio = (r: TrainingRun) => {
    if (r === base) return "1×";
    const x = times(r.stepsPerSecond / base.stepsPerSecond, 1);
    return base.stoppedAfterMs ? `> ${x}` : x;
  };
  const row = (label: string, r: TrainingRun) => [
    label,
    `${r.backend}${r.version ? ` (tfjs ${r.version})` : ""}`,
    r.stoppedAfterMs ? `stopped after ${Math.round(r.stoppedAfterMs / 1000)} s` : String(r.steps),
    r.stoppedAfterMs ? `< ${num(r.stepsPerSecond, 3)}` : num(r.stepsPerSecond, 3),
    r.stoppedAfterMs ? `> ${num(1 / r.stepsPerSecond, 1)}` : num(1 / r.stepsPerSecond, 2),
    ratio(r),
  ];
  report.heading("Training: fashion-cdcgan at its shipped configuration");
  report.note(
    `\`train()\` (what \`ganvas-worker train\` runs) at batch ${batchSize}: each step one discriminator and ` +
      `one generator update with Adam. steps/s as train() reports it: from the first step to the end of ` +
      `the run, including the first step's warm-up and the closing checkpoint save (no sample grid). ` +
      `Baseline: the same trainer on TensorFlow.js's plain-JavaScript cpu backend, ${baselineSteps} ` +
      `step${baselineSteps === 1 ? "" : "s"}. Each run in a child process of its own.`,
  );
  report.table(
    ["run", "backend", "steps", "steps/s", "s / step", "× baseline"],
    [row("fastest backend present", main), row("baseline: cpu backend", base)],
    ["l", "l", "r", "r", "r", "r"],
  );
}

/** One trainer of the per-trainer table and where its shipped model and its training data live. */
interface TrainerCase {
  label: string;
  args: Omit<TrainChildArgs, "batchSize" | "shipped" | "backend">;
  /** The shipped model's folder (its metadata.json), under the models folder. */
  model: string;
  /** Training data the trainer reads, relative to the repository, and how to get it. */
  data?: { dir: string; setup: string };
  /** Side of one training image (or patch) in pixels, from the shipped options. */
  side: (shipped: Record<string, unknown>) => number;
}

/** The version folder a request naming the model alone gets: the catalog's newest. */
const newest = (task: Task, name: string) => String(shippedModel(task, name).version);

/** Steps chosen so each run takes about 5–15 s after its warm-up on two busy cores. */
const TRAINERS: readonly TrainerCase[] = [
  {
    label: "pix2pix-train noto-emoji",
    args: { trainer: "pix2pix", variant: "noto-emoji", steps: 8, warmup: 2 },
    model: join("style-transfer", "pix2pix", "1", "noto-emoji"),
    side: () => EMOJI_SIZE,
  },
  {
    label: "cyclegan-train starry-night",
    args: { trainer: "cyclegan", variant: "starry-night", steps: 4, warmup: 1 },
    model: join("style-transfer", "cyclegan", newest("style-transfer", "cyclegan"), "starry-night"),
    data: { dir: join(".ganvas", "data", "style", "photos"), setup: "infra/setup/style-data.sh" },
    side: (o) => Number(o.crop ?? 64),
  },
  {
    label: "sr-train sr-x2",
    args: { trainer: "sr", variant: "sr-x2", steps: 5, warmup: 1 },
    model: join("super-resolution", "srgan", newest("super-resolution", "srgan"), "x2"),
    data: { dir: join(".ganvas", "data", "sr", "train"), setup: "infra/setup/sr-data.sh" },
    side: (o) => Number(o.patchSize ?? 64),
  },
  {
    label: "sr-train sr-x4",
    args: { trainer: "sr", variant: "sr-x4", steps: 5, warmup: 1 },
    model: join("super-resolution", "srgan", newest("super-resolution", "srgan"), "x4"),
    data: { dir: join(".ganvas", "data", "sr", "train"), setup: "infra/setup/sr-data.sh" },
    side: (o) => Number(o.patchSize ?? 96),
  },
  {
    label: "train --model shapes-tcgan",
    args: { trainer: "shapes-tcgan", steps: 8, warmup: 2 },
    model: join("text-to-image", "shapes-tcgan", newest("text-to-image", "shapes-tcgan")),
    side: () => MODELS["shapes-tcgan"].output.width,
  },
];

/**
 * Steps/s of every trainer at the configuration its shipped model states in metadata.json (batch size, crop
 * or patch side, network widths), on the fastest backend, each in a child process with a time limit; a
 * trainer whose shipped model or training data is absent is skipped and says so.
 *
 * Baseline: the fashion-cdcgan trainer's own steps/s measured in this run (the run of the table above, timed
 * the same way). The cpu backend, fashion-cdcgan's baseline, would take minutes per step of these larger
 * networks; the cdcgan figure is a same-run, same-backend reference that moves with the machine and its
 * load exactly as the others do, so the ratios stay comparable between runs where the raw figures do not.
 * Images/s and pixels/s (batch × image side² × steps/s) are given too, so trainers of different image sizes
 * can be compared by throughput.
 */
async function benchTrainers(
  options: TrainingBenchOptions,
  fashion: TrainingRun,
  fashionBatch: number,
): Promise<void> {
  const { scope, report } = options;
  const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
  const timeoutMs = options.trainerTimeoutMs ?? 90_000;
  const fashionSide = MODELS["fashion-cdcgan"].output.width;
  const rows: string[][] = [];
  const failures: string[] = [];
  const base = fashion.timedStepsPerSecond;
  const row = (label: string, config: string, run: TrainingRun, batch: number, side: number) => {
    if (run.stoppedAfterMs) {
      const bound = run.stepsPerSecond;
      return [
        label,
        config,
        `stopped after ${Math.round(run.stoppedAfterMs / 1000)} s`,
        `< ${num(bound, 3)}`,
        `> ${num(1 / bound, 2)}`,
        `< ${num(bound * batch, 1)}`,
        `< ${num(bound * batch * side * side, 0)}`,
        `< ${times(bound / base, 2)}`,
      ];
    }
    const sps = run.timedStepsPerSecond;
    return [
      label,
      config,
      String(run.timedSteps),
      num(sps, 3),
      num(1 / sps, 2),
      num(sps * batch, 1),
      num(sps * batch * side * side, 0),
      run === fashion ? "1×" : times(sps / base, 2),
    ];
  };
  const note = (label: string, config: string, text: string) => [label, config, text, "", "", "", "", ""];
  for (const t of TRAINERS) {
    const shipped = shippedOptions(modelsDir, t.model);
    if (shipped === undefined) {
      rows.push(note(t.label, "", `skipped: no shipped model (models/${t.model})`));
      continue;
    }
    const batchSize = Number(shipped.batchSize ?? 1);
    const side = t.side(shipped);
    const config = `batch ${batchSize} × ${side}×${side} px`;
    if (t.data && !existsSync(join(REPO_ROOT, t.data.dir))) {
      rows.push(note(t.label, config, `skipped: no training data (${t.data.setup})`));
      continue;
    }
    try {
      const run = await trainIn(
        scope,
        { ...t.args, ...(options.backend && { backend: options.backend }), batchSize, shipped },
        timeoutMs,
      );
      rows.push(row(t.label, config, run, batchSize, side));
    } catch (err) {
      failures.push(`${t.label}: ${err instanceof Error ? err.message : String(err)}`);
      rows.push(note(t.label, config, "**failed**"));
    }
  }
  report.heading("Training: steps/s per trainer at its shipped configuration");
  report.note(
    "Each trainer's own loop (what its `ganvas-worker` command runs) at the batch size, image or patch side " +
      "and network widths its shipped model's metadata.json records, on the fastest TensorFlow.js backend " +
      `(${fashion.backend} here), one child process each, outputs in a temporary folder, no sample grids. ` +
      "steps/s is timed from the end of the warm-up steps to the end of the last step (data loading, warm-up " +
      "and the closing checkpoint excluded). Baseline: the fashion-cdcgan trainer's steps/s from the run " +
      `above (batch ${fashionBatch}, timed the same way, after ${FASHION_WARMUP} warm-up steps); ratio: ` +
      "steps/s ÷ baseline. pix2pix: one generator + one discriminator update (L1 + adversarial); cyclegan: " +
      "two generators + two discriminators (low-poly has the same configuration as starry-night); sr: a " +
      "content (phase 1) step, the shipped models' only phase; shapes-tcgan: a text-conditioned GAN step " +
      "(its one-off attribute-head warm-up not run).",
  );
  report.table(
    [
      "trainer",
      "shipped configuration",
      "timed steps",
      "steps/s",
      "s / step",
      "images/s",
      "pixels/s",
      "× baseline",
    ],
    [
      ...rows,
      row(
        "baseline: fashion-cdcgan train",
        `batch ${fashionBatch} × ${fashionSide}×${fashionSide} px`,
        fashion,
        fashionBatch,
        fashionSide,
      ),
    ],
    ["l", "l", "r", "r", "r", "r", "r", "r"],
  );
  if (failures.length > 0) throw new Error(failures.join("\n"));
}
