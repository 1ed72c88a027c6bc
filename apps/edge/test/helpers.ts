import { type EdgeServer, type S3Server, startEdge, startS3ServerOnRandomPort } from "@ganvas/infra";
import { Problem, Storage, sha256Hex } from "@ganvas/shared";
import { expect } from "vitest";

/** One S3 server and one edge in workerd (wrangler dev) per test file, with API keys configured. */
export interface Harness {
  s3: S3Server;
  edge: EdgeServer;
  storage: Storage;
  url: string;
  /** Three valid API keys, so tests that drain a rate limit do not starve the others. */
  keys: [string, string, string];
  auth(key?: string): Record<string, string>;
  stop(): Promise<void>;
}

export const newApiKey = () => `gk_${crypto.randomUUID().replaceAll("-", "")}`;

export async function startHarness(
  opts: { dev?: boolean; vars?: Record<string, string>; keys?: [string, string, string] } = {},
): Promise<Harness> {
  const s3 = await startS3ServerOnRandomPort();
  const keys = opts.keys ?? [newApiKey(), newApiKey(), newApiKey()];
  const hashes = await Promise.all(keys.map((k) => sha256Hex(k)));
  let edge: EdgeServer;
  try {
    edge = await startEdge(s3, {
      dev: opts.dev ?? false,
      echo: process.env.GANVAS_TEST_ECHO === "1",
      vars: { GANVAS_API_KEY_HASHES: hashes.join(","), GANVAS_REGISTRY_TTL_S: "0", ...opts.vars },
    });
  } catch (err) {
    await s3.stop();
    throw err;
  }
  return {
    s3,
    edge,
    storage: new Storage(s3),
    url: edge.url,
    keys,
    auth: (key = keys[0]) => ({ authorization: `Bearer ${key}` }),
    async stop() {
      await edge.stop();
      await s3.stop();
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  bytes: Uint8Array;
  // biome-ignore lint/suspicious/noExplicitAny: tests read replies ad hoc; schemas check what matters.
  json<T = any>(): T;
}

export type CallInit = Omit<RequestInit, "body"> & { body?: string | Uint8Array | ReadableStream | null };

export async function call(base: string, path: string, init: CallInit = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, { redirect: "manual", ...init, body: init.body as BodyInit });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  return { status: res.status, headers: res.headers, text, bytes, json: () => JSON.parse(text) };
}

/** Runs `fn` over `items` with at most `limit` in flight: fast on 2 cores without flooding workerd. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Asserts an RFC 9457 answer of the given status and type, and returns the parsed problem. */
export function expectProblem(reply: Reply, status: number, type: string): Problem {
  expect({ status: reply.status, body: reply.text.slice(0, 300) }).toMatchObject({ status });
  expect(reply.headers.get("content-type")).toBe("application/problem+json");
  const body = Problem.parse(reply.json());
  expect(body.type).toBe(`/problems/${type}`);
  expect(body.status).toBe(status);
  return body;
}

export function postJson(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) {
  return call(h.url, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...h.auth(), ...headers },
    body: JSON.stringify(body),
  });
}

export const hex64 = (c: string) => c.repeat(64).slice(0, 64);
