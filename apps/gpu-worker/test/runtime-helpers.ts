import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { type S3Server, startS3ServerOnRandomPort } from "@ganvas/infra";
import { cacheKey, enqueueJob, type JobRecord, type JobSpec, Storage, type Subscriber } from "@ganvas/shared";
import { type JobLoopOptions, loopContext } from "../src/runtime/context.ts";
import type { Logger } from "../src/runtime/log.ts";
import { WorkerMetrics } from "../src/runtime/metrics.ts";
import type { GeneratedImage, Runner } from "../src/runtime/runner.ts";

/** A real local S3 server (Ceph radosgw) on a random port, and a client for it. */
export async function startTestS3(): Promise<{ s3: S3Server; storage: Storage }> {
  const s3 = await startS3ServerOnRandomPort();
  return { s3, storage: new Storage(s3) };
}

/** Deletes every object, so each test starts from an empty bucket. */
export async function emptyBucket(storage: Storage): Promise<void> {
  const all = await storage.list("", 100_000);
  for (let i = 0; i < all.length; i += 64)
    await Promise.all(all.slice(i, i + 64).map((k) => storage.delete(k)));
}

export interface LogLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** A logger that keeps its lines for assertions (and prints them with GANVAS_TEST_ECHO=1). */
export function memoryLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log: Logger = (level, message, fields = {}) => {
    lines.push({ level, message, ...fields });
    if (process.env.GANVAS_TEST_ECHO === "1")
      process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
  };
  return { log, lines };
}

export function spec(prompt: string, seed: number, model = "fashion-cdcgan@1", n = 1): JobSpec {
  return { task: "text-to-image", model, params: { prompt, n, seed }, input: null };
}

/** Enqueues jobs the way the edge does; returns their records, in order. */
export async function enqueue(
  storage: Storage,
  specs: readonly JobSpec[],
  options: { subscriber?: Subscriber; maxAttempts?: number; concurrency?: number } = {},
): Promise<JobRecord[]> {
  const out: JobRecord[] = new Array(specs.length);
  let next = 0;
  const lane = async () => {
    while (next < specs.length) {
      const i = next++;
      const s = specs[i] as JobSpec;
      const { job } = await enqueueJob(storage, {
        id: await cacheKey(s),
        spec: s,
        subscriber: options.subscriber,
        baseUrl: "http://127.0.0.1:8787",
        maxAttempts: options.maxAttempts ?? 3,
      });
      out[i] = job;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 1, specs.length) }, lane));
  return out;
}

/** 1×1 PNG-ish bytes derived from the job's seed: enough for the loop, which never decodes them. */
function fakeImage(s: JobSpec): GeneratedImage {
  return { png: new TextEncoder().encode(`png:${String(s.params.seed)}`), width: 1, height: 1 };
}

/**
 * A runner that records each runBatch call; `hold` makes calls wait until released, `fail` decides which
 * jobs throw (which makes the whole call throw, as a real generator would).
 */
export function fakeRunner(options: { fail?: (s: JobSpec) => boolean } = {}) {
  const calls: JobSpec[][] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let entered: (() => void) | undefined;
  const runner: Runner & {
    calls: JobSpec[][];
    hold(): { entered: Promise<void>; release(): void };
  } = {
    backend: "fake",
    calls,
    batchKey: (s) => `${s.task}:${s.model}`,
    async runBatch(specs) {
      calls.push([...specs]);
      entered?.();
      if (gate) await gate;
      const bad = specs.find((s) => options.fail?.(s));
      if (bad) throw new Error(`cannot draw ${String(bad.params.prompt)}`);
      return specs.map((s) => [fakeImage(s)]);
    },
    hold() {
      gate = new Promise<void>((r) => {
        open = r;
      });
      const enteredP = new Promise<void>((r) => {
        entered = r;
      });
      return {
        entered: enteredP,
        release: () => {
          gate = undefined;
          entered = undefined;
          open?.();
        },
      };
    },
  };
  return runner;
}

export function testContext(storage: Storage, runner: Runner, extra: Partial<JobLoopOptions> = {}) {
  const { log, lines } = memoryLogger();
  const metrics = new WorkerMetrics();
  const ctx = loopContext({
    storage,
    runner,
    workerId: "test-worker",
    leaseMs: 2000,
    pollMs: 20,
    backoffMaxMs: 200,
    batchWindowMs: 0,
    log,
    metrics,
    ...extra,
  });
  return { ctx, lines, metrics };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on loopback answering per path with a status (default 204) and headers. */
export async function receiver() {
  const got: Received[] = [];
  const answers = new Map<string, { status: number; headers?: Record<string, string> }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      got.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      const a = answers.get(path);
      res.writeHead(a?.status ?? 204, a?.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    answers,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    at: (path: string) => got.filter((g) => g.path === path),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
