import type { S3Server } from "@ganvas/infra";
import {
  cacheKey,
  cancelJob,
  claim,
  enqueueJob,
  type JobRecord,
  keys,
  Manifest,
  readJob,
  type Storage,
  updateJob,
} from "@ganvas/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runJobLoop, runOnce } from "../src/runtime/job-loop.ts";
import { releaseHeld } from "../src/runtime/leases.ts";
import { DeliveryRecord } from "../src/webhooks/records.ts";
import {
  emptyBucket,
  enqueue,
  eventually,
  fakeRunner,
  spec,
  startTestS3,
  testContext,
} from "./runtime-helpers.ts";

let s3: S3Server;
let storage: Storage;

beforeAll(async () => {
  ({ s3, storage } = await startTestS3());
});
afterAll(async () => {
  await s3?.stop();
});
beforeEach(async () => {
  await emptyBucket(storage);
});

const sub = {
  id: "sub_1",
  url: "http://127.0.0.1:9/hook",
  events: ["job.succeeded" as const, "job.failed" as const],
};
const job = async (id: string) => (await readJob(storage, id))?.value as JobRecord;
const deliveries = async () =>
  Promise.all(
    (await storage.list(keys.deliveriesPrefix)).map(
      async (k) => (await storage.getJson(k, DeliveryRecord))?.value,
    ),
  );

describe("dynamic batching", () => {
  it("runs queued jobs of one model as one generator call, then publishes each job on its own", async () => {
    const runner = fakeRunner();
    const { ctx, metrics } = testContext(storage, runner);
    const models = ["a@1", "b@1", "a@1", "a@1", "b@1", "a@1", "a@1"];
    const jobs = await enqueue(
      storage,
      models.map((m, i) => spec("a dress", i, m)),
      { subscriber: sub },
    );
    expect(await runOnce(ctx)).toBe(5);
    expect(await runOnce(ctx)).toBe(2);
    expect(await runOnce(ctx)).toBe(0);
    expect(runner.calls.map((c) => c.map((s) => `${s.model}#${s.params.seed}`))).toEqual([
      ["a@1#0", "a@1#2", "a@1#3", "a@1#5", "a@1#6"],
      ["b@1#1", "b@1#4"],
    ]);
    for (const j of jobs) {
      expect(await job(j.id)).toMatchObject({ status: "succeeded", attempts: 1, lease: null });
      const manifest = await storage.getJson(keys.manifest(j.id), Manifest);
      expect(manifest?.value.images).toEqual([expect.objectContaining({ key: keys.resultImage(j.id, 0) })]);
      const png = await storage.get(keys.resultImage(j.id, 0));
      expect(new TextDecoder().decode(png?.body)).toBe(`png:${j.params.seed}`);
    }
    expect(await storage.list(keys.queuePrefix)).toEqual([]);
    const events = await deliveries();
    expect(events.map((d) => d?.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(events.every((d) => d?.event === "job.succeeded" && d.status === "pending")).toBe(true);
    expect(metrics.snapshot()).toMatchObject({
      batches: 2,
      jobs: { succeeded: 7 },
      batchSize: { mean: 3.5 },
    });
  });

  it("caps a batch at batchMax", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner, { batchMax: 2 });
    await enqueue(
      storage,
      [0, 1, 2, 3, 4].map((i) => spec("a coat", i)),
    );
    while ((await runOnce(ctx)) > 0);
    expect(runner.calls.map((c) => c.length)).toEqual([2, 2, 1]);
  });

  it("keeps gathering for batchWindowMs after the first claim", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner, { batchWindowMs: 1500 });
    const [first] = await enqueue(storage, [spec("a bag", 1)]);
    const running = runOnce(ctx);
    await eventually(
      "the first job to be claimed",
      async () => (await job(first!.id)).status === "running",
      5000,
    );
    await enqueue(storage, [spec("a bag", 2)]);
    expect(await running).toBe(2);
    expect(runner.calls).toHaveLength(1);
  });
});

describe("attempts and failures", () => {
  it("fails a bad job alone and retries it; out of attempts it ends failed, and only then a failure webhook", async () => {
    const runner = fakeRunner({ fail: (s) => s.params.prompt === "a sandal" });
    const { ctx, metrics } = testContext(storage, runner);
    const [good1, bad, good2] = await enqueue(
      storage,
      [spec("a shirt", 1), spec("a sandal", 2), spec("a shirt", 3)],
      { subscriber: sub, maxAttempts: 2 },
    );
    expect(await runOnce(ctx)).toBe(3);
    expect(runner.calls.map((c) => c.length)).toEqual([3, 1, 1, 1]);
    expect(await job(good1!.id)).toMatchObject({ status: "succeeded" });
    expect(await job(good2!.id)).toMatchObject({ status: "succeeded" });
    expect(await job(bad!.id)).toMatchObject({
      status: "queued",
      attempts: 1,
      error: { message: "cannot draw a sandal" },
    });
    expect((await deliveries()).map((d) => d?.jobId)).not.toContain(bad!.id);

    expect(await runOnce(ctx)).toBe(1);
    expect(await job(bad!.id)).toMatchObject({
      status: "failed",
      attempts: 2,
      error: { message: "cannot draw a sandal" },
    });
    const failure = (await deliveries()).find((d) => d?.jobId === bad!.id);
    expect(failure).toMatchObject({ event: "job.failed", attempts: 0 });
    expect(JSON.parse(failure!.body)).toMatchObject({
      type: "job.failed",
      data: { id: bad!.id, status: "failed", error: { message: "cannot draw a sandal" } },
    });
    expect(await storage.list(keys.queuePrefix)).toEqual([]);
    expect(metrics.jobs).toMatchObject({ succeeded: 2, retried: 1, failed: 1 });
  });

  it("takes over a job whose worker died once its lease runs out, counting the attempt", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner);
    const [a, b] = await enqueue(storage, [spec("a pullover", 1), spec("a pullover", 2)], {
      subscriber: sub,
      maxAttempts: 2,
    });
    const now = Date.now();
    // a: claimed by a worker that then vanished. b: that happened twice, using up its attempts.
    await updateJob(storage, a!.id, (j) => claim(j, "dead-worker", 400, now));
    await updateJob(storage, b!.id, (j) => claim(claim(j, "dead-1", 1, now - 10), "dead-2", 400, now));
    expect(await runOnce(ctx)).toBe(0);
    expect(runner.calls).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 450));
    expect(await runOnce(ctx)).toBe(1);
    expect(await job(a!.id)).toMatchObject({ status: "succeeded", attempts: 2 });
    const gaveUp = await job(b!.id);
    expect(gaveUp).toMatchObject({ status: "failed", attempts: 2 });
    expect(gaveUp.error?.message).toMatch(/gave up after 2 attempts/);
    expect((await deliveries()).find((d) => d?.jobId === b!.id)?.event).toBe("job.failed");
    expect(await storage.list(keys.queuePrefix)).toEqual([]);
  });

  it("renews the lease while a batch runs longer than the lease, so no one else takes it", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner, { leaseMs: 600 });
    const other = testContext(storage, fakeRunner(), { workerId: "other", leaseMs: 600 }).ctx;
    const [j] = await enqueue(storage, [spec("a trouser", 1)]);
    const gate = runner.hold();
    const running = runOnce(ctx);
    await gate.entered;
    await new Promise((r) => setTimeout(r, 1500));
    expect(await runOnce(other)).toBe(0);
    gate.release();
    await running;
    expect(await job(j!.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});

describe("cancel", () => {
  it("a job canceled while it runs publishes nothing and records no webhook", async () => {
    const runner = fakeRunner();
    const { ctx, metrics, lines } = testContext(storage, runner);
    const [j] = await enqueue(storage, [spec("a sneaker", 1)], { subscriber: sub });
    const gate = runner.hold();
    const running = runOnce(ctx);
    await gate.entered;
    expect(await cancelJob(storage, j!.id)).toMatchObject({ status: "canceled", lease: null });
    gate.release();
    await running;
    expect(await job(j!.id)).toMatchObject({ status: "canceled" });
    expect(await storage.exists(keys.manifest(j!.id))).toBe(false);
    expect(await deliveries()).toEqual([]);
    expect(metrics.jobs.canceled).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ jobId: j!.id, message: expect.stringMatching(/canceled/) }),
    );
    // The marker goes at the next pass, still without running it.
    expect(await runOnce(ctx)).toBe(0);
    expect(await storage.list(keys.queuePrefix)).toEqual([]);
    expect(runner.calls).toHaveLength(1);
  });

  it("a queued job canceled before any worker saw it never runs; cancel leaves ended jobs alone", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner);
    const [q, done] = await enqueue(storage, [spec("a bag", 1), spec("a bag", 2)]);
    expect((await cancelJob(storage, q!.id))?.status).toBe("canceled");
    expect(await runOnce(ctx)).toBe(1);
    expect(runner.calls.flat().map((s) => s.params.seed)).toEqual([2]);
    expect((await cancelJob(storage, done!.id))?.status).toBe("succeeded");
    expect(await cancelJob(storage, "f".repeat(64))).toBeUndefined();
    expect(await storage.list(keys.queuePrefix)).toEqual([]);
  });
});

describe("shutdown", () => {
  it("releases a batch still being gathered, without counting the attempt", async () => {
    const runner = fakeRunner();
    const { ctx, metrics } = testContext(storage, runner, { batchWindowMs: 10_000 });
    const [j] = await enqueue(storage, [spec("a dress", 1)]);
    const stop = new AbortController();
    const loop = runJobLoop(ctx, stop.signal);
    await eventually("the claim", async () => (await job(j!.id)).status === "running", 5000);
    stop.abort();
    await loop;
    expect(await job(j!.id)).toMatchObject({ status: "queued", attempts: 0, lease: null });
    expect(runner.calls).toHaveLength(0);
    expect(metrics.jobs.released).toBe(1);
  });

  it("finishes a batch already running", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner);
    const [j] = await enqueue(storage, [spec("a dress", 2)]);
    const gate = runner.hold();
    const stop = new AbortController();
    const loop = runJobLoop(ctx, stop.signal);
    await gate.entered;
    stop.abort();
    gate.release();
    await loop;
    expect(await job(j!.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("releaseHeld hands running jobs back when shutdown cannot wait; their results are not published", async () => {
    const runner = fakeRunner();
    const { ctx } = testContext(storage, runner);
    const [j] = await enqueue(storage, [spec("a coat", 3)]);
    const gate = runner.hold();
    const running = runOnce(ctx);
    await gate.entered;
    expect(await releaseHeld(ctx)).toBe(1);
    expect(await job(j!.id)).toMatchObject({ status: "queued", attempts: 0, lease: null });
    gate.release();
    await running;
    expect(await storage.exists(keys.manifest(j!.id))).toBe(false);
    expect(await job(j!.id)).toMatchObject({ status: "queued", attempts: 0 });
  });
});

describe("enqueueJob", () => {
  it("identical requests racing to create a job end with one job, every subscriber, and one queue marker", async () => {
    const s = spec("a dress", 77);
    const id = await cacheKey(s);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        enqueueJob(storage, {
          id,
          spec: s,
          subscriber: { ...sub, id: `sub_${i}` },
          baseUrl: "http://127.0.0.1:8787",
          maxAttempts: 3,
        }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await job(id)).subscribers.map((x) => x.id).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `sub_${i}`),
    );
    expect(await storage.list(keys.queuePrefix)).toHaveLength(1);
  });
});
