import { cancelJob, keys, Manifest, readJob, Sha256Hex } from "@ganvas/shared";
import { type Context, Hono } from "hono";
import { writer } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { ProblemError } from "../problems.ts";
import { viewFromJob, viewFromManifest } from "../views.ts";

export const jobs = new Hono<AppEnv>();

function jobId(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!Sha256Hex.safeParse(id).success) throw new ProblemError("not-found", "job ids are 64 hex characters");
  return id;
}

jobs.get("/:id", async (c) => {
  const id = jobId(c);
  const storage = c.get("storage");
  const origin = new URL(c.req.url).origin;
  const [job, manifest] = await Promise.all([
    readJob(storage, id),
    storage.getJson(keys.manifest(id), Manifest),
  ]);
  c.header("cache-control", "no-store");
  if (job) return c.json(viewFromJob(origin, job.value, manifest?.value));
  if (manifest) return c.json(viewFromManifest(origin, manifest.value));
  throw new ProblemError("not-found", `no job with id ${id}`);
});

/**
 * Cancels a queued or running job (a worker checks its lease and stops). Canceling twice is fine; a job
 * that already succeeded or failed cannot be canceled (409). Jobs are shared by identical requests, so this
 * cancels it for everyone who joined it; asking again afterwards starts it afresh.
 */
jobs.post("/:id/cancel", writer, async (c) => {
  const id = jobId(c);
  const job = await cancelJob(c.get("storage"), id);
  if (!job) throw new ProblemError("not-found", `no job with id ${id}`);
  if (job.status !== "canceled") {
    throw new ProblemError(
      "conflict",
      `the job has already ${job.status}; only queued or running jobs can be canceled`,
    );
  }
  return c.json(viewFromJob(new URL(c.req.url).origin, job), 200);
});
