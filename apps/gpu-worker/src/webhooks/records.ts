import {
  type JobRecord,
  keys,
  Lease,
  PreconditionFailedError,
  Sha256Hex,
  type Storage,
  WebhookEvent,
} from "@ganvas/shared";
import { z } from "zod";
import { payloadFor, webhookId } from "./deliver.ts";

export const DELIVERY_STATUSES = ["pending", "dead"] as const;

export const DeliveryAttempt = z.object({
  at: z.number(),
  worker: z.string(),
  status: z.int().optional(),
  error: z.string().optional(),
});

/**
 * One event for one subscriber, kept in the bucket until it is delivered, so a worker that stops loses no
 * webhook. `deliveries/<webhook-id>.json` while pending; `dead-letters/<webhook-id>.json` once it gave up.
 * Claimed with a lease and updated with compare-and-swap, like jobs.
 */
export const DeliveryRecord = z.object({
  schema: z.literal(1),
  id: z.string(),
  jobId: Sha256Hex,
  subscriberId: z.string(),
  url: z.string(),
  event: WebhookEvent,
  /** The exact bytes signed and sent on every attempt. */
  body: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  /** Attempts started (counted when claimed, so a worker killed mid-send still uses one). */
  attempts: z.int().min(0),
  nextAttemptAt: z.number(),
  lease: Lease.nullable(),
  history: z.array(DeliveryAttempt),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Why a dead letter gave up. */
  reason: z.string().optional(),
});
export type DeliveryRecord = z.infer<typeof DeliveryRecord>;

/** Where a 410 Gone is remembered: nothing more is sent to that URL. */
export const DisabledWebhook = z.object({
  url: z.string(),
  at: z.number(),
  webhookId: z.string(),
  jobId: z.string(),
  subscriberId: z.string(),
});

/**
 * Writes the pending deliveries of a finished job: one per subscriber that asked for its event. Each is
 * created only if absent (If-None-Match), so a second worker finishing the same job adds nothing.
 * Returns the webhook ids.
 */
export async function recordDeliveries(
  storage: Storage,
  job: JobRecord,
  outputs: string[],
  now = Date.now(),
): Promise<string[]> {
  if (job.status !== "succeeded" && job.status !== "failed") return [];
  const payload = payloadFor(job, outputs);
  const body = JSON.stringify(payload);
  const subs = job.subscribers.filter((s) => s.events.includes(payload.type));
  return Promise.all(
    subs.map(async (sub) => {
      const id = await webhookId(job.id, sub.id, payload.type);
      const record: DeliveryRecord = {
        schema: 1,
        id,
        jobId: job.id,
        subscriberId: sub.id,
        url: sub.url,
        event: payload.type,
        body,
        status: "pending",
        attempts: 0,
        nextAttemptAt: now,
        lease: null,
        history: [],
        createdAt: now,
        updatedAt: now,
      };
      try {
        await storage.putJson(keys.delivery(id), record, { ifNoneMatch: "*" });
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
      return id;
    }),
  );
}
