import type { JobRecord, JobSpec, JobStatus, Subscriber } from "./schemas.ts";

/** queued → running → succeeded | failed | canceled; running → queued when a lease expires. */
const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  queued: ["running", "canceled", "failed"],
  running: ["succeeded", "failed", "canceled", "queued"],
  succeeded: [],
  failed: [],
  canceled: [],
};

export class InvalidTransitionError extends Error {
  constructor(from: JobStatus, to: JobStatus) {
    super(`job cannot go from ${from} to ${to}`);
    this.name = "InvalidTransitionError";
  }
}

export function isTerminal(status: JobStatus): boolean {
  return NEXT[status].length === 0;
}

function moveTo(job: JobRecord, to: JobStatus, now: number, patch: Partial<JobRecord> = {}): JobRecord {
  if (!NEXT[job.status].includes(to)) throw new InvalidTransitionError(job.status, to);
  return { ...job, ...patch, status: to, updatedAt: now };
}

export function newJob(args: {
  id: string;
  spec: JobSpec;
  subscribers: Subscriber[];
  baseUrl: string;
  now: number;
  maxAttempts: number;
}): JobRecord {
  return {
    schema: 1,
    id: args.id,
    ...args.spec,
    status: "queued",
    attempts: 0,
    maxAttempts: args.maxAttempts,
    lease: null,
    subscribers: args.subscribers,
    baseUrl: args.baseUrl,
    createdAt: args.now,
    updatedAt: args.now,
  };
}

/** A job a worker may take: queued, or running under a lease that has run out (its worker is gone). */
export function isClaimable(job: JobRecord, now: number): boolean {
  return job.status === "queued" || (job.status === "running" && (job.lease?.expiresAt ?? 0) <= now);
}

/**
 * Claims the job for `owner`. An expired lease counts as a failed attempt; once attempts are used up the
 * job ends failed instead of running again.
 */
export function claim(job: JobRecord, owner: string, leaseMs: number, now: number): JobRecord {
  if (!isClaimable(job, now)) throw new InvalidTransitionError(job.status, "running");
  if (job.attempts >= job.maxAttempts) {
    return moveTo(job, "failed", now, {
      lease: null,
      finishedAt: now,
      error: { message: `gave up after ${job.attempts} attempts: the worker running it stopped responding` },
    });
  }
  const base = job.status === "running" ? { ...job, status: "queued" as const } : job;
  return moveTo(base, "running", now, {
    attempts: job.attempts + 1,
    lease: { owner, expiresAt: now + leaseMs },
    startedAt: now,
  });
}

function assertOwner(job: JobRecord, owner: string): void {
  if (job.status !== "running" || job.lease?.owner !== owner) {
    throw new Error(`job ${job.id} is not leased to ${owner} (status ${job.status})`);
  }
}

export function renewLease(job: JobRecord, owner: string, leaseMs: number, now: number): JobRecord {
  assertOwner(job, owner);
  return { ...job, lease: { owner, expiresAt: now + leaseMs }, updatedAt: now };
}

export function succeed(job: JobRecord, owner: string, now: number): JobRecord {
  assertOwner(job, owner);
  return moveTo(job, "succeeded", now, { lease: null, finishedAt: now });
}

/** A failed attempt: back to the queue while attempts remain, else failed for good. */
export function failAttempt(job: JobRecord, owner: string, message: string, now: number): JobRecord {
  assertOwner(job, owner);
  if (job.attempts >= job.maxAttempts) {
    return moveTo(job, "failed", now, { lease: null, finishedAt: now, error: { message } });
  }
  return moveTo(job, "queued", now, { lease: null, error: { message } });
}

/**
 * Gives a claimed job back without counting the attempt (a worker shutting down before it ran the job):
 * back to queued, lease dropped, the claim's attempt undone.
 */
export function release(job: JobRecord, owner: string, now: number): JobRecord {
  assertOwner(job, owner);
  return moveTo(job, "queued", now, { lease: null, attempts: Math.max(0, job.attempts - 1) });
}

/** Whether `owner` still holds the job's lease (running and not taken over or canceled). */
export function isLeasedTo(job: JobRecord, owner: string): boolean {
  return job.status === "running" && job.lease?.owner === owner;
}

export function cancel(job: JobRecord, now: number): JobRecord {
  return moveTo(job, "canceled", now, { lease: null, finishedAt: now });
}

/** Joins a subscriber to a job; a second identical webhook is not added twice. */
export function addSubscriber(job: JobRecord, sub: Subscriber, now: number): JobRecord {
  if (job.subscribers.some((s) => s.id === sub.id)) return job;
  return { ...job, subscribers: [...job.subscribers, sub], updatedAt: now };
}
