import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { type Managed, startWorker } from "@ganvas/infra";
import { cacheKey, generateWebhookSecret, type JobSpec, keys } from "@ganvas/shared";
import { type Browser, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeResult } from "./fixtures/results.ts";
import { call, type Harness, postJson, startHarness } from "./helpers.ts";

/**
 * The gallery's in-browser variations, end to end on real parts: the shipped fashion generator published
 * to the bucket by `ganvas-worker publish` (with its ONNX export), a real worker rendering a real result,
 * the edge in workerd serving the page, onnxruntime-web and the generator, and Debian's Chromium running
 * them. At distance 0 the page must redraw the worker's PNGs from the same latent points; it must log
 * nothing, follow the slider, and show nothing of this with scripts off or for models without an export.
 * Sizes and timings are printed for the record.
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
const ROOT = new URL("../../../", import.meta.url);
const SHOTS = fileURLToPath(new URL(".ganvas/screenshots/", ROOT));
const WORKER_BIN = fileURLToPath(new URL("apps/gpu-worker/bin/ganvas-worker.js", ROOT));
const VERSION_DIR = fileURLToPath(new URL("models/text-to-image/fashion-cdcgan/1", ROOT));
const PUBLIC_DIR = fileURLToPath(new URL("apps/edge/public/", ROOT));
const COUNT = 4;

let h: Harness;
let browser: Browser;
let worker: Managed | undefined;
let result: { id: string; pngs: Uint8Array[] };
let cool: { id: string; pngs: Uint8Array[] };
const ids: Record<string, string> = {};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [h, browser] = await Promise.all([
    startHarness(),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS }),
  ]);
  const s3 = h.s3;
  await promisify(execFile)(process.execPath, [WORKER_BIN, "publish", VERSION_DIR], {
    env: {
      ...process.env,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region ?? "us-east-1",
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });
  worker = startWorker(s3, {
    webhookSecret: generateWebhookSecret(),
    echo: process.env.GANVAS_TEST_ECHO === "1",
    env: { GANVAS_POLL_MS: "100", GANVAS_METRICS_PORT: "0", GANVAS_ORT_THREADS: "1", GANVAS_DEV: "1" },
  });
  const render = async (body: Record<string, unknown>, count: number) => {
    const reply = await postJson(h, "/v1/images/text-to-image", body, { prefer: "wait=60" });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json().status).toBe("succeeded");
    const id: string = reply.json().id;
    const pngs = await Promise.all(
      Array.from({ length: count }, async (_, i) => (await call(h.url, `/r/${id}/${i}.png`)).bytes),
    );
    return { id, pngs };
  };
  result = await render({ prompt: "a pair of sneakers", n: COUNT, seed: 7 }, COUNT);
  cool = await render({ prompt: "a pair of sneakers", n: 2, seed: 7, temperature: 0.5 }, 2);
  const pngs = result.pngs;

  // A style-transfer result and a text-to-image one whose model version has no ONNX export.
  const st: JobSpec = {
    task: "style-transfer",
    model: "cyclegan@1",
    params: { style: "starry-night" },
    input: null,
  };
  ids.st = await cacheKey(st);
  await writeResult(h.storage, ids.st, st, [pngs[0] as Uint8Array]);
  const noExport: JobSpec = {
    task: "text-to-image",
    model: "fashion-cdcgan@2",
    params: { prompt: "a pair of sneakers", n: 1, seed: 7 },
    input: null,
  };
  ids.noExport = await cacheKey(noExport);
  await writeResult(h.storage, ids.noExport, noExport, [pngs[0] as Uint8Array]);
  // An export whose metadata does not describe noise + one-hot class inputs (e.g. a text-encoder model), under a
  // version number no shipped model uses.
  const unknownInputs: JobSpec = { ...noExport, model: "fashion-cdcgan@99" };
  ids.unknownInputs = await cacheKey(unknownInputs);
  await writeResult(h.storage, ids.unknownInputs, unknownInputs, [pngs[0] as Uint8Array]);
  const onnx = readFileSync(`${VERSION_DIR}/generator.onnx`);
  await h.storage.put(keys.model("text-to-image", "fashion-cdcgan", 99, "generator.onnx"), onnx);
  await h.storage.putJson(keys.model("text-to-image", "fashion-cdcgan", 99, "metadata.json"), {
    options: { config: { latentDim: 64, vocabularySize: 40 } },
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await h?.stop();
});

/** Opens a page and records everything that would show up as a problem in DevTools. */
async function open(path: string, javaScriptEnabled = true): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const res = await page.goto(`${h.url}${path}`, { waitUntil: "load" });
  expect(res?.status()).toBe(200);
  return { page, problems };
}

/**
 * The tiles' gray levels, one array per canvas, read as PNGs (getImageData in a loop would make Chromium
 * warn about readbacks, which this test counts as a problem).
 */
async function tiles(page: Page): Promise<number[][]> {
  const urls = await page.$$eval(".vary-grid canvas", (canvases) =>
    canvases.map((c) => (c as HTMLCanvasElement).toDataURL("image/png")),
  );
  return Promise.all(urls.map((u) => pngGray(Buffer.from(u.slice(u.indexOf(",") + 1), "base64"))));
}

/**
 * Waits for the next render, or for the page to say it gave up. The first render includes compiling
 * onnxruntime-web's 14 MB of wasm, which on a busy 2-core machine (other test projects run beside this
 * one) has taken seconds; the wait is generous, and a timeout says what the page showed meanwhile.
 */
async function renderedAfter(page: Page, after: number): Promise<void> {
  const settled = (n: number) => {
    const section = document.getElementById("variations");
    const status = section?.querySelector(".vary-status")?.textContent ?? "";
    return Number(section?.dataset.renders ?? 0) > n || /unavailable|failed/.test(status);
  };
  const shown = () => page.$eval(".vary-status", (s) => s.textContent ?? "").catch(() => "(no status)");
  try {
    await page.waitForFunction(settled, after, { timeout: 75_000 });
  } catch (err) {
    throw new Error(`no render after ${after} within 75 s; the page says: "${await shown()}"`, {
      cause: err,
    });
  }
  expect(await renders(page), await shown()).toBeGreaterThan(after);
}

const renders = (page: Page) =>
  page.$eval("#variations", (s) => Number((s as HTMLElement).dataset.renders ?? 0));

async function pngGray(png: Uint8Array): Promise<number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return Array.from(data).filter((_, i) => i % info.channels === 0);
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - (b[i] ?? -999))));

describe("gallery variations (onnxruntime-web in Chromium)", () => {
  it("loads the generator, renders variations, follows the slider, and redraws the result at distance 0", async () => {
    const { page, problems } = await open(`/g/${result.id}`);
    await renderedAfter(page, 0);
    const timing = await page.$eval("#variations", (s) => ({ ...(s as HTMLElement).dataset }));
    expect(await page.isVisible("#variations")).toBe(true);

    // Eight distinct, non-blank variations around image #1 at the default distance.
    const first = await tiles(page);
    expect(first).toHaveLength(8);
    expect(new Set(first.map((t) => t.join())).size).toBe(8);
    for (const t of first) expect(Math.max(...t) - Math.min(...t)).toBeGreaterThan(100);
    const own = await Promise.all(result.pngs.map(pngGray));
    for (const t of first) expect(maxDiff(t, own[0] ?? [])).toBeGreaterThan(1);

    // Further away: other images.
    let n = await renders(page);
    await page.locator("input.vary-distance").fill("0.8");
    await renderedAfter(page, n);
    const moved = await tiles(page);
    for (let i = 0; i < 8; i++) expect(moved[i]).not.toEqual(first[i]);
    await page.screenshot({ path: `${SHOTS}gallery-variations.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}gallery-variations-mobile.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(overflow, "no horizontal scrolling on a phone").toBe(false);
    await page.setViewportSize({ width: 1280, height: 900 });

    // Distance 0: every tile is the chosen image, as the worker drew it (±1 level for float rounding).
    n = await renders(page);
    await page.locator("input.vary-distance").fill("0");
    await renderedAfter(page, n);
    const runMs: number[] = [];
    for (let b = 0; b < COUNT; b++) {
      if (b > 0) {
        n = await renders(page);
        await page.selectOption("select.vary-base", String(b));
        await renderedAfter(page, n);
      }
      runMs.push(Number(await page.$eval("#variations", (s) => (s as HTMLElement).dataset.runMs)));
      for (const t of await tiles(page)) expect(maxDiff(t, own[b] ?? [])).toBeLessThanOrEqual(1);
    }

    // A shuffle at distance 0 changes nothing; away from it, it picks new directions.
    n = await renders(page);
    await page.locator("input.vary-distance").fill("0.5");
    await renderedAfter(page, n);
    const before = await tiles(page);
    n = await renders(page);
    await page.click("button.vary-shuffle");
    await renderedAfter(page, n);
    expect(await tiles(page)).not.toEqual(before);

    runMs.sort((a, b) => a - b);
    process.stderr.write(
      `variations: page load → generator ready ${timing.loadMs} ms; 8 variations ${runMs[Math.floor(runMs.length / 2)]} ms (median of ${runMs.length})\n`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("a result drawn at a lower temperature is redrawn at distance 0 with that temperature", async () => {
    const { page, problems } = await open(`/g/${cool.id}`);
    await renderedAfter(page, 0);
    expect(await page.$eval("#variations", (s) => (s as HTMLElement).dataset.temperature)).toBe("0.5");
    expect(await page.locator("ul.chips li").allTextContents()).toContain("temperature 0.5");
    const own = await Promise.all(cool.pngs.map(pngGray));
    // Same seed, other temperature: other images than the plain result's.
    expect(maxDiff(own[0] ?? [], await pngGray(result.pngs[0] as Uint8Array))).toBeGreaterThan(1);
    const n = await renders(page);
    await page.locator("input.vary-distance").fill("0");
    await renderedAfter(page, n);
    for (const t of await tiles(page)) expect(maxDiff(t, own[0] ?? [])).toBeLessThanOrEqual(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("serves onnxruntime-web and the generator with immutable caching and the right types", async () => {
    const manifest = JSON.parse(readFileSync(`${PUBLIC_DIR}static/manifest.json`, "utf8"));
    const wasm = await call(h.url, manifest.ort.wasm);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(wasm.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const mjs = await call(h.url, manifest.ort.module);
    expect(mjs.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
    expect(mjs.headers.get("cache-control")).toContain("immutable");
    const script = await call(h.url, manifest.variations);
    expect(script.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
    expect(script.headers.get("cache-control")).toContain("immutable");

    const onnx = await call(h.url, "/g/models/text-to-image/fashion-cdcgan/1/generator.onnx");
    expect(onnx.status).toBe(200);
    expect(onnx.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = onnx.headers.get("etag") ?? "";
    expect(etag).not.toBe("");
    const again = await call(h.url, "/g/models/text-to-image/fashion-cdcgan/1/generator.onnx", {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect((await call(h.url, "/g/models/text-to-image/fashion-cdcgan/9/generator.onnx")).status).toBe(404);

    const page = await call(h.url, `/g/${result.id}`);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self' 'wasm-unsafe-eval'");
    const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
    process.stderr.write(
      `variations: generator.onnx ${mb(onnx.bytes.length)} (gzip ${mb(gzipSync(onnx.bytes).length)}); ` +
        `${manifest.ort.wasm.split("/").pop()} ${mb(wasm.bytes.length)} (gzip ${mb(gzipSync(wasm.bytes).length)}); ` +
        `ort module ${mb(mjs.bytes.length)}; page script ${(script.bytes.length / 1e3).toFixed(1)} kB\n`,
    );
  });

  it("works without scripts: the result as before, no variations panel", async () => {
    const { page, problems } = await open(`/g/${result.id}`, false);
    expect(await page.locator("figure.card img").count()).toBe(COUNT);
    expect(await page.isVisible("#variations")).toBe(false);
    expect(await page.locator(".vary-grid canvas").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("offers no variations for style transfer, or a model version without an export or class inputs", async () => {
    for (const id of [ids.st, ids.noExport, ids.unknownInputs]) {
      const reply = await call(h.url, `/g/${id}`);
      expect(reply.status).toBe(200);
      expect(reply.text).not.toContain('id="variations"');
      expect(reply.text).not.toContain("<script");
      expect(reply.headers.get("content-security-policy")).not.toContain("script-src");
    }
  });
});
