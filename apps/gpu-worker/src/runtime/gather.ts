import {
  claim,
  isClaimable,
  isTerminal,
  type JobRecord,
  keys,
  parseQueueMarker,
  readJob,
  updateJob,
} from "@ganvas/shared";
import type { LoopContext } from "./context.ts";
import { finishJob, sweepEnded } from "./finish.ts";
import { releaseJob } from "./leases.ts";
import { sleep } from "./retry.ts";

export interface Claimed {
  job: JobRecord;
  /** Every queue marker seen for the job (a job asked for again after a cancel has two). */
  markerKeys: string[];
}

const LIST_LIMIT = 1000;
/** Job records read at once while looking for claimable jobs. */
const READ_AHEAD = 8;

async function tryClaim(ctx: LoopContext, id: string): Promise<JobRecord | undefined> {
  let mine = false;
  const job = await updateJob(ctx.storage, id, (j) => {
    mine = isClaimable(j, Date.now());
    return mine ? claim(j, ctx.workerId, ctx.leaseMs, Date.now()) : undefined;
  });
  return mine ? job : undefined;
}

/**
 * Dynamic batching: claims (each with its own compare-and-swap) up to `batchMax` claimable jobs that share
 * the runner's batch key, oldest first, listing the queue again for `batchWindowMs` after the first claim
 * to pick up jobs that arrive meanwhile. Sweeps markers of jobs that have ended on the way. Returns nothing
 * when no job is claimable; when `signal` aborts mid-way it releases what it claimed and returns nothing.
 */
export async function gatherBatch(ctx: LoopContext, signal: AbortSignal): Promise<Claimed[]> {
  const { storage } = ctx;
  const batch: Claimed[] = [];
  /** Looked at and not claimable by us in this gathering (ended, leased elsewhere, lost the race). */
  const passedOver = new Set<string>();
  /** Claimable but for another batch key than this batch's. */
  const otherKey = new Set<string>();
  let batchKey: string | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  for (;;) {
    const listed = await storage.list(keys.queuePrefix, LIST_LIMIT);
    ctx.metrics.queueDepth = listed.length;
    const markersById = new Map<string, { enqueuedAt: number; keys: string[] }>();
    for (const key of listed) {
      const m = parseQueueMarker(key);
      if (!m) continue;
      const entry = markersById.get(m.id);
      if (entry) entry.keys.push(key);
      else markersById.set(m.id, { enqueuedAt: m.enqueuedAt, keys: [key] });
    }
    for (const c of batch) {
      for (const k of markersById.get(c.job.id)?.keys ?? [])
        if (!c.markerKeys.includes(k)) c.markerKeys.push(k);
    }
    const candidates = [...markersById].filter(
      ([id]) => !passedOver.has(id) && !otherKey.has(id) && !batch.some((c) => c.job.id === id),
    );
    for (
      let i = 0;
      i < candidates.length && batch.length < ctx.batchMax && !signal.aborted;
      i += READ_AHEAD
    ) {
      const chunk = candidates.slice(i, i + READ_AHEAD);
      const read = await Promise.all(chunk.map(([id]) => readJob(storage, id)));
      const now = Date.now();
      const toClaim: [string, string[]][] = [];
      for (const [j, [id, marker]] of chunk.entries()) {
        const current = read[j];
        if (current == null) {
          passedOver.add(id);
          if (now - marker.enqueuedAt > ctx.orphanMarkerMs)
            await Promise.all(marker.keys.map((k) => storage.delete(k)));
          continue;
        }
        const job = current.value;
        if (isTerminal(job.status)) {
          passedOver.add(id);
          await sweepEnded(ctx, job, marker.keys);
          continue;
        }
        if (!isClaimable(job, now)) {
          passedOver.add(id);
          continue;
        }
        const key = ctx.runner.batchKey(job);
        batchKey ??= key;
        if (key !== batchKey || batch.length + toClaim.length >= ctx.batchMax) {
          otherKey.add(id);
          continue;
        }
        toClaim.push([id, marker.keys]);
      }
      const claimed = await Promise.all(toClaim.map(([id]) => tryClaim(ctx, id)));
      for (const [j, job] of claimed.entries()) {
        const [id = "", markerKeys = []] = toClaim[j] ?? [];
        passedOver.add(id);
        if (job === undefined) continue;
        if (job.status === "failed") {
          // Its last worker vanished with its last attempt: it ends here, with the reason.
          ctx.metrics.job("failed");
          ctx.log("warn", "job out of attempts", {
            jobId: job.id,
            attempts: job.attempts,
            error: job.error?.message,
          });
          await finishJob(ctx, job, markerKeys, []);
          continue;
        }
        ctx.held.set(job.id, job);
        batch.push({ job, markerKeys });
        if (deadline === Number.POSITIVE_INFINITY) deadline = Date.now() + ctx.batchWindowMs;
      }
    }
    if (batch.length === 0 && batchKey !== undefined && !signal.aborted) {
      // The jobs of the first model we saw went to other workers; look again at the other models.
      batchKey = undefined;
      if (otherKey.size > 0) {
        otherKey.clear();
        continue;
      }
    }
    if (signal.aborted) {
      await Promise.all(batch.map((c) => releaseJob(ctx, c.job.id)));
      return [];
    }
    if (batch.length === 0 || batch.length >= ctx.batchMax || Date.now() >= deadline) return batch;
    await sleep(Math.min(deadline - Date.now(), Math.max(2, ctx.batchWindowMs / 4)), signal);
  }
}
