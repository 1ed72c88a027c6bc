import {
  keys,
  PreconditionFailedError,
  parseDeliveryKey,
  type Storage,
  StorageUnavailableError,
  sha256Hex,
} from "@ganvas/shared";
import type { Logger } from "../runtime/log.ts";
import type { WorkerMetrics } from "../runtime/metrics.ts";
import { Backoff, mapLimit, sleep, toError } from "../runtime/retry.ts";
import { type AttemptResult, RETRY_SCHEDULE_S, retryDelayMs, sendWebhook } from "./deliver.ts";
import { DeliveryRecord } from "./records.ts";

export interface DeliveryLoopOptions {
  storage: Storage;
  workerId: string;
  secret: string;
  retryScale: number;
  timeoutMs: number;
  concurrency: number;
  /** How long a claimed delivery stays ours beyond its send timeout. */
  leaseMs: number;
  pollMs: number;
  backoffMaxMs: number;
  dev: boolean;
  log: Logger;
  metrics?: WorkerMetrics;
}

/**
 * Sends the webhooks recorded under `deliveries/`. Every worker runs one; a delivery is claimed with a
 * compare-and-swap lease, so each attempt is made by one worker, and a worker that dies mid-send leaves a
 * lease that runs out. Retries follow RETRY_SCHEDULE_S (times GANVAS_WEBHOOK_RETRY_SCALE) with the same
 * webhook-id; 429 waits at least its Retry-After; 410 disables the URL; the last failure, a 4xx or a private
 * address makes a dead letter under `dead-letters/`.
 */
export class DeliveryLoop {
  /** Deliveries known not to be due before a time, so idle retries cost a listing, not a read each. */
  private readonly notBefore = new Map<string, number>();
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly opts: DeliveryLoopOptions) {}

  /** Look for deliveries now (a job just finished) instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.opts.pollMs, this.opts.backoffMaxMs);
    while (!signal.aborted) {
      let wait = this.opts.pollMs;
      try {
        await this.runOnce(signal);
        this.opts.metrics?.storageOk();
        backoff.reset();
      } catch (err) {
        const e = toError(err);
        if (e instanceof StorageUnavailableError) this.opts.metrics?.storageError(e);
        wait = backoff.next();
        this.opts.log("warn", "delivery loop error; backing off", { error: e.message, backoffMs: wait });
      }
      if (this.woken) {
        this.woken = false;
        continue;
      }
      const woke = new Promise<void>((resolve) => {
        this.wakeUp = resolve;
      });
      await Promise.race([sleep(wait, signal), woke]);
      this.wakeUp = undefined;
      this.woken = false;
    }
  }

  /** One pass over the due deliveries. Returns how many attempts it made. */
  async runOnce(signal?: AbortSignal): Promise<number> {
    const listed = (await this.opts.storage.list(keys.deliveriesPrefix, 1000))
      .map(parseDeliveryKey)
      .filter((id): id is string => id !== undefined);
    const present = new Set(listed);
    for (const id of this.notBefore.keys()) if (!present.has(id)) this.notBefore.delete(id);
    const now = Date.now();
    const due = listed.filter((id) => (this.notBefore.get(id) ?? 0) <= now);
    const made = await mapLimit(due, this.opts.concurrency, (id) =>
      signal?.aborted ? Promise.resolve(false) : this.attempt(id),
    );
    return made.filter(Boolean).length;
  }

  /** Claims one delivery if it is due and free, sends it once and records what happened. */
  private async attempt(id: string): Promise<boolean> {
    const { storage, workerId, log } = this.opts;
    const key = keys.delivery(id);
    const current = await storage.getJson(key, DeliveryRecord);
    if (current === null) return false;
    const rec = current.value;
    const now = Date.now();
    const busyUntil = Math.max(rec.nextAttemptAt, rec.lease?.expiresAt ?? 0);
    if (busyUntil > now) {
      this.notBefore.set(id, busyUntil);
      return false;
    }
    const claimed: DeliveryRecord = {
      ...rec,
      attempts: rec.attempts + 1,
      lease: { owner: workerId, expiresAt: now + this.opts.timeoutMs + this.opts.leaseMs },
      updatedAt: now,
    };
    let etag: string;
    try {
      etag = await storage.putJson(key, claimed, { ifMatch: current.etag });
    } catch (err) {
      if (err instanceof PreconditionFailedError) return false;
      throw err;
    }
    const fields = { webhookId: id, jobId: rec.jobId, url: rec.url, attempt: claimed.attempts };
    const urlHash = await sha256Hex(rec.url);
    if (await storage.exists(keys.disabledWebhook(urlHash))) {
      log("warn", "webhook URL is disabled (it answered 410 Gone); not sending", fields);
      await storage.delete(key);
      this.opts.metrics?.delivery("disabled");
      return true;
    }
    if (claimed.attempts > RETRY_SCHEDULE_S.length) {
      // Attempts are counted when claimed: workers that died mid-send used them up.
      await this.deadLetter(claimed, `gave up after ${rec.attempts} attempts`);
      return true;
    }
    const result = await sendWebhook(rec.url, id, rec.body, {
      secret: this.opts.secret,
      timeoutMs: this.opts.timeoutMs,
      dev: this.opts.dev,
    });
    const done = Date.now();
    const entry = {
      at: now,
      worker: workerId,
      ...("status" in result && result.status !== undefined && { status: result.status }),
      ...("error" in result && result.error !== undefined && { error: result.error }),
    };
    const after = { ...claimed, history: [...claimed.history, entry], updatedAt: done };
    await this.record(after, etag, result, urlHash, fields);
    return true;
  }

  private async record(
    rec: DeliveryRecord,
    etag: string,
    result: AttemptResult,
    urlHash: string,
    fields: object,
  ): Promise<void> {
    const { storage, log, metrics } = this.opts;
    const key = keys.delivery(rec.id);
    switch (result.kind) {
      case "delivered":
        log("info", "webhook delivered", { ...fields, status: result.status });
        metrics?.delivery("delivered");
        await storage.delete(key);
        this.notBefore.delete(rec.id);
        return;
      case "gone":
        log("warn", "webhook receiver answered 410 Gone; disabling its URL", fields);
        await storage.putJson(keys.disabledWebhook(urlHash), {
          url: rec.url,
          at: Date.now(),
          webhookId: rec.id,
          jobId: rec.jobId,
          subscriberId: rec.subscriberId,
        });
        metrics?.delivery("disabled");
        await storage.delete(key);
        return;
      case "refused":
        await this.deadLetter(rec, result.error);
        return;
      case "retry": {
        const scheduled = retryDelayMs(rec.attempts, this.opts.retryScale);
        const why = result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? "failed");
        if (scheduled === undefined) {
          await this.deadLetter(rec, `retries exhausted after ${rec.attempts} attempts; last: ${why}`);
          return;
        }
        const waitMs = Math.max(scheduled, result.retryAfterMs ?? 0);
        const next = { ...rec, lease: null, nextAttemptAt: Date.now() + waitMs };
        log("info", "webhook attempt failed; will retry", { ...fields, error: why, nextInMs: waitMs });
        metrics?.delivery("retried");
        try {
          await storage.putJson(key, next, { ifMatch: etag });
          this.notBefore.set(rec.id, next.nextAttemptAt);
        } catch (err) {
          // Our lease ran out mid-send and another worker took the delivery over: its record stands.
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
        return;
      }
    }
  }

  private async deadLetter(rec: DeliveryRecord, reason: string): Promise<void> {
    const { storage, log, metrics } = this.opts;
    const dead: DeliveryRecord = { ...rec, status: "dead", lease: null, reason, updatedAt: Date.now() };
    await storage.putJson(keys.deadLetter(rec.id), dead);
    await storage.delete(keys.delivery(rec.id));
    this.notBefore.delete(rec.id);
    metrics?.delivery("dead");
    log("error", "webhook delivery gave up; kept as a dead letter", {
      webhookId: rec.id,
      jobId: rec.jobId,
      url: rec.url,
      attempts: rec.attempts,
      reason,
      deadLetter: keys.deadLetter(rec.id),
    });
  }
}
