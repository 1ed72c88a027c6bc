import { availableParallelism, cpus } from "node:os";
import { join, relative } from "node:path";
import { selectBackend } from "../apps/gpu-worker/src/backend/select.ts";
import { onnxForSource, readGeneratorSource } from "../apps/gpu-worker/src/onnx/files.ts";
import { DEFAULT_MODELS_DIR } from "../apps/gpu-worker/src/runtime/config.ts";
import { loadServedGenerator, type ServedGenerator } from "../apps/gpu-worker/src/serving/load.ts";
import { onnxGenerator, webThreads } from "../apps/gpu-worker/src/serving/onnx.ts";
import type { ServingRuntime } from "../apps/gpu-worker/src/serving/runtimes.ts";
import { median } from "./lib/stats.ts";
import { benchBrowser } from "./onnx-browser.ts";

/**
 * Images/s of one generator on each serving runtime, side by side in one process: TensorFlow.js on its wasm
 * backend (the CPU fallback, with the worker's own kernels), the ONNX export on onnxruntime-node, and on
 * onnxruntime-web (wasm). Rounds interleave the runtimes so a busy neighbour slows all of them alike.
 */
export interface OnnxBenchOptions {
  modelDir?: string;
  batches?: readonly number[];
  rounds?: number;
  /** Time spent per runtime, batch and round. */
  roundMs?: number;
  print?: (line: string) => void;
}

export interface OnnxBenchRow {
  runtime: string;
  batch: number;
  msPerBatch: number;
  imagesPerSecond: number;
  vsTfjsWasm: number;
}

const RUNTIMES: readonly { label: string; runtime: ServingRuntime }[] = [
  { label: "tfjs-wasm", runtime: "tfjs" },
  { label: "onnxruntime-node", runtime: "onnxruntime-node" },
  { label: "onnxruntime-web", runtime: "onnxruntime-web" },
];

const ONE_THREAD = "onnxruntime-node, 1 thread";

function inputs(g: ServedGenerator, batch: number): [Float32Array, Float32Array] {
  const noise = Float32Array.from({ length: batch * g.latentDim }, (_, i) => Math.sin(i * 12.9898) * 1.5);
  const labels = new Float32Array(batch * g.numClasses);
  for (let r = 0; r < batch; r++) labels[r * g.numClasses + (r % g.numClasses)] = 1;
  return [noise, labels];
}

export async function benchOnnx(options: OnnxBenchOptions = {}): Promise<OnnxBenchRow[]> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = options.modelDir ?? join(DEFAULT_MODELS_DIR, "text-to-image", "fashion-cdcgan", "1");
  const batches = options.batches ?? [1, 64];
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 400;
  await selectBackend("wasm");
  const generators = new Map<string, ServedGenerator>();
  for (const { label, runtime } of RUNTIMES)
    generators.set(label, await loadServedGenerator(dir, { runtime }));
  // Per-core efficiency, and what one of several worker processes on a host gets.
  const { bytes } = await onnxForSource(await readGeneratorSource(dir));
  const oneThread = await onnxGenerator(bytes, "onnxruntime-node", { threads: 1 });
  generators.set(ONE_THREAD, { ...oneThread, runtime: "onnxruntime-node" });

  print(`\n## Generator inference per serving runtime — ${relative(process.cwd(), dir) || dir}`);
  print(
    `${cpus()[0]?.model ?? "cpu"}, ${availableParallelism()} cores; onnxruntime-web threads ${webThreads()}; ` +
      `median of ${rounds} interleaved rounds of ≥${roundMs} ms; generator call only (noise and PNG excluded)`,
  );
  const rows: OnnxBenchRow[] = [];
  for (const batch of batches) {
    const samples = new Map<string, number[]>();
    const feeds = new Map<string, [Float32Array, Float32Array]>();
    for (const [label, g] of generators) {
      feeds.set(label, inputs(g, batch));
      samples.set(label, []);
      for (let i = 0; i < 3; i++) await g.predict(...(feeds.get(label) ?? inputs(g, batch)), batch);
    }
    for (let round = 0; round < rounds; round++) {
      for (const [label, g] of generators) {
        const [noise, labels] = feeds.get(label) ?? inputs(g, batch);
        const start = performance.now();
        let calls = 0;
        while (performance.now() - start < roundMs || calls < 3) {
          await g.predict(noise, labels, batch);
          calls++;
        }
        samples.get(label)?.push((performance.now() - start) / calls);
      }
    }
    const base = median(samples.get("tfjs-wasm") ?? []);
    for (const label of generators.keys()) {
      const ms = median(samples.get(label) ?? []);
      rows.push({
        runtime: label,
        batch,
        msPerBatch: ms,
        imagesPerSecond: (batch * 1000) / ms,
        vsTfjsWasm: base / ms,
      });
    }
  }
  print("| runtime | batch | ms / batch | images/s | × tfjs-wasm |");
  print("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    print(
      `| ${r.runtime} | ${r.batch} | ${r.msPerBatch.toFixed(2)} | ${r.imagesPerSecond.toFixed(0)} | ${r.vsTfjsWasm.toFixed(1)}× |`,
    );
  }
  const reference = generators.get("tfjs-wasm");
  if (reference) {
    await browserFigures(bytes, reference, batches, rows, { rounds, roundMs, print });
  }
  for (const g of generators.values()) await g.dispose();
  return rows;
}

/**
 * The same export in Chromium as the gallery page runs it (onnxruntime-web, one thread), at the table's
 * batch sizes and the page's batch of 8, against TensorFlow.js wasm in Node from the table above.
 */
async function browserFigures(
  model: Uint8Array,
  g: ServedGenerator,
  batches: readonly number[],
  rows: readonly OnnxBenchRow[],
  o: { rounds: number; roundMs: number; print: (line: string) => void },
): Promise<void> {
  const all = [...new Set([...batches, 8])].sort((a, b) => a - b);
  const result = await benchBrowser({
    model,
    latentDim: g.latentDim,
    numClasses: g.numClasses,
    batches: all,
    rounds: o.rounds,
    roundMs: o.roundMs,
  });
  o.print("\n### The same export in the browser (gallery variations)");
  if (!result) {
    o.print("Skipped: Debian's chromium is not installed.");
    return;
  }
  o.print(
    `Headless Chromium, onnxruntime-web wasm, 1 thread (the gallery page is not cross-origin isolated); ` +
      `fresh page → session ready (model ${(model.length / 1e6).toFixed(2)} MB + wasm fetched over loopback, ` +
      `compiled): **${result.loadMs.toFixed(0)} ms** (median of 3); the page renders 8 variations per call.`,
  );
  o.print("| runtime | batch | ms / batch | images/s | × tfjs-wasm |");
  o.print("| --- | ---: | ---: | ---: | ---: |");
  for (const r of result.rows) {
    const base = rows.find((x) => x.runtime === "tfjs-wasm" && x.batch === r.batch);
    const vs = base ? `${(base.msPerBatch / r.msPerBatch).toFixed(1)}×` : "–";
    o.print(
      `| onnxruntime-web in Chromium | ${r.batch} | ${r.msPerBatch.toFixed(2)} | ${r.imagesPerSecond.toFixed(0)} | ${vs} |`,
    );
  }
}
