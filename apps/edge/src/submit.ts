import {
  cacheKey,
  enqueueJob,
  type JobSpec,
  keys,
  Manifest,
  RequestFieldError,
  type WebhookSubscription,
} from "@ganvas/shared";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { type ResolvedInput, storeInput } from "./inputs.ts";
import { preferredWaitSeconds, waitForResult } from "./prefer-wait.ts";
import { fieldProblem } from "./problems.ts";
import { viewFromJob, viewFromManifest } from "./views.ts";

const MAX_ATTEMPTS = 3;

/** Runs a job-spec builder, turning a catalog or vocabulary refusal into a 422 naming the field. */
export async function specOrProblem<T>(make: () => T | Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (err) {
    if (err instanceof RequestFieldError) throw fieldProblem(err.path, err.message);
    throw err;
  }
}

/**
 * Everything has been validated when this runs; only now is anything written. Cache hit → 200 with the
 * stored outputs; miss → store an inline input, create or join the job for this key → 202, or wait for
 * it when the client sent `Prefer: wait`.
 */
export async function submit(
  c: Context<AppEnv>,
  spec: JobSpec,
  webhook: WebhookSubscription | undefined,
  input?: ResolvedInput,
) {
  const storage = c.get("storage");
  const origin = new URL(c.req.url).origin;
  const id = await cacheKey(spec);
  const cached = await storage.getJson(keys.manifest(id), Manifest);
  if (cached) return c.json(viewFromManifest(origin, cached.value), 200);

  if (input?.inline) await storeInput(storage, input.id, input.inline, input.info);
  const subscriber = webhook && { ...webhook, id: `sub_${crypto.randomUUID()}` };
  const { job } = await enqueueJob(storage, {
    id,
    spec,
    subscriber,
    baseUrl: origin,
    maxAttempts: MAX_ATTEMPTS,
  });
  if (job.status === "succeeded") {
    const manifest = await storage.getJson(keys.manifest(id), Manifest);
    if (manifest) return c.json(viewFromManifest(origin, manifest.value, job), 200);
  }
  const wait = preferredWaitSeconds(c.req.header("prefer"));
  if (wait !== undefined && wait > 0) {
    c.header("preference-applied", `wait=${wait}`);
    const outcome = await waitForResult(storage, id, wait, c.req.raw.signal);
    if (outcome && "manifest" in outcome)
      return c.json({ ...viewFromManifest(origin, outcome.manifest, outcome.job), cached: false }, 200);
    if (outcome) return c.json(viewFromJob(origin, outcome.job), 200);
  }
  c.header("location", `${origin}/v1/jobs/${id}`);
  return c.json(viewFromJob(origin, job), 202);
}
