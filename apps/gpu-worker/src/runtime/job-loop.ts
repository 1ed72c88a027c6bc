import { StorageUnavailableError } from "@ganvas/shared";
import { runBatch } from "./batch.ts";
import { type JobLoopOptions, type LoopContext, loopContext } from "./context.ts";
import { gatherBatch } from "./gather.ts";
import { Backoff, sleep, toError } from "./retry.ts";

export type { JobLoopOptions } from "./context.ts";

/**
 * The worker's main loop: gather a batch of claimable jobs of one model (each claimed with a
 * compare-and-swap write), run them as one generator call, publish each job's results, record its
 * webhooks. Any number of these loops may run against one bucket; the conditional writes decide who runs
 * what. When `signal` aborts it finishes the batch in hand (or releases one not yet started) and returns.
 */
export async function runJobLoop(opts: JobLoopOptions | LoopContext, signal: AbortSignal): Promise<void> {
  const ctx = "retry" in opts ? opts : loopContext(opts);
  const backoff = new Backoff(ctx.pollMs, ctx.backoffMaxMs);
  while (!signal.aborted) {
    try {
      const ran = await runOnce(ctx, signal);
      ctx.metrics.storageOk();
      backoff.reset();
      if (ran === 0) await sleep(ctx.pollMs, signal);
    } catch (err) {
      // S3 down or flaky: back off exponentially with a cap, then carry on by ourselves.
      const e = toError(err);
      if (e instanceof StorageUnavailableError) ctx.metrics.storageError(e);
      const wait = backoff.next();
      ctx.log("warn", "job loop error; backing off", { error: e.message, backoffMs: wait });
      await sleep(wait, signal);
    }
  }
}

/** Gathers and runs at most one batch. Returns how many jobs it ran. */
export async function runOnce(
  opts: JobLoopOptions | LoopContext,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const ctx = "retry" in opts ? opts : loopContext(opts);
  const batch = await gatherBatch(ctx, signal);
  if (batch.length === 0) return 0;
  await runBatch(ctx, batch);
  return batch.length;
}
