import { JobRecord, keys, verifyWebhook, WebhookPayload } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { postJson, startStack, type TestStack } from "../helpers/stack.ts";
import { WorkerPool, waitFor } from "../helpers/workers.ts";

// The S3 server goes away for OUTAGE_MS while jobs are in flight, then comes back with its data. The workers
// are never restarted: they back off (capped at GANVAS_BACKOFF_MAX_MS), keep their leases where they can, and
// carry on by themselves.
const OUTAGE_MS = 10_000;
const BEFORE = 30;
const AFTER = 10;

let stack: TestStack;
let receiver: Receiver;
let pool: WorkerPool;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([
    startStack({ edgeVars: { GANVAS_RATE_LIMIT_PER_MINUTE: "0" } }),
    startReceiver(),
  ]);
  pool = new WorkerPool(stack, {
    GANVAS_LEASE_MS: "2000",
    GANVAS_BATCH_MAX: "4",
    GANVAS_BACKOFF_MAX_MS: "1000",
    GANVAS_WEBHOOK_TIMEOUT_MS: "2000",
  });
  await pool.start(3);
});

afterAll(async () => {
  await pool?.stop();
  await Promise.all([stack?.stop(), receiver?.close()]);
});

const post = (i: number) =>
  postJson(`${stack.edge.url}/v1/images/text-to-image`, {
    prompt: i % 2 ? "a sneaker" : "an ankle boot",
    n: 4,
    seed: 5000 + i,
    webhook: { url: receiver.url("/outage") },
  });

describe("S3 outage", () => {
  it(`loses nothing when the S3 server is down for ${OUTAGE_MS / 1000} s mid-run; workers resume by themselves`, async () => {
    const before = await Promise.all(Array.from({ length: BEFORE }, (_, i) => post(i)));
    expect(before.every((r) => r.status === 202)).toBe(true);
    await waitFor("the first results", () => receiver.byWebhookId("/outage").size >= 3, 30_000, undefined, 5);
    await stack.s3.pause();
    const pausedAt = Date.now();
    // Mid-run: some jobs had not finished when the server went away.
    const heardBefore = receiver.byWebhookId("/outage").size;
    expect(heardBefore).toBeGreaterThanOrEqual(3);
    expect(heardBefore).toBeLessThan(BEFORE);

    // The workers notice: their health check turns 503 while S3 is unreachable, and none of them exits.
    await waitFor(
      "every worker to report S3 unreachable",
      async () => {
        const codes = await Promise.all([0, 1, 2].map((i) => pool.health(i)));
        return codes.every((c) => c === 503);
      },
      OUTAGE_MS - 1000,
    );
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - pausedAt)));
    expect([0, 1, 2].every((i) => pool.alive(i))).toBe(true);
    await stack.s3.resume();

    const after = await Promise.all(Array.from({ length: AFTER }, (_, i) => post(BEFORE + i)));
    expect(after.every((r) => r.status === 202)).toBe(true);
    const ids = [...before, ...after].map((r) => r.json.id as string);
    expect(new Set(ids).size).toBe(BEFORE + AFTER);

    await waitFor(
      "a webhook for every job",
      () => receiver.byWebhookId("/outage").size >= ids.length,
      60_000,
      () => `${receiver.byWebhookId("/outage").size}/${ids.length}`,
    );
    for (const id of ids) {
      const job = (await stack.storage.getJson(keys.job(id), JobRecord))?.value;
      expect(job?.status, id).toBe("succeeded");
      expect(await stack.storage.exists(keys.manifest(id))).toBe(true);
      for (let i = 0; i < 4; i++) expect(await stack.storage.exists(keys.resultImage(id, i))).toBe(true);
    }
    const heard = new Set<string>();
    for (const [, [d]] of receiver.byWebhookId("/outage")) {
      const p = WebhookPayload.parse(await verifyWebhook(stack.webhookSecret, d!.headers as never, d!.body));
      expect(p.type).toBe("job.succeeded");
      heard.add(p.data.id);
    }
    expect([...heard].sort()).toEqual([...ids].sort());
    // Same processes throughout, healthy again, nothing left behind.
    expect(pool.slots.every((w) => w.generation === 0)).toBe(true);
    expect([0, 1, 2].every((i) => pool.alive(i))).toBe(true);
    await waitFor(
      "every worker healthy",
      async () => (await Promise.all([0, 1, 2].map((i) => pool.health(i)))).every((c) => c === 200),
      10_000,
    );
    expect(await stack.storage.list(keys.queuePrefix)).toEqual([]);
    expect(await stack.storage.list(keys.deadLettersPrefix)).toEqual([]);
    const metrics = await Promise.all([0, 1, 2].map((i) => pool.metrics(i)));
    console.log(
      `heard before the outage: ${heardBefore}/${BEFORE}; storage errors seen: ${JSON.stringify(metrics.map((m) => (m as unknown as { storage: { errors: number } })?.storage.errors))}`,
    );
  });
});
