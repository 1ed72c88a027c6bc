import { JobView, StyleTransferRequest, TextToImageRequest } from "@ganvas/shared";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { call, expectProblem, type Harness, postJson, startHarness } from "./helpers.ts";

// A small rate limit so the test can exhaust it; each test that writes uses its own key.
const LIMIT = 30;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ vars: { GANVAS_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(async () => {
  await h?.stop();
});

const T2I = "/v1/images/text-to-image";

describe("API keys", () => {
  it("refuses writes without a valid key with 401 and a Bearer challenge", async () => {
    for (const auth of [undefined, "Bearer nope", `Basic ${btoa("a:b")}`]) {
      const r = await call(h.url, T2I, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ prompt: "a dress" }),
      });
      expectProblem(r, 401, "unauthorized");
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer realm="ganvas"/);
    }
    expect(await h.storage.list("")).toEqual([]);
  });

  it("accepts each configured key, whatever the scheme's case", async () => {
    const r = await postJson(h, T2I, { prompt: "a dress" }, { authorization: `bearer ${h.keys[2]}` });
    expect(r.status).toBe(202);
    expect(r.headers.get("ratelimit-limit")).toBe(String(LIMIT));
  });

  it("lets anyone read: jobs, results, models, docs", async () => {
    expect((await call(h.url, "/v1/models")).status).toBe(200);
    expectProblem(await call(h.url, `/v1/jobs/${"1".repeat(64)}`), 404, "not-found");
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a key's burst is spent, and only for that key", async () => {
    const key = h.keys[1];
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < LIMIT + 5; i++) {
      // An invalid body: the request is charged before it is validated, and nothing is written.
      const r = await postJson(h, T2I, { prompt: "" }, { authorization: `Bearer ${key}` });
      statuses.push(r.status);
      if (r.status === 429) limited ??= r;
    }
    expect(statuses.slice(0, LIMIT).every((s) => s === 422)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(4);
    const problem = expectProblem(limited!, 429, "rate-limited");
    expect(problem.detail).toMatch(/30 writes a minute/);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited!.headers.get("access-control-allow-origin")).toBe("*");
    const other = await postJson(h, T2I, { prompt: "" });
    expect(other.status).toBe(422);
  });
});

describe("CORS", () => {
  it("answers a preflight for a browser write", async () => {
    const r = await call(h.url, T2I, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, prefer",
      },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-methods")).toContain("POST");
    expect(r.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it("marks answers and errors readable cross-origin and exposes the useful headers", async () => {
    const ok = await call(h.url, "/v1/models", { headers: { origin: "https://app.example" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    const err = await call(h.url, T2I, { method: "POST", headers: { origin: "https://app.example" } });
    expect(err.headers.get("access-control-allow-origin")).toBe("*");
    expect(err.headers.get("access-control-expose-headers")).toContain("retry-after");
  });
});

describe("GET /openapi.json", () => {
  // biome-ignore lint/suspicious/noExplicitAny: the document is walked ad hoc after the validator has checked it.
  let doc: Record<string, any>;
  beforeAll(async () => {
    doc = (await call(h.url, "/openapi.json")).json();
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("carries the very schemas the edge validates with", () => {
    const strip = (s: z.ZodType, io: "input" | "output") => {
      const { $schema: _, ...rest } = z.toJSONSchema(s, {
        io,
        target: "draft-2020-12",
        unrepresentable: "any",
      });
      return rest;
    };
    expect(doc.components.schemas.TextToImageRequest).toEqual(strip(TextToImageRequest, "input"));
    expect(doc.components.schemas.StyleTransferRequest).toEqual(strip(StyleTransferRequest, "input"));
    expect(doc.components.schemas.Job).toEqual(strip(JobView, "output"));
  });

  it("documents only routes that exist", async () => {
    const probes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) =>
        Object.keys(ops).map((method) => ({
          method: method.toUpperCase(),
          path: path.replace(/\{(\w+)\}/g, (_, n) =>
            n === "index" ? "0" : n === "version" ? "1" : "f".repeat(64),
          ),
        })),
    );
    expect(probes.length).toBeGreaterThanOrEqual(15);
    for (const p of probes) {
      const r = await call(h.url, p.path, {
        method: p.method,
        headers: { "content-type": "application/json" },
        body: p.method === "POST" ? "{}" : undefined,
      });
      expect(r.text, `${p.method} ${p.path}`).not.toMatch(/no route for/);
      expect(r.status, `${p.method} ${p.path}`).not.toBe(405);
      expect(r.status, `${p.method} ${p.path}`).toBeLessThan(500);
    }
  });
});

describe("GET /docs", () => {
  it("renders every operation and problem type, without scripts", async () => {
    const r = await call(h.url, "/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    for (const path of [
      "/v1/images/text-to-image",
      "/v1/uploads",
      "/v1/jobs/{id}/cancel",
      "/r/{id}/{index}.png",
      "/problems/rate-limited",
    ]) {
      expect(r.text).toContain(path);
    }
    expect(r.text).not.toContain("<script");
  });

  it("resolves problem types to their entry", async () => {
    const r = await call(h.url, "/problems/validation");
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/docs#problem-validation");
  });
});
