// `npm run bench`: every benchmark in turn, each figure printed next to a baseline measured in the same run,
// with the machine it ran on; the same Markdown is written to bench/RESULTS.md. Benchmarks, not timed tests.
// Everything runs on loopback, each stage within a time budget, and whatever a stage started is stopped in
// its finally block (and on Ctrl-C, or when the whole run passes its deadline).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { QUIET_ENV } from "@ganvas/infra";
import { selectBackend } from "../apps/gpu-worker/src/backend/select.ts";
import { benchE2e } from "./e2e.ts";
import { benchEdge } from "./edge.ts";
import { currentLoad, describeMachine, REPO_ROOT } from "./lib/machine.ts";
import { Report } from "./lib/report.ts";
import { closeAllScopes, Scope, within } from "./lib/scope.ts";
import { num } from "./lib/stats.ts";
import { benchOnnx } from "./onnx.ts";
import { benchSr } from "./sr.ts";
import { benchStyle } from "./style.ts";
import { benchTraining } from "./training.ts";
import { benchWorker } from "./worker.ts";

Object.assign(process.env, QUIET_ENV);

/** The bound is 15 minutes; past this the run stops what it started and exits non-zero. */
const DEADLINE_MS = 14 * 60_000;
const RESULTS = fileURLToPath(new URL("./RESULTS.md", import.meta.url));
const BIOME = `${REPO_ROOT}node_modules/.bin/biome`;

const began = performance.now();
const startedAt = new Date();
const report = new Report();
const stages: { name: string; seconds: number; ok: boolean }[] = [];

function preamble(status: string): string {
  const total = (performance.now() - began) / 1000;
  return (
    "# Benchmark results\n\n" +
    `Written by \`npm run bench\` (bench/run.ts) on ${startedAt.toISOString()}; the run took ${num(total, 0)} s` +
    `${status}. Every figure stands next to a baseline measured in the same run on the same machine; ` +
    "ratios are figure ÷ baseline. Loopback only. Regenerate rather than edit.\n\n"
  );
}

function finish(status: string): void {
  report.heading("Run");
  report.table(
    ["stage", "seconds", "result"],
    stages.map((s) => [s.name, num(s.seconds, 1), s.ok ? "ok" : "**failed**"]),
  );
  report.print(`Load average at the end: ${currentLoad()} (1, 5, 15 min).`);
  report.write(RESULTS, preamble(status));
  // The repository's formatter owns Markdown too (tables aligned); `npm test` checks this file with it.
  const biome = spawnSync(BIOME, ["format", "--write", RESULTS], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (biome.status !== 0)
    process.stderr.write(`[bench] biome format ${RESULTS}: ${biome.stderr || biome.error}\n`);
  process.stdout.write(`\nwrote ${RESULTS}\n`);
}

async function stage<T>(
  name: string,
  budgetMs: number,
  run: (scope: Scope) => Promise<T>,
): Promise<T | undefined> {
  const scope = new Scope(name);
  const t = performance.now();
  let ok = false;
  try {
    const value = await within(run(scope), budgetMs, name);
    ok = true;
    return value;
  } catch (err) {
    report.print(`\n**${name} failed:** ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  } finally {
    await scope.close();
    stages.push({ name, seconds: (performance.now() - t) / 1000, ok });
  }
}

let stopping = false;
async function abort(why: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stderr.write(`\n[bench] ${why}: stopping everything it started\n`);
    await closeAllScopes();
    finish(` (stopped: ${why})`);
  }
  process.exit(code);
}
process.once("SIGINT", () => void abort("interrupted", 130));
process.once("SIGTERM", () => void abort("terminated", 143));
const deadline = setTimeout(
  () => void abort(`past the ${DEADLINE_MS / 60_000} min deadline`, 1),
  DEADLINE_MS,
);

const machine = describeMachine();
const backend = await selectBackend();
report.heading("Machine");
report.table(
  ["", "this run"],
  [
    ["CPU", `${machine.cpu}, ${machine.cores} cores`],
    ["memory", `${num(machine.memoryGiB, 1)} GiB`],
    ["GPU", machine.gpu],
    ["OS", machine.os],
    ["Node.js", machine.node],
    [
      "TensorFlow.js backend",
      `${backend.name} (tfjs ${backend.version}); installed: ${machine.tfjsBackends.join(", ")}`,
    ],
    [
      "versions",
      Object.entries(machine.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ],
    ["load average at start", `${machine.loadAverage} (1, 5, 15 min)`],
  ],
  ["l", "l"],
);

await stage("generator inference per runtime (bench/onnx.ts)", 120_000, () =>
  benchOnnx({ print: report.print }),
);
await stage("super-resolution (bench/sr.ts)", 120_000, () => benchSr({ report }));
await stage("style transfer (bench/style.ts)", 120_000, () => benchStyle({ report }));
const worker = await stage("worker throughput (bench/worker.ts)", 120_000, () =>
  benchWorker({ print: report.print }),
);
await stage("edge (bench/edge.ts)", 180_000, (scope) => benchEdge({ scope, report }));
await stage("end to end (bench/e2e.ts)", 180_000, (scope) =>
  benchE2e({ scope, report, ...(worker && { isolated: worker }) }),
);
// fashion-cdcgan with its cpu baseline (~100 s), then the other trainers (~1 min, each with its own limit).
await stage("training (bench/training.ts)", 480_000, (scope) => benchTraining({ scope, report }));

clearTimeout(deadline);
const failed = stages.filter((s) => !s.ok).length;
finish(failed ? ` (${failed} stage${failed === 1 ? "" : "s"} failed)` : "");
// onnxruntime-web keeps worker threads alive; the benchmarks are done and everything they started is stopped.
process.exit(failed ? 1 : 0);
