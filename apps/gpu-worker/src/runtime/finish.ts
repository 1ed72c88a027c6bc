import { type JobRecord, keys, Manifest, parseQueueMarker } from "@ganvas/shared";
import { recordDeliveries } from "../webhooks/records.ts";
import type { LoopContext } from "./context.ts";
import { outputLinks } from "./publish.ts";

/**
 * The last steps of a job that has ended: its webhook deliveries go into the bucket, then its queue
 * markers are deleted. In that order, so a worker that dies in between leaves a marker, and whoever sweeps
 * it records the deliveries again (a no-op if they exist).
 */
export async function finishJob(
  ctx: LoopContext,
  job: JobRecord,
  markerKeys: readonly string[],
  outputs: string[],
): Promise<void> {
  const ids = await ctx.retry(() => recordDeliveries(ctx.storage, job, outputs));
  if (ids.length > 0) ctx.onDeliveriesRecorded?.();
  await ctx.retry(() => Promise.all(markerKeys.map((k) => ctx.storage.delete(k))));
}

/**
 * A marker whose job already ended. Right after a job ends its own worker is still finishing it (deliveries,
 * then markers), so a sweep within a lease of the end leaves it alone; later, the worker is presumed gone and
 * the sweep records the deliveries (absent ones only) and deletes the markers. A marker newer than the job's
 * last change belongs to a request that is starting the job afresh, and stays.
 */
export async function sweepEnded(
  ctx: LoopContext,
  job: JobRecord,
  markerKeys: readonly string[],
): Promise<void> {
  const endedAt = job.finishedAt ?? job.updatedAt;
  const now = Date.now();
  if (job.status !== "canceled" && now - endedAt < ctx.leaseMs) return;
  const stale = markerKeys.filter((k) => {
    const enqueuedAt = parseQueueMarker(k)?.enqueuedAt ?? 0;
    return enqueuedAt <= job.updatedAt || now - enqueuedAt > ctx.orphanMarkerMs;
  });
  if (stale.length === 0) return;
  let outputs: string[] = [];
  if (job.status === "succeeded") {
    const manifest = await ctx.storage.getJson(keys.manifest(job.id), Manifest);
    outputs = manifest ? outputLinks(job, manifest.value.images) : [];
  }
  await finishJob(ctx, job, stale, outputs);
}
