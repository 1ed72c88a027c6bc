import { type JobRecord, keys, Storage } from "@ganvas/shared";
import { selectBackend } from "../backend/select.ts";
import { DeliveryLoop } from "../webhooks/delivery-loop.ts";
import type { WorkerConfig } from "./config.ts";
import { loopContext } from "./context.ts";
import { type HealthServer, startHealthServer } from "./health-server.ts";
import { runJobLoop } from "./job-loop.ts";
import { releaseHeld } from "./leases.ts";
import { createLogger, errorMessage } from "./log.ts";
import { WorkerMetrics } from "./metrics.ts";
import { createRunner } from "./runners.ts";

/**
 * `ganvas-worker run`: serve jobs and webhook deliveries until SIGTERM/SIGINT. The first signal stops
 * taking work and finishes the batch in hand; if that takes longer than GANVAS_SHUTDOWN_GRACE_MS, or a
 * second signal comes, the jobs still held are released to the queue (no attempt counted) and it exits.
 */
export async function serve(config: WorkerConfig): Promise<void> {
  const log = createLogger({ worker: config.workerId });
  const backend = await selectBackend(config.backend);
  log("info", "worker starting", {
    backend: backend.name,
    tfjs: backend.version,
    bucket: config.storage.bucket,
    batchMax: config.batchMax,
    batchWindowMs: config.batchWindowMs,
    leaseMs: config.leaseMs,
  });
  const storage = new Storage(config.storage);
  const metrics = new WorkerMetrics(() => backend.tf.memory().numTensors);
  const controller = new AbortController();
  const held = new Map<string, JobRecord>();
  metrics.heldJobs = () => [...held.values()].map((job) => ({ id: job.id, attempts: job.attempts }));
  const deliveries = new DeliveryLoop({
    storage,
    workerId: config.workerId,
    secret: config.webhookSecret,
    retryScale: config.webhookRetryScale,
    timeoutMs: config.webhookTimeoutMs,
    concurrency: config.webhookConcurrency,
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
    backoffMaxMs: config.backoffMaxMs,
    dev: config.dev,
    log,
    metrics,
  });
  const ctx = loopContext({
    storage,
    runner: createRunner(config.modelsDir, backend.name, {}, async (sha256) => {
      const input = await storage.get(keys.input(sha256));
      if (!input) throw new Error(`input image ${sha256} is not in the bucket`);
      return input.body;
    }),
    workerId: config.workerId,
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
    batchMax: config.batchMax,
    batchWindowMs: config.batchWindowMs,
    backoffMaxMs: config.backoffMaxMs,
    log,
    metrics,
    held,
    onDeliveriesRecorded: () => deliveries.wake(),
  });

  let health: HealthServer | undefined;
  if (config.metricsPort !== undefined) {
    try {
      health = await startHealthServer(config.metricsPort, {
        workerId: config.workerId,
        backend: backend.name,
        metrics,
        draining: () => controller.signal.aborted,
      });
      log("info", "health and metrics listening", { url: `http://127.0.0.1:${health.port}` });
    } catch (err) {
      log("warn", "health and metrics server did not start; set GANVAS_METRICS_PORT", {
        port: config.metricsPort,
        error: errorMessage(err),
      });
    }
  }

  let graceTimer: NodeJS.Timeout | undefined;
  const releaseAndExit = async (why: string) => {
    log("warn", "shutdown cannot wait any longer; releasing held jobs", { why, held: held.size });
    const released = await releaseHeld(ctx);
    log("info", "worker stopped", { released });
    process.exit(0);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      void releaseAndExit(`second ${signal}`);
      return;
    }
    log("info", "shutting down: finishing the jobs in hand, taking no more", { signal, held: held.size });
    controller.abort();
    graceTimer = setTimeout(() => void releaseAndExit("grace period over"), config.shutdownGraceMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  await Promise.all([runJobLoop(ctx, controller.signal), deliveries.run(controller.signal)]);
  clearTimeout(graceTimer);
  await health?.close();
  log("info", "worker stopped", { jobs: metrics.jobs, deliveries: metrics.deliveries });
}
