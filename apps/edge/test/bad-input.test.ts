import { keys, Problem, sha256Hex } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BadCase, type Fixtures, jsonCases } from "./bad-input/cases.ts";
import { idAndMethodCases, uploadCases } from "./bad-input/more-cases.ts";
import { webhookCases } from "./bad-input/webhook-cases.ts";
import { jpegOfSize, pngOfSize, realImages, webpOfSize } from "./fixtures/images.ts";
import { call, type Harness, newApiKey, pool, type Reply, startHarness } from "./helpers.ts";

/**
 * The table-driven bad-input suite: every case is sent to the edge in workerd (wrangler dev, production
 * mode, API keys on) and must get its documented 4xx as application/problem+json — and the bucket must hold
 * exactly what it held before, so no refused request wrote anything.
 */

const real = await realImages();
const png = real.png ?? new Uint8Array();
const big = pngOfSize(2000, 1000);
const dataUrl = (b: Uint8Array, type = "image/png") =>
  `data:${type};base64,${Buffer.from(b).toString("base64")}`;
const apiKeys: [string, string, string] = [newApiKey(), newApiKey(), newApiKey()];

// Built at collection time, so each case is its own named test; the ids are known from the bytes.
const fx: Fixtures = {
  small: await sha256Hex(png),
  big: await sha256Hex(big),
  succeeded: await sha256Hex("a succeeded job"),
  key: apiKeys[0],
  inline: {
    gif: dataUrl(new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image/gif"),
    text: dataUrl(new TextEncoder().encode("hello, not an image")),
    truncatedPng: dataUrl(png.subarray(0, png.length - 5)),
    pngBomb: dataUrl(pngOfSize(60_000, 60_000, { rows: 1 })),
    jpegBomb: dataUrl(jpegOfSize(65_535, 65_535), "image/jpeg"),
    truncatedJpeg: dataUrl((real.jpeg ?? png).subarray(0, 100), "image/jpeg"),
    truncatedWebp: dataUrl((real["webp-lossy"] ?? png).subarray(0, 40), "image/webp"),
    webpBomb: dataUrl(webpOfSize(10_000, 10_000), "image/webp"),
    // Over the inline limit (256 KiB) yet under the body limit (384 KiB): refused by the schema.
    tooBig: dataUrl(new Uint8Array(260 * 1024)),
  },
};
const cases: BadCase[] = [
  ...jsonCases(fx),
  ...uploadCases(real, fx),
  ...idAndMethodCases(fx),
  ...webhookCases(),
];

let h: Harness;
let replies: Reply[];
let before: string[];

async function send(c: BadCase): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (!c.raw) headers["content-type"] = "application/json";
  if (!c.noAuth) headers.authorization = `Bearer ${fx.key}`;
  return call(h.url, c.path, {
    method: c.method ?? "POST",
    headers: { ...headers, ...c.headers },
    body: c.body,
  });
}

beforeAll(async () => {
  h = await startHarness({ keys: apiKeys, vars: { GANVAS_RATE_LIMIT_PER_MINUTE: "1000000" } });
  for (const b of [png, big]) {
    const r = await call(h.url, "/v1/uploads", { method: "POST", headers: h.auth(), body: b });
    expect(r.status).toBe(201);
  }
  await h.storage.putJson(keys.job(fx.succeeded), {
    schema: 1,
    id: fx.succeeded,
    task: "text-to-image",
    model: "fashion-cdcgan@1",
    params: { prompt: "a bag", n: 1, seed: 1 },
    input: null,
    status: "succeeded",
    attempts: 1,
    maxAttempts: 3,
    lease: null,
    subscribers: [],
    baseUrl: h.url,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    finishedAt: Date.now(),
  });
  before = (await h.storage.list("")).sort();
  const t0 = performance.now();
  replies = await pool(cases, 8, send);
  console.log(`bad-input: ${cases.length} requests in ${Math.round(performance.now() - t0)} ms`);
});

afterAll(async () => {
  await h?.stop();
});

describe("bad input", () => {
  it("has at least 300 cases, each with a unique name", () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it("writes nothing to the bucket", async () => {
    expect((await h.storage.list("")).sort()).toEqual(before);
  });

  it.each(cases.map((c, i) => [c.name, i] as const))("%s", (_, i) => {
    const c = cases[i] as BadCase;
    const r = replies[i] as Reply;
    expect({ case: c.name, status: r.status, body: r.text.slice(0, 400) }).toMatchObject({
      status: c.status,
    });
    if (c.method === "HEAD") return;
    expect(r.headers.get("content-type"), c.name).toBe("application/problem+json");
    const body = Problem.parse(r.json());
    expect(body.type, c.name).toBe(`/problems/${c.type}`);
    expect(body.status).toBe(c.status);
    if (c.errorPath) {
      const paths = (body.errors ?? []).map((e) => e.path);
      expect(
        paths.some((p) => p === c.errorPath || p.startsWith(`${c.errorPath}.`)),
        `${c.name}: ${paths}`,
      ).toBe(true);
    }
    if (c.status === 401) expect(r.headers.get("www-authenticate")).toMatch(/^Bearer realm="ganvas"/);
    if (c.status === 405) expect(r.headers.get("allow")).toBeTruthy();
  });
});
