import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cacheKey, type JobSpec, keys, sha256Hex } from "@ganvas/shared";
import { type Browser, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeResult } from "./fixtures/results.ts";
import { call, type Harness, startHarness } from "./helpers.ts";

/**
 * The gallery page in a real browser (Debian's Chromium, headless): every image loads, nothing is logged
 * to the console, the social tags point at the images, and a screenshot is kept for a human to look at
 * (.ganvas/screenshots/).
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SHOTS = fileURLToPath(new URL("../../../.ganvas/screenshots/", import.meta.url));
const SAMPLES = fileURLToPath(
  new URL("../../../models/text-to-image/fashion-cdcgan/1/samples.png", import.meta.url),
);

let h: Harness;
let browser: Browser;
const ids: Record<string, string> = {};

/** Eight 28×28 sneakers cut from the shipped model's sample grid (a row per class, a column per seed, 2 px apart). */
async function fashionTiles(): Promise<Uint8Array[]> {
  const sneaker = 7;
  return Promise.all(
    Array.from({ length: 8 }, async (_, seed) => {
      const tile = sharp(SAMPLES).extract({ left: seed * 30, top: sneaker * 30, width: 28, height: 28 });
      return new Uint8Array(await tile.png().toBuffer());
    }),
  );
}

const landscape = (sky: string, hill: string, sun: string) =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="320" height="240" fill="${sky}"/>
  <circle cx="235" cy="70" r="34" fill="${sun}"/><path d="M0 170 Q80 110 160 160 T320 150 V240 H0 Z" fill="${hill}"/></svg>`);

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm install does, as root)`);
  mkdirSync(SHOTS, { recursive: true });
  [h, browser] = await Promise.all([
    startHarness(),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS }),
  ]);

  const t2i: JobSpec = {
    task: "text-to-image",
    model: "fashion-cdcgan@1",
    params: { prompt: "a pair of sneakers", n: 8, seed: 7 },
    input: null,
  };
  ids.t2i = await cacheKey(t2i);
  await writeResult(h.storage, ids.t2i, t2i, await fashionTiles());

  const input = new Uint8Array(
    await sharp(landscape("#9fd3ff", "#3f8f4f", "#ffd35c"))
      .jpeg()
      .toBuffer(),
  );
  const upload = await call(h.url, "/v1/uploads", { method: "POST", headers: h.auth(), body: input });
  const st: JobSpec = {
    task: "style-transfer",
    model: "cyclegan@1",
    params: { style: "starry-night" },
    input: upload.json().id,
  };
  ids.st = await cacheKey(st);
  const styled = new Uint8Array(
    await sharp(landscape("#1d3b8f", "#1b2a4a", "#f2d14b"))
      .blur(1.2)
      .png()
      .toBuffer(),
  );
  await writeResult(h.storage, ids.st, st, [styled]);

  ids.pending = await sha256Hex("a queued job");
  await h.storage.putJson(keys.job(ids.pending), {
    schema: 1,
    id: ids.pending,
    task: "text-to-image",
    model: "fashion-cdcgan@1",
    params: { prompt: "a red coat", n: 1, seed: 1 },
    input: null,
    status: "queued",
    attempts: 0,
    maxAttempts: 3,
    lease: null,
    subscribers: [],
    baseUrl: h.url,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

/** Opens a page and records everything that would show up as a problem in DevTools. */
async function open(
  path: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const res = await page.goto(`${h.url}${path}`, { waitUntil: "networkidle" });
  expect(res?.status()).toBe(200);
  return { page, problems };
}

async function imagesLoaded(page: Page): Promise<{ count: number; broken: number }> {
  return page.$$eval("img", (imgs) => ({
    count: imgs.length,
    broken: imgs.filter(
      (i) => !(i as HTMLImageElement).complete || (i as HTMLImageElement).naturalWidth === 0,
    ).length,
  }));
}

describe("GET /g/:id in Chromium", () => {
  it("shows a text-to-image result: images, prompt, downloads, social tags", async () => {
    const { page, problems } = await open(`/g/${ids.t2i}`);
    expect(await imagesLoaded(page)).toEqual({ count: 8, broken: 0 });
    expect(await page.textContent("h1")).toBe("a pair of sneakers");
    expect(await page.locator("a[download]").count()).toBe(8);
    expect(await page.getAttribute('meta[property="og:image"]', "content")).toBe(
      `${h.url}/r/${ids.t2i}/0.png`,
    );
    expect(await page.getAttribute('meta[name="twitter:card"]', "content")).toBe("summary_large_image");
    const shot = await page.screenshot({ path: `${SHOTS}gallery-text-to-image.png`, fullPage: true });
    expect(shot.length).toBeGreaterThan(20_000);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}gallery-text-to-image-mobile.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(overflow, "no horizontal scrolling on a phone").toBe(false);
    expect(problems).toEqual([]);
  });

  it("shows a style-transfer result beside its input", async () => {
    const { page, problems } = await open(`/g/${ids.st}`);
    expect(await imagesLoaded(page)).toEqual({ count: 2, broken: 0 });
    expect(await page.locator("figure.input img").getAttribute("src")).toMatch(
      /\/v1\/uploads\/[0-9a-f]{64}$/,
    );
    await page.screenshot({ path: `${SHOTS}gallery-style-transfer.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it("shows a job that is still running, refreshing itself", async () => {
    const { page, problems } = await open(`/g/${ids.pending}`);
    expect(await page.textContent(".state")).toContain("queued");
    expect(await page.getAttribute('meta[http-equiv="refresh"]', "content")).toBe("3");
    await page.screenshot({ path: `${SHOTS}gallery-pending.png` });
    expect(problems).toEqual([]);
  });
});

describe("GET /docs in Chromium", () => {
  it("renders without errors", async () => {
    const { page, problems } = await open("/docs");
    expect(await page.locator("section.op").count()).toBeGreaterThanOrEqual(12);
    await page.screenshot({ path: `${SHOTS}docs.png` });
    expect(problems).toEqual([]);
  });
});
