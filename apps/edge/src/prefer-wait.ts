import { isTerminal, type JobRecord, keys, Manifest, readJob, type Storage } from "@ganvas/shared";

export const MAX_WAIT_S = 60;

/** `Prefer: wait=N` (RFC 7240), capped at 60 s; undefined when the client did not ask to wait. */
export function preferredWaitSeconds(header: string | undefined): number | undefined {
  const m = header && /(?:^|[,;\s])wait=(\d+)/i.exec(header);
  if (!m?.[1]) return undefined;
  return Math.min(Number(m[1]), MAX_WAIT_S);
}

export type WaitOutcome = { manifest: Manifest; job?: JobRecord } | { job: JobRecord } | null;

/**
 * Polls until the result manifest exists, the job ends without one (failed, canceled), the client goes
 * away, or the wait runs out (null). Backs off from 100 ms to 1 s: quick answers stay quick, and a long
 * wait costs about one S3 read a second.
 */
export async function waitForResult(
  storage: Storage,
  id: string,
  seconds: number,
  signal?: AbortSignal,
): Promise<WaitOutcome> {
  const deadline = Date.now() + seconds * 1000;
  let delay = 100;
  while (Date.now() < deadline && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
    const [manifest, job] = await Promise.all([
      storage.getJson(keys.manifest(id), Manifest),
      readJob(storage, id),
    ]);
    // The job record comes along so the answer says when the job was submitted, not only when it finished.
    if (manifest) return { manifest: manifest.value, job: job?.value };
    if (job && isTerminal(job.value.status) && job.value.status !== "succeeded") return { job: job.value };
    delay = Math.min(delay * 1.5, 1000);
  }
  return null;
}
