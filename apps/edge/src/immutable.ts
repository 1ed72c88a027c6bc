import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { IMMUTABLE } from "./inputs.ts";
import { ProblemError } from "./problems.ts";
import { headObject } from "./s3-objects.ts";

/**
 * Serves a content-addressed object (a result PNG, an uploaded input): cached forever, revalidated by a
 * strong ETag, HEAD without touching the body. When deployed, the Workers Cache API sits in front of S3 so
 * a colo asks the bucket once per object. It is skipped in development (GANVAS_DEV=1), where a cache
 * would hide what the worker just wrote, and wherever `caches.default` is missing or fails.
 */

type WorkersCaches = { default?: Cache };

function edgeCache(c: Context<AppEnv>): Cache | undefined {
  if (c.env.GANVAS_DEV === "1") return undefined;
  try {
    return (globalThis as { caches?: WorkersCaches }).caches?.default;
  } catch {
    return undefined;
  }
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch || !etag) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag));
}

function notModified(etag: string, cacheStatus: string): Response {
  return new Response(null, {
    status: 304,
    headers: { etag, "cache-control": IMMUTABLE, "x-edge-cache": cacheStatus },
  });
}

export async function serveImmutable(
  c: Context<AppEnv>,
  key: string,
  contentType: (stored: string | undefined) => string,
  missing: string,
): Promise<Response> {
  const url = new URL(c.req.url);
  const cacheKey = new Request(`${url.origin}${url.pathname}`);
  const inm = c.req.header("if-none-match");
  const cache = edgeCache(c);
  const hit = cache ? await cache.match(cacheKey).catch(() => undefined) : undefined;
  if (hit) {
    const etag = hit.headers.get("etag") ?? "";
    if (etagMatches(inm, etag)) return notModified(etag, "HIT");
    const res = new Response(c.req.method === "HEAD" ? null : hit.body, hit);
    res.headers.set("x-edge-cache", "HIT");
    return res;
  }
  const status = cache ? "MISS" : "BYPASS";
  const storage = c.get("storage");
  const headers = (etag: string, length: number | undefined, stored: string | undefined) => {
    const h: Record<string, string> = {
      "content-type": contentType(stored),
      "cache-control": IMMUTABLE,
      etag,
      "x-content-type-options": "nosniff",
      "x-edge-cache": status,
    };
    if (length !== undefined) h["content-length"] = String(length);
    return h;
  };
  if (c.req.method === "HEAD") {
    const head = await headObject(storage, key);
    if (head === null) throw new ProblemError("not-found", missing);
    if (etagMatches(inm, head.etag)) return notModified(head.etag, status);
    return new Response(null, {
      status: 200,
      headers: headers(head.etag, head.contentLength, head.contentType),
    });
  }
  const obj = await storage.getStream(key);
  if (obj === null || obj === "not-modified") throw new ProblemError("not-found", missing);
  if (etagMatches(inm, obj.etag)) {
    await obj.body.cancel().catch(() => undefined);
    return notModified(obj.etag, status);
  }
  const res = new Response(obj.body, {
    status: 200,
    headers: headers(obj.etag, obj.contentLength, obj.contentType),
  });
  if (cache) {
    const put = cache.put(cacheKey, res.clone()).catch(() => undefined);
    try {
      c.executionCtx.waitUntil(put);
    } catch {
      // No execution context (plain fetch in tests): the put simply runs on its own.
    }
  }
  return res;
}
