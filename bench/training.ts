import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "@ganvas/infra";
import { REPO_ROOT } from "./lib/machine.ts";
import type { Report } from "./lib/report.ts";
import type { Scope } from "./lib/scope.ts";
import { num, times } from "./lib/stats.ts";

/**
 * Training speed of the fashion-cdcgan trainer at its shipped configuration (batch 64, one discriminator and
 * one generator update per step), with `train()` as `ganvas-worker train` runs it, on the fastest
 * TensorFlow.js backend present; baseline: the same trainer on the plain-JavaScript `cpu` backend, for as
 * few steps as give a figure. Each run is a child process with a time limit.
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
}

export interface TrainingRun {
  backend: string;
  version: string;
  steps: number;
  stepsPerSecond: number;
  /** Set when the run was stopped at its time limit. */
  stoppedAfterMs?: number;
}

const CHILD = fileURLToPath(new URL("./lib/train-child.ts", import.meta.url));

async function trainIn(
  scope: Scope,
  args: { backend?: string; steps: number; batchSize: number },
  timeoutMs: number,
): Promise<TrainingRun> {
  const dir = mkdtempSync(join(tmpdir(), "ganvas-bench-train-result-"));
  const out = join(dir, "result.json");
  const label = `trainer (${args.backend ?? "fastest backend"})`;
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
        stoppedAfterMs: performance.now() - started,
      };
    }
    if (code !== 0) throw new Error(`${label} exited ${code}:\n${child.output().slice(-2000)}`);
    const r = JSON.parse(readFileSync(out, "utf8")) as {
      stepsPerSecond: number;
      steps: number;
      backend: { name: string; version: string };
    };
    return {
      backend: r.backend.name,
      version: r.backend.version,
      steps: r.steps,
      stepsPerSecond: r.stepsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTraining(options: TrainingBenchOptions): Promise<TrainingRun[]> {
  const { scope, report } = options;
  const batchSize = options.batchSize ?? 64;
  const steps = options.steps ?? 30;
  const baselineSteps = options.baselineSteps ?? 1;
  const main = await trainIn(
    scope,
    { ...(options.backend && { backend: options.backend }), steps, batchSize },
    options.timeoutMs ?? 180_000,
  );
  const base = await trainIn(
    scope,
    { backend: options.baselineBackend ?? "cpu", steps: baselineSteps, batchSize },
    options.baselineTimeoutMs ?? 240_000,
  );
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
  return [main, base];
}
