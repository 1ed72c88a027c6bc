import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { median } from "./lib/stats.ts";

/**
 * The exported generator in Debian's Chromium (headless) with onnxruntime-web, set up as the gallery page
 * runs it: the single-file wasm build, one thread (the page is not cross-origin isolated), the model fetched
 * over HTTP. Measures the time from a fresh page to a ready session (model download, wasm compile, session
 * creation) and the time of one generator call per batch size, in the page, with performance.now().
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
const ORT_DIST = dirname(createRequire(import.meta.url).resolve("onnxruntime-web/wasm"));
const ORT_FILES = ["ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"];

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
import * as ort from "/ort/ort.wasm.bundle.min.mjs";
ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";
const t0 = performance.now();
const bytes = new Uint8Array(await (await fetch("/generator.onnx")).arrayBuffer());
const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
const [noiseName, labelName] = session.inputNames;
const loadMs = performance.now() - t0;
window.runFor = async (batch, latentDim, numClasses, ms) => {
  const noise = Float32Array.from({ length: batch * latentDim }, (_, i) => Math.sin(i * 12.9898) * 1.5);
  const labels = new Float32Array(batch * numClasses);
  for (let r = 0; r < batch; r++) labels[r * numClasses + (r % numClasses)] = 1;
  const feeds = {
    [noiseName]: new ort.Tensor("float32", noise, [batch, latentDim]),
    [labelName]: new ort.Tensor("float32", labels, [batch, numClasses]),
  };
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < ms || calls < 3) {
    await session.run(feeds);
    calls++;
  }
  return (performance.now() - start) / calls;
};
window.ready = { loadMs };
</script>`;

export interface BrowserBenchRow {
  batch: number;
  msPerBatch: number;
  imagesPerSecond: number;
}

export interface BrowserBenchResult {
  loadMs: number;
  rows: BrowserBenchRow[];
}

/** Undefined when Chromium is not installed (the benchmark then says so and goes on). */
export async function benchBrowser(options: {
  model: Uint8Array;
  latentDim: number;
  numClasses: number;
  batches: readonly number[];
  rounds: number;
  roundMs: number;
  loads?: number;
}): Promise<BrowserBenchResult | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const files: Record<string, { type: string; body: Uint8Array | string }> = {
    "/": { type: "text/html; charset=utf-8", body: PAGE },
    "/favicon.ico": { type: "image/x-icon", body: "" },
    "/generator.onnx": { type: "application/octet-stream", body: options.model },
  };
  for (const f of ORT_FILES) {
    files[`/ort/${f}`] = {
      type: f.endsWith(".wasm") ? "application/wasm" : "text/javascript",
      body: readFileSync(join(ORT_DIST, f)),
    };
  }
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!file) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    // Each load in a fresh context: nothing cached, as on a first visit.
    const loads: number[] = [];
    let page: Page | undefined;
    for (let i = 0; i < (options.loads ?? 3); i++) {
      await page?.context().close();
      page = await (await browser.newContext()).newPage();
      await page.goto(url);
      await page.waitForFunction("window.ready !== undefined", undefined, { timeout: 60_000 });
      loads.push(Number(await page.evaluate("window.ready.loadMs")));
    }
    if (!page) throw new Error("no page");
    const samples = new Map<number, number[]>(options.batches.map((b) => [b, []]));
    for (const batch of options.batches) {
      await page.evaluate(`runFor(${batch}, ${options.latentDim}, ${options.numClasses}, 0)`);
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const batch of options.batches) {
        const ms = Number(
          await page.evaluate(
            `runFor(${batch}, ${options.latentDim}, ${options.numClasses}, ${options.roundMs})`,
          ),
        );
        samples.get(batch)?.push(ms);
      }
    }
    const rows = options.batches.map((batch) => {
      const ms = median(samples.get(batch) ?? []);
      return { batch, msPerBatch: ms, imagesPerSecond: (batch * 1000) / ms };
    });
    return { loadMs: median(loads), rows };
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
