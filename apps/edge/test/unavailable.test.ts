import { type EdgeServer, freePort, startEdge } from "@ganvas/infra";
import { sha256Hex } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realImages } from "./fixtures/images.ts";
import { type CallInit, call, expectProblem, newApiKey } from "./helpers.ts";

/**
 * Two edges whose S3 endpoint is a closed port: one with API keys (every request that needs the bucket
 * must get 503 + Retry-After, never a 500), one in production mode with no keys configured (writes refused).
 */
let withKeys: EdgeServer;
let withoutKeys: EdgeServer;
const key = newApiKey();
const id = "a".repeat(64);

beforeAll(async () => {
  const s3 = {
    endpoint: `http://127.0.0.1:${await freePort()}`,
    bucket: "ganvas",
    accessKeyId: "nobody",
    secretAccessKey: "nothing",
  };
  [withKeys, withoutKeys] = await Promise.all([
    startEdge(s3, { dev: false, vars: { GANVAS_API_KEY_HASHES: await sha256Hex(key) } }),
    startEdge(s3, { dev: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([withKeys?.stop(), withoutKeys?.stop()]);
});

describe("S3 unreachable", () => {
  const png = async () => (await realImages()).png as Uint8Array;
  const auth = { authorization: `Bearer ${key}` };
  const json = { ...auth, "content-type": "application/json" };

  it.each([
    [
      "POST a text-to-image request",
      () => ({
        path: "/v1/images/text-to-image",
        init: { method: "POST", headers: json, body: '{"prompt":"a dress"}' },
      }),
    ],
    [
      "POST a style-transfer request",
      () => ({
        path: "/v1/images/style-transfer",
        init: { method: "POST", headers: json, body: `{"input":"${id}","style":"low-poly"}` },
      }),
    ],
    ["GET a job", () => ({ path: `/v1/jobs/${id}`, init: {} })],
    ["cancel a job", () => ({ path: `/v1/jobs/${id}/cancel`, init: { method: "POST", headers: auth } })],
    ["GET a result image", () => ({ path: `/r/${id}/0.png`, init: {} })],
    ["HEAD a result image", () => ({ path: `/r/${id}/0.png`, init: { method: "HEAD" } })],
    ["GET a gallery page", () => ({ path: `/g/${id}`, init: {} })],
    ["GET an upload", () => ({ path: `/v1/uploads/${id}`, init: {} })],
    ["GET the models", () => ({ path: "/v1/models", init: {} })],
  ] as const)("%s → 503 with Retry-After", async (_, make) => {
    const { path, init } = make();
    const r = await call(withKeys.url, path, init as CallInit);
    expect(r.status).toBe(503);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    if (init && "method" in init && init.method === "HEAD") return;
    expectProblem(r, 503, "storage-unavailable");
  });

  it("POST an upload → 503, after the image was checked", async () => {
    const r = await call(withKeys.url, "/v1/uploads", { method: "POST", headers: auth, body: await png() });
    expectProblem(r, 503, "storage-unavailable");
  });

  it("still refuses bad input with its 4xx: validation needs no bucket", async () => {
    const r = await call(withKeys.url, "/v1/images/text-to-image", {
      method: "POST",
      headers: json,
      body: '{"prompt":""}',
    });
    expectProblem(r, 422, "validation");
  });

  it("serves the API description without the bucket", async () => {
    expect((await call(withKeys.url, "/openapi.json")).status).toBe(200);
  });
});

describe("production without API keys", () => {
  it("refuses every write with 401 and says why", async () => {
    const r = await call(withoutKeys.url, "/v1/images/text-to-image", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"prompt":"a dress"}',
    });
    expect(expectProblem(r, 401, "unauthorized").detail).toMatch(/no API keys configured/);
  });
});
