import { availableParallelism, cpus } from "node:os";
import type { JobSpec } from "@ganvas/shared";
import { selectBackend } from "../apps/gpu-worker/src/backend/select.ts";
import { DEFAULT_MODELS_DIR } from "../apps/gpu-worker/src/runtime/config.ts";
import { createRunner } from "../apps/gpu-worker/src/runtime/runners.ts";
import { median } from "./lib/stats.ts";

/**
 * Worker throughput by batch size: images/s when the job loop hands the runner 1, 8 or 32 one-image jobs
 * per generator call (what GANVAS_BATCH_MAX allows), on this machine's backend and serving runtime. Measures
 * the worker's own work per batch — noise, generator, PNG encoding, per-job split — not S3 or webhooks.
 */
export interface WorkerBenchOptions {
  batches?: readonly number[];
  rounds?: number;
  /** Time spent per batch size and round. */
  roundMs?: number;
  /** Force a TensorFlow.js backend (default: GANVAS_BACKEND, else the fastest present). */
  backend?: string;
  /** Force a serving runtime (default: GANVAS_SERVING_RUNTIME, else the fastest present). */
  runtime?: string;
  print?: (line: string) => void;
}

export interface WorkerBenchRow {
  batch: number;
  msPerBatch: number;
  imagesPerSecond: number;
  vsBatch1: number;
}

const PROMPTS = [
  "a t-shirt",
  "a trouser",
  "a pullover",
  "a dress",
  "a coat",
  "a sandal",
  "a shirt",
  "a sneaker",
];

function jobs(batch: number, round: number): JobSpec[] {
  return Array.from({ length: batch }, (_, i) => ({
    task: "text-to-image",
    model: "fashion-cdcgan@1",
    params: { prompt: PROMPTS[i % PROMPTS.length], n: 1, seed: round * 1000 + i },
    input: null,
  }));
}

/**
 * Runs the table for the serving runtime the worker would pick, and again on TensorFlow.js if that pick was
 * another runtime (TensorFlow.js is where batching matters most on a CPU). Returns the rows per runtime.
 */
export async function benchWorker(
  options: WorkerBenchOptions = {},
): Promise<Record<string, WorkerBenchRow[]>> {
  const out: Record<string, WorkerBenchRow[]> = {};
  const first = await benchWorkerOn(options);
  out[first.runtime] = first.rows;
  if (first.runtime !== "tfjs" && options.runtime === undefined) {
    out.tfjs = (await benchWorkerOn({ ...options, runtime: "tfjs" })).rows;
  }
  return out;
}

async function benchWorkerOn(
  options: WorkerBenchOptions,
): Promise<{ runtime: string; rows: WorkerBenchRow[] }> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const batches = options.batches ?? [1, 8, 32];
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 500;
  const backend = await selectBackend(options.backend);
  let runtime = options.runtime ?? "unknown";
  const runner = createRunner(DEFAULT_MODELS_DIR, backend.name, {
    ...(options.runtime && { runtime: options.runtime }),
    // The serving layer says which runtime it picked; nothing else of its log is wanted here.
    log: (_level, message, fields) => {
      const picked = (fields as { runtime?: unknown } | undefined)?.runtime;
      if (message === "serving runtime selected" && typeof picked === "string") runtime = picked;
    },
  });
  for (const b of batches) for (let i = 0; i < 3; i++) await runner.runBatch(jobs(b, i));

  const samples = new Map<number, number[]>(batches.map((b) => [b, []]));
  // Rounds interleave the batch sizes, so a busy neighbour slows all of them alike.
  for (let round = 0; round < rounds; round++) {
    for (const b of batches) {
      const specs = jobs(b, round);
      const start = performance.now();
      let calls = 0;
      while (performance.now() - start < roundMs || calls < 3) {
        const out = await runner.runBatch(specs);
        if (out.length !== b) throw new Error(`runner returned ${out.length} results for ${b} jobs`);
        calls++;
      }
      samples.get(b)?.push((performance.now() - start) / calls);
    }
  }
  const rows = batches.map((batch) => {
    const ms = median(samples.get(batch) ?? []);
    return { batch, msPerBatch: ms, imagesPerSecond: (batch * 1000) / ms, vsBatch1: 0 };
  });
  const base = rows.find((r) => r.batch === 1)?.imagesPerSecond ?? rows[0]?.imagesPerSecond ?? 1;
  for (const r of rows) r.vsBatch1 = r.imagesPerSecond / base;

  print("\n## Worker throughput by batch size — fashion-cdcgan@1, one 28×28 image per job");
  print(
    `${cpus()[0]?.model ?? "cpu"}, ${availableParallelism()} cores; TensorFlow.js backend ${backend.name} ` +
      `(tfjs ${backend.version}), serving runtime: ${runtime}; median of ${rounds} interleaved rounds of ` +
      `≥${roundMs} ms; runner.runBatch (noise, generator, PNG encoding), no S3`,
  );
  print("| batch | ms / batch | images/s | × batch 1 |");
  print("| ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    print(
      `| ${r.batch} | ${r.msPerBatch.toFixed(2)} | ${r.imagesPerSecond.toFixed(0)} | ${r.vsBatch1.toFixed(2)}× |`,
    );
  }
  return { runtime, rows };
}
