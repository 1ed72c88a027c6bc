import { failAttempt, isLeasedTo, type JobRecord, succeed, updateJob } from "@ganvas/shared";
import type { LoopContext } from "./context.ts";
import { finishJob } from "./finish.ts";
import type { Claimed } from "./gather.ts";
import { type LeaseState, leaseState, watchLeases } from "./leases.ts";
import { errorMessage } from "./log.ts";
import { outputLinks, putImages, putManifest } from "./publish.ts";
import { mapLimit, toError } from "./retry.ts";
import type { GeneratedImage } from "./runner.ts";

/** Jobs of one batch published at once. */
const PUBLISH_CONCURRENCY = 8;

/**
 * Runs the generator once for the whole batch; if that throws, runs each job alone so that one bad job
 * fails by itself instead of taking the others' attempts with it.
 */
async function generate(ctx: LoopContext, batch: readonly Claimed[]): Promise<(GeneratedImage[] | Error)[]> {
  const specs = batch.map((c) => c.job);
  try {
    const out = await ctx.runner.runBatch(specs);
    if (out.length !== specs.length)
      throw new Error(`runner returned ${out.length} results for ${specs.length} jobs`);
    return out;
  } catch (err) {
    if (batch.length === 1) return [toError(err)];
    ctx.log("warn", "batch failed; running its jobs one by one", {
      jobIds: batch.map((c) => c.job.id),
      error: errorMessage(err),
    });
    const out: (GeneratedImage[] | Error)[] = [];
    for (const spec of specs) {
      out.push(await ctx.runner.runBatch([spec]).then((r) => r[0] ?? [], toError));
    }
    return out;
  }
}

/** Runs a claimed batch through one generator call, then publishes and finishes each job on its own. */
export async function runBatch(ctx: LoopContext, batch: readonly Claimed[]): Promise<void> {
  const started = performance.now();
  const ids = batch.map((c) => c.job.id);
  ctx.metrics.batch(batch.length);
  ctx.metrics.inFlight += batch.length;
  for (const { job } of batch) {
    ctx.log("info", "job claimed", {
      jobId: job.id,
      attempt: job.attempts,
      model: job.model,
      batch: batch.length,
    });
  }
  const leases = watchLeases(ctx, ids);
  try {
    const results = await generate(ctx, batch);
    await mapLimit(batch, PUBLISH_CONCURRENCY, (c, i) =>
      settle(ctx, c, results[i] ?? new Error("no result"), leases, started),
    );
  } finally {
    leases.stop();
    ctx.metrics.inFlight -= batch.length;
    for (const id of ids) ctx.held.delete(id);
  }
}

function dropped(ctx: LoopContext, job: JobRecord, state: LeaseState): void {
  ctx.metrics.job(state === "canceled" ? "canceled" : "lost");
  ctx.log(state === "canceled" ? "info" : "warn", `job ${state}; its results are not published`, {
    jobId: job.id,
  });
}

async function settle(
  ctx: LoopContext,
  { job, markerKeys }: Claimed,
  result: GeneratedImage[] | Error,
  leases: ReturnType<typeof watchLeases>,
  started: number,
): Promise<void> {
  const state = leases.state(job.id);
  if (state !== "held") return dropped(ctx, job, state);
  if (result instanceof Error) return failed(ctx, job, markerKeys, result);

  const images = await ctx.retry(() => putImages(ctx.storage, job, result));
  // Last look before the result becomes public: a cancel that came during the run stops it here.
  const now = await ctx.retry(() => leaseState(ctx, job.id));
  leases.set(job.id, now);
  if (now !== "held") return dropped(ctx, job, now);
  const runtime = { backend: ctx.runner.backend, ms: Math.round(performance.now() - started) };
  const manifest = await ctx.retry(() => putManifest(ctx.storage, job, images, runtime));
  let mine = false;
  const done = await ctx.retry(() =>
    updateJob(ctx.storage, job.id, (j) => {
      mine = isLeasedTo(j, ctx.workerId);
      return mine ? succeed(j, ctx.workerId, Date.now()) : undefined;
    }),
  );
  if (!mine || done === undefined)
    return dropped(ctx, job, done?.status === "canceled" ? "canceled" : "lost");
  ctx.held.delete(job.id);
  ctx.metrics.job("succeeded", Date.now() - job.createdAt, performance.now() - started);
  ctx.log("info", "job succeeded", { jobId: job.id, ms: runtime.ms, images: images.length });
  await finishJob(ctx, done, markerKeys, outputLinks(done, manifest.images));
}

/** A failed attempt: back to the queue while attempts remain; the failure webhook only on the last. */
async function failed(ctx: LoopContext, job: JobRecord, markerKeys: string[], err: Error): Promise<void> {
  ctx.log("error", "job attempt failed", { jobId: job.id, attempt: job.attempts, error: err.message });
  let mine = false;
  const after = await ctx.retry(() =>
    updateJob(ctx.storage, job.id, (j) => {
      mine = isLeasedTo(j, ctx.workerId);
      return mine ? failAttempt(j, ctx.workerId, err.message, Date.now()) : undefined;
    }),
  );
  ctx.held.delete(job.id);
  if (!mine || after === undefined) return;
  if (after.status === "failed") {
    ctx.metrics.job("failed");
    ctx.log("warn", "job failed for good", { jobId: job.id, attempts: after.attempts, error: err.message });
    await finishJob(ctx, after, markerKeys, []);
  } else {
    ctx.metrics.job("retried");
  }
}
