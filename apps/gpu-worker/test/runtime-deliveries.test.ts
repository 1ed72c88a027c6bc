import type { S3Server } from "@ganvas/infra";
import {
  generateWebhookSecret,
  type JobRecord,
  keys,
  newJob,
  type Storage,
  sha256Hex,
  verifyWebhook,
  WebhookPayload,
} from "@ganvas/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WorkerMetrics } from "../src/runtime/metrics.ts";
import { RETRY_SCHEDULE_S } from "../src/webhooks/deliver.ts";
import { DeliveryLoop, type DeliveryLoopOptions } from "../src/webhooks/delivery-loop.ts";
import { DeliveryRecord, recordDeliveries } from "../src/webhooks/records.ts";
import { emptyBucket, eventually, memoryLogger, receiver, startTestS3 } from "./runtime-helpers.ts";

let s3: S3Server;
let storage: Storage;
let hook: Awaited<ReturnType<typeof receiver>>;
const secret = generateWebhookSecret();
/** 0, 0.25 ms, 15 ms, 90 ms, 0.36 s, 0.9 s, 1.8 s, 1.8 s: the whole schedule in about 5 s. */
const SCALE = 0.00005;

beforeAll(async () => {
  [{ s3, storage }, hook] = await Promise.all([startTestS3(), receiver()]);
});
afterAll(async () => {
  await Promise.all([s3?.stop(), hook?.close()]);
});
beforeEach(async () => {
  await emptyBucket(storage);
  hook.got.length = 0;
  hook.answers.clear();
});

let seq = 0;
function finishedJob(urls: string[]): JobRecord {
  const id = (++seq).toString(16).padStart(64, "0");
  const base = newJob({
    id,
    spec: {
      task: "text-to-image",
      model: "fashion-cdcgan@1",
      params: { prompt: "a bag", seed: seq },
      input: null,
    },
    subscribers: urls.map((url, i) => ({ id: `sub_${i}`, url, events: ["job.succeeded", "job.failed"] })),
    baseUrl: "http://127.0.0.1:8787",
    now: 1000,
    maxAttempts: 3,
  });
  return { ...base, status: "succeeded", finishedAt: 2000, updatedAt: 2000 };
}

function loop(extra: Partial<DeliveryLoopOptions> = {}) {
  const { log, lines } = memoryLogger();
  const metrics = new WorkerMetrics();
  const l = new DeliveryLoop({
    storage,
    workerId: "w1",
    secret,
    retryScale: SCALE,
    timeoutMs: 2000,
    concurrency: 4,
    leaseMs: 1000,
    pollMs: 10,
    backoffMaxMs: 100,
    dev: true,
    log,
    metrics,
    ...extra,
  });
  return { l, lines, metrics };
}

/** Runs the loop until nothing is left under deliveries/. */
async function drain(l: DeliveryLoop, timeoutMs = 20_000) {
  const stop = new AbortController();
  const running = l.run(stop.signal);
  try {
    await eventually(
      "the deliveries to finish",
      async () => (await storage.list(keys.deliveriesPrefix)).length === 0,
      timeoutMs,
    );
  } finally {
    stop.abort();
    await running;
  }
}

const deadLetter = async (id: string) => (await storage.getJson(keys.deadLetter(id), DeliveryRecord))?.value;

describe("webhook deliveries", () => {
  it("delivers a signed event once per subscriber, with one webhook-id each, and clears the record", async () => {
    const job = finishedJob([hook.url("/a"), hook.url("/b")]);
    const ids = await recordDeliveries(storage, job, ["http://127.0.0.1:8787/r/x/0.png"]);
    expect(ids).toHaveLength(2);
    // Recording again (a second worker finishing the same job) adds nothing.
    expect(await recordDeliveries(storage, job, [])).toEqual(ids);
    const { l, metrics } = loop();
    await drain(l);
    expect(hook.got.map((g) => g.path).sort()).toEqual(["/a", "/b"]);
    for (const g of hook.got) {
      const payload = WebhookPayload.parse(await verifyWebhook(secret, g.headers, g.body));
      expect(payload).toMatchObject({
        type: "job.succeeded",
        data: { id: job.id, outputs: ["http://127.0.0.1:8787/r/x/0.png"] },
      });
      expect(ids).toContain(g.headers["webhook-id"]);
    }
    expect(metrics.deliveries.delivered).toBe(2);
  });

  it("retries 5xx on the (compressed) schedule with the same webhook-id, then keeps a dead letter", async () => {
    hook.answers.set("/down", { status: 503 });
    const [id] = await recordDeliveries(storage, finishedJob([hook.url("/down")]), []);
    const { l, metrics } = loop();
    await drain(l);
    const got = hook.at("/down");
    expect(got).toHaveLength(RETRY_SCHEDULE_S.length);
    expect(new Set(got.map((g) => g.headers["webhook-id"]))).toEqual(new Set([id]));
    for (let i = 1; i < got.length; i++) {
      const gap = got[i]!.at - got[i - 1]!.at;
      const scheduled = RETRY_SCHEDULE_S[i]! * 1000 * SCALE;
      expect(gap).toBeGreaterThanOrEqual(Math.floor(scheduled));
      expect(gap).toBeLessThan(scheduled + 500);
    }
    const dead = await deadLetter(id!);
    expect(dead).toMatchObject({ status: "dead", attempts: 8, lease: null });
    expect(dead?.history.map((h) => h.status)).toEqual(Array(8).fill(503));
    expect(dead?.reason).toMatch(/retries exhausted after 8 attempts; last: HTTP 503/);
    expect(metrics.deliveries).toMatchObject({ retried: 7, dead: 1, delivered: 0 });
  });

  it("retries a receiver that is down (connection refused) and dead-letters it", async () => {
    const [id] = await recordDeliveries(storage, finishedJob(["http://127.0.0.1:1/hook"]), []);
    const { l } = loop({ retryScale: SCALE / 5 });
    await drain(l);
    const dead = await deadLetter(id!);
    expect(dead?.attempts).toBe(8);
    expect(dead?.history.every((h) => /ECONNREFUSED/.test(h.error ?? ""))).toBe(true);
  });

  it("honours Retry-After on 429", async () => {
    hook.answers.set("/busy", { status: 429, headers: { "retry-after": "1" } });
    await recordDeliveries(storage, finishedJob([hook.url("/busy")]), []);
    const { l } = loop();
    const stop = new AbortController();
    const running = l.run(stop.signal);
    await eventually("the first attempt", async () => hook.at("/busy").length === 1, 5000);
    hook.answers.delete("/busy");
    await eventually("the second attempt", async () => hook.at("/busy").length === 2, 5000);
    stop.abort();
    await running;
    const [a, b] = hook.at("/busy");
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(1000);
    expect(b!.headers["webhook-id"]).toBe(a!.headers["webhook-id"]);
  });

  it("410 Gone disables the URL: no retry, no dead letter, and later events to it are not sent", async () => {
    hook.answers.set("/gone", { status: 410 });
    const [id] = await recordDeliveries(storage, finishedJob([hook.url("/gone")]), []);
    const { l, metrics } = loop();
    await drain(l);
    expect(hook.at("/gone")).toHaveLength(1);
    expect(await deadLetter(id!)).toBeUndefined();
    const disabled = await storage.getJson(
      keys.disabledWebhook(await sha256Hex(hook.url("/gone"))),
      DeliveryRecord.pick({ url: true }),
    );
    expect(disabled?.value.url).toBe(hook.url("/gone"));
    await recordDeliveries(storage, finishedJob([hook.url("/gone")]), []);
    await drain(l);
    expect(hook.at("/gone")).toHaveLength(1);
    expect(metrics.deliveries.disabled).toBe(2);
  });

  it("refuses loopback and private targets outside development mode, without sending", async () => {
    const job = finishedJob([
      hook.url("/private"),
      "http://10.1.2.3/hook",
      `http://localhost:${new URL(hook.url("/")).port}/x`,
    ]);
    const ids = await recordDeliveries(storage, job, []);
    const { l } = loop({ dev: false });
    await drain(l);
    expect(hook.got).toHaveLength(0);
    for (const id of ids) {
      const dead = await deadLetter(id);
      expect(dead?.attempts).toBe(1);
      expect(dead?.reason).toMatch(/loopback, private or link-local/);
    }
  });

  it("survives a worker restart: the next worker retries with the same webhook-id, and takes over a dead sender's lease", async () => {
    hook.answers.set("/flaky", { status: 500 });
    const [id] = await recordDeliveries(storage, finishedJob([hook.url("/flaky")]), []);
    expect(await loop().l.runOnce()).toBe(1);
    const after = await storage.getJson(keys.delivery(id!), DeliveryRecord);
    expect(after?.value).toMatchObject({ attempts: 1, lease: null, status: "pending" });
    // A worker claims it and dies mid-send: its lease is left behind.
    await storage.putJson(keys.delivery(id!), {
      ...after!.value,
      attempts: 2,
      lease: { owner: "dead", expiresAt: Date.now() + 300 },
    });
    hook.answers.delete("/flaky");
    const second = loop({ workerId: "w2" });
    expect(await second.l.runOnce()).toBe(0);
    await new Promise((r) => setTimeout(r, 350));
    await drain(second.l);
    const got = hook.at("/flaky");
    expect(got).toHaveLength(2);
    expect(got[1]!.headers["webhook-id"]).toBe(id);
    expect(second.metrics.deliveries.delivered).toBe(1);
  });
});
