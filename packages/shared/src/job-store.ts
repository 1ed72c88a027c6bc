import { addSubscriber, cancel, isTerminal, newJob } from "./job-state.ts";
import { keys } from "./keys.ts";
import { JobRecord, type JobSpec, type Subscriber } from "./schemas.ts";
import { PreconditionFailedError, type Storage } from "./storage.ts";

const MAX_CAS_TRIES = 16;

export async function readJob(
  storage: Storage,
  id: string,
): Promise<{ value: JobRecord; etag: string } | null> {
  return storage.getJson(keys.job(id), JobRecord);
}

/**
 * Compare-and-swap update: read, apply `change`, write with If-Match; on a lost race read again.
 * `change` returns undefined to leave the job as it is.
 */
export async function updateJob(
  storage: Storage,
  id: string,
  change: (job: JobRecord) => JobRecord | undefined,
): Promise<JobRecord | undefined> {
  for (let i = 0; i < MAX_CAS_TRIES; i++) {
    const current = await readJob(storage, id);
    if (current === null) return undefined;
    const next = change(current.value);
    if (next === undefined || next === current.value) return current.value;
    try {
      await storage.putJson(keys.job(id), next, { ifMatch: current.etag });
      return next;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  throw new Error(`job ${id}: gave up after ${MAX_CAS_TRIES} conflicting updates`);
}

export interface EnqueueResult {
  job: JobRecord;
  created: boolean;
}

/**
 * Creates the job, or joins the one already in flight for the same key. The queue marker goes first:
 * a marker without a job is swept by workers, while a job without a marker would never run.
 */
export async function enqueueJob(
  storage: Storage,
  args: {
    id: string;
    spec: JobSpec;
    subscriber?: Subscriber;
    baseUrl: string;
    maxAttempts: number;
    now?: () => number;
  },
): Promise<EnqueueResult> {
  const now = args.now ?? Date.now;
  const subs = args.subscriber ? [args.subscriber] : [];
  /** The marker of a create that lost its race; dropped once another request's job is seen to have won. */
  let losingMarker: string | undefined;
  for (let i = 0; i < MAX_CAS_TRIES; i++) {
    const existing = await readJob(storage, args.id);
    const current = existing?.value;
    if (losingMarker !== undefined && current !== undefined) {
      // The winner wrote its own marker; a second one would only make a worker sweep the job again later.
      if (keys.queueMarker(current.createdAt, current.id) !== losingMarker)
        await storage.delete(losingMarker);
      losingMarker = undefined;
    }
    if (current?.status === "succeeded") return { job: current, created: false };
    try {
      if (existing === null || isTerminal(existing.value.status)) {
        // No job yet, or a failed/canceled one that a new request tries afresh.
        const job = newJob({ ...args, subscribers: subs, now: now() });
        const marker = keys.queueMarker(job.createdAt, job.id);
        await storage.put(marker, "", { contentType: "text/plain" });
        losingMarker = marker;
        await storage.putJson(
          keys.job(args.id),
          job,
          existing === null ? { ifNoneMatch: "*" } : { ifMatch: existing.etag },
        );
        return { job, created: true };
      }
      const joined = args.subscriber ? addSubscriber(existing.value, args.subscriber, now()) : existing.value;
      if (joined !== existing.value)
        await storage.putJson(keys.job(args.id), joined, { ifMatch: existing.etag });
      return { job: joined, created: false };
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  throw new Error(`job ${args.id}: gave up after ${MAX_CAS_TRIES} conflicting updates`);
}

/**
 * Cancels a queued or running job with a compare-and-swap write. Returns the job as it now stands (status
 * `canceled` when this call or an earlier one canceled it; `succeeded`/`failed` when it had already ended,
 * which a caller reports as a conflict), or undefined when there is no such job. A worker running it sees
 * the cancel at its next lease renewal and publishes nothing and sends no webhook.
 */
export async function cancelJob(
  storage: Storage,
  id: string,
  now: () => number = Date.now,
): Promise<JobRecord | undefined> {
  return updateJob(storage, id, (job) => (isTerminal(job.status) ? undefined : cancel(job, now())));
}
