import { isLeasedTo, readJob, release, renewLease, StorageUnavailableError, updateJob } from "@ganvas/shared";
import type { LoopContext } from "./context.ts";
import { errorMessage } from "./log.ts";

/** held: still ours. canceled: someone canceled it. lost: another worker took it over (our lease ran out). */
export type LeaseState = "held" | "canceled" | "lost";

/** Renews our lease on a job, which also tells whether we still hold it. */
export async function renewIfMine(ctx: LoopContext, id: string): Promise<LeaseState> {
  let state: LeaseState = "held";
  const job = await updateJob(ctx.storage, id, (j) => {
    if (isLeasedTo(j, ctx.workerId)) {
      state = "held";
      return renewLease(j, ctx.workerId, ctx.leaseMs, Date.now());
    }
    state = j.status === "canceled" ? "canceled" : "lost";
    return undefined;
  });
  return job === undefined ? "lost" : state;
}

/** Reads whether we still hold a job (a read, not a write: cheaper than renewing when the lease is fresh). */
export async function leaseState(ctx: LoopContext, id: string): Promise<LeaseState> {
  const job = (await readJob(ctx.storage, id))?.value;
  if (job === undefined) return "lost";
  if (isLeasedTo(job, ctx.workerId)) return "held";
  return job.status === "canceled" ? "canceled" : "lost";
}

/** Hands a claimed job back to the queue without counting the attempt. Returns whether it was ours. */
export async function releaseJob(ctx: LoopContext, id: string): Promise<boolean> {
  let mine = false;
  await updateJob(ctx.storage, id, (j) => {
    mine = isLeasedTo(j, ctx.workerId);
    return mine ? release(j, ctx.workerId, Date.now()) : undefined;
  });
  if (mine) {
    ctx.metrics.job("released");
    ctx.log("info", "job released to the queue", { jobId: id });
  }
  ctx.held.delete(id);
  return mine;
}

/** Releases every job this worker holds; for a shutdown that cannot wait for them to finish. */
export async function releaseHeld(ctx: LoopContext): Promise<number> {
  const ids = [...ctx.held.keys()];
  const released = await Promise.all(
    ids.map((id) =>
      releaseJob(ctx, id).catch((err) => {
        ctx.log("warn", "could not release job; its lease will run out", {
          jobId: id,
          error: errorMessage(err),
        });
        return false;
      }),
    ),
  );
  return released.filter(Boolean).length;
}

/**
 * Heartbeat for a running batch: renews each job's lease every third of the lease, and notes any job that
 * was canceled or taken over meanwhile, so its results are not published.
 */
export function watchLeases(ctx: LoopContext, ids: readonly string[]) {
  const states = new Map<string, LeaseState>(ids.map((id) => [id, "held"]));
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await Promise.all(
        ids.map(async (id) => {
          if (states.get(id) !== "held") return;
          try {
            const state = await renewIfMine(ctx, id);
            states.set(id, state);
            if (state !== "held") ctx.log("warn", `job ${state} while running`, { jobId: id });
          } catch (err) {
            if (err instanceof StorageUnavailableError) ctx.metrics.storageError(err);
            ctx.log("warn", "lease renewal failed", { jobId: id, error: errorMessage(err) });
          }
        }),
      );
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(50, ctx.leaseMs / 3));
  return {
    state: (id: string): LeaseState => states.get(id) ?? "lost",
    set: (id: string, state: LeaseState) => states.set(id, state),
    stop: () => clearInterval(timer),
  };
}
