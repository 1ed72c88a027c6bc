import type { JobRecord, Storage } from "@ganvas/shared";
import type { Logger } from "./log.ts";
import { WorkerMetrics } from "./metrics.ts";
import { retryStorage } from "./retry.ts";
import type { Runner } from "./runner.ts";

export interface JobLoopOptions {
  storage: Storage;
  runner: Runner;
  workerId: string;
  leaseMs: number;
  pollMs: number;
  log: Logger;
  /** Most jobs of one batch key per generator call (default 32). */
  batchMax?: number;
  /** How long to keep gathering after the first claim (default 20 ms). */
  batchWindowMs?: number;
  /** Cap of the exponential backoff while S3 is unreachable (default 10 s). */
  backoffMaxMs?: number;
  /** How long one step keeps retrying an unreachable S3 before leaving the job to its lease (default 120 s). */
  storageGiveUpMs?: number;
  /** A marker whose job never appeared (its edge died between the two writes) is swept after this. */
  orphanMarkerMs?: number;
  metrics?: WorkerMetrics;
  /** Called when a finished job's webhook deliveries are in the bucket, to send them at once. */
  onDeliveriesRecorded?: () => void;
  /** Jobs this worker holds a lease on; shared with serve(), which releases them if shutdown runs out of time. */
  held?: Map<string, JobRecord>;
}

export type LoopContext = Required<Omit<JobLoopOptions, "onDeliveriesRecorded">> &
  Pick<JobLoopOptions, "onDeliveriesRecorded"> & {
    /** Runs an S3 step that is safe to repeat, retrying while S3 is unreachable. */
    retry<T>(fn: () => Promise<T>): Promise<T>;
  };

export function loopContext(opts: JobLoopOptions): LoopContext {
  const metrics = opts.metrics ?? new WorkerMetrics();
  const backoffMaxMs = opts.backoffMaxMs ?? 10_000;
  const storageGiveUpMs = opts.storageGiveUpMs ?? 120_000;
  return {
    batchMax: 32,
    batchWindowMs: 20,
    orphanMarkerMs: 60_000,
    held: new Map(),
    ...opts,
    backoffMaxMs,
    storageGiveUpMs,
    metrics,
    retry: async (fn) => {
      const out = await retryStorage(fn, {
        initialMs: Math.min(opts.pollMs, backoffMaxMs),
        maxMs: backoffMaxMs,
        giveUpMs: storageGiveUpMs,
        onRetry: (err, waitMs) => {
          metrics.storageError(err);
          opts.log("warn", "storage unreachable; retrying", { error: err.message, backoffMs: waitMs });
        },
      });
      metrics.storageOk();
      return out;
    },
  };
}
