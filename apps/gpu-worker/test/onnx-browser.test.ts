import { existsSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawNoise } from "../src/models/generate.ts";
import { exportLayersModel } from "../src/onnx/export.ts";
import { loadSourceModel, readGeneratorSource } from "../src/onnx/files.ts";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { onnxGenerator } from "../src/serving/onnx.ts";
import { backend } from "./helpers.ts";

/**
 * The exported generator in a real browser (Debian's Chromium, headless) with onnxruntime-web: a standalone
 * page renders variations of one result around its latent point, with a slider, and logs nothing to the
 * console. The page and onnxruntime-web's files come from a loopback static server; a screenshot is kept
 * in .ganvas/screenshots/ for a human to look at.
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
const PAGE = fileURLToPath(new URL("./browser/variations.html", import.meta.url));
const SHOTS = fileURLToPath(new URL("../../../.ganvas/screenshots/", import.meta.url));
const ORT_DIST = dirname(createRequire(import.meta.url).resolve("onnxruntime-web"));
/** The files the page needs from onnxruntime-web: the ESM entry, its wasm loader and the SIMD wasm. */
const ORT_FILES = ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];
const GENERATOR = join(DEFAULT_MODELS_DIR, "text-to-image", "fashion-cdcgan", "1");
const RESULT = { classIndex: 7, seed: 7 };

let server: Server;
let url: string;
let browser: Browser;
let model: Uint8Array;
let latent: Float32Array;

async function serve(
  files: Record<string, { type: string; body: () => Promise<Uint8Array> }>,
): Promise<Server> {
  const s = createServer(async (req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": file.type,
      // Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer).
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end(await file.body());
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return s;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm install does, as root)`);
  await backend();
  const tfModel = await loadSourceModel(await readGeneratorSource(GENERATOR));
  model = exportLayersModel(tfModel);
  tfModel.dispose();
  const numClasses = 10;
  latent = drawNoise([{ ...RESULT, count: 1 }], 64);
  const text = (body: string) => async () => new TextEncoder().encode(body);
  server = await serve({
    "/": { type: "text/html; charset=utf-8", body: async () => readFile(PAGE) },
    "/favicon.ico": { type: "image/x-icon", body: async () => new Uint8Array() },
    "/model/generator.onnx": { type: "application/octet-stream", body: async () => model },
    "/latent.json": {
      type: "application/json",
      body: text(JSON.stringify({ noise: Array.from(latent), numClasses, ...RESULT })),
    },
    ...Object.fromEntries(
      ORT_FILES.map((f) => [
        `/ort/${f}`,
        {
          type: f.endsWith(".wasm") ? "application/wasm" : "text/javascript",
          body: () => readFile(join(ORT_DIST, f)),
        },
      ]),
    ),
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

interface Variations {
  loadMs: number;
  runMs: number;
  renders: number;
  threads: number;
  first: number[];
  all: number[];
}

describe("variations page (onnxruntime-web in Chromium)", () => {
  it("loads the exported generator, renders variations, follows the slider, logs no errors", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction("'__variations' in window", undefined, { timeout: 60_000 });
    const first = (await page.evaluate("window.__variations")) as Variations;
    process.stderr.write(
      `browser: model + wasm loaded in ${first.loadMs.toFixed(0)} ms, 8 variations in ${first.runMs.toFixed(1)} ms, ${first.threads} thread(s)\n`,
    );

    // Variation 0 is the result itself: the browser computes what the worker computes.
    const g = await onnxGenerator(model, "onnxruntime-node");
    const labels = new Float32Array(10);
    labels[RESULT.classIndex] = 1;
    const worker = (await g.predict(latent, labels, 1)).data;
    await g.dispose();
    const diff = Math.max(...first.first.map((v, i) => Math.abs(v - (worker[i] ?? 0))));
    expect(diff).toBeLessThanOrEqual(1e-4);

    // Eight distinct, non-blank images.
    const images = Array.from({ length: 8 }, (_, i) => first.all.slice(i * 784, (i + 1) * 784));
    expect(new Set(images.map((img) => img.map((v) => v.toFixed(2)).join())).size).toBe(8);
    for (const img of images) expect(Math.max(...img) - Math.min(...img)).toBeGreaterThan(0.5);

    // Moving the slider re-renders other variations around the same point.
    await page.locator("#spread").fill("1.2");
    await page.waitForFunction("window.__variations.renders > 1");
    const moved = (await page.evaluate("window.__variations")) as Variations;
    expect(moved.first).toEqual(first.first);
    expect(moved.all.slice(784)).not.toEqual(first.all.slice(784));

    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "onnx-variations.png") });
    expect(problems).toEqual([]);
    await page.close();
  });
});
