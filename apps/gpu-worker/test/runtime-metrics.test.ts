import { StorageUnavailableError } from "@ganvas/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, startHealthServer } from "../src/runtime/health-server.ts";
import { WorkerMetrics } from "../src/runtime/metrics.ts";

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(metrics: WorkerMetrics, draining = false) {
  server = await startHealthServer(0, { workerId: "w1", backend: "wasm", metrics, draining: () => draining });
  return (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server?.port}${path}`, init);
}

describe("health and metrics", () => {
  it("exposes jobs, rate, batch-size histogram, queue depth and latency percentiles as Prometheus text", async () => {
    const metrics = new WorkerMetrics(() => 42);
    metrics.batch(1);
    metrics.batch(5);
    metrics.batch(32);
    for (let i = 1; i <= 100; i++) metrics.job("succeeded", i * 10, 5);
    metrics.job("failed");
    metrics.queueDepth = 7;
    metrics.delivery("dead");
    metrics.heldJobs = () => [
      { id: "j1", attempts: 1 },
      { id: "j2", attempts: 2 },
    ];
    const get = await serve(metrics);
    const res = await get("/metrics");
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    for (const line of [
      'ganvas_jobs_total{outcome="succeeded"} 100',
      'ganvas_jobs_total{outcome="failed"} 1',
      "ganvas_queue_depth 7",
      'ganvas_batch_size_bucket{le="1"} 1',
      'ganvas_batch_size_bucket{le="8"} 2',
      'ganvas_batch_size_bucket{le="32"} 3',
      'ganvas_batch_size_bucket{le="+Inf"} 3',
      "ganvas_batch_size_sum 38",
      "ganvas_batch_size_count 3",
      'ganvas_job_latency_seconds{quantile="0.5"} 0.5',
      'ganvas_job_latency_seconds{quantile="0.95"} 0.95',
      'ganvas_job_latency_seconds{quantile="0.99"} 0.99',
      'ganvas_webhook_deliveries_total{outcome="dead"} 1',
      "ganvas_tf_tensors 42",
      "ganvas_jobs_held 2",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
    expect(text).toMatch(/^ganvas_jobs_per_second \d+(\.\d+)?$/m);
    const json = (await (await get("/metrics?format=json")).json()) as { jobsPerSecond: number };
    expect(json).toMatchObject({
      worker: "w1",
      jobs: { succeeded: 100 },
      queueDepth: 7,
      latencySeconds: { p50: 0.5, p95: 0.95, p99: 0.99 },
      held: 2,
      heldJobs: [
        { id: "j1", attempts: 1 },
        { id: "j2", attempts: 2 },
      ],
    });
    expect(json.jobsPerSecond).toBeGreaterThan(0);
  });

  it("healthz answers 200 while S3 answers, 503 when it does not or when draining", async () => {
    const metrics = new WorkerMetrics();
    const get = await serve(metrics);
    metrics.storageOk();
    expect((await get("/healthz")).status).toBe(200);
    metrics.storageError(new StorageUnavailableError(new Error("connect ECONNREFUSED")));
    const down = await get("/healthz");
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: "storage-unreachable", storage: { healthy: false } });
    await new Promise((r) => setTimeout(r, 2));
    metrics.storageOk();
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/nope")).status).toBe(404);
    await server?.close();
    const draining = await serve(metrics, true);
    expect(await (await draining("/healthz")).json()).toMatchObject({ status: "draining" });
  });
});
