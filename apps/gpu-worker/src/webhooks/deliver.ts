import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import {
  isLoopbackHost,
  isPublicAddress,
  type JobRecord,
  sha256Hex,
  type WebhookPayload,
  webhookHeaders,
} from "@ganvas/shared";

/**
 * The Standard Webhooks retry schedule: entry i is the wait, in seconds, before attempt i + 1 (immediately,
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). After the last attempt fails the delivery is a dead letter.
 */
export const RETRY_SCHEDULE_S = [0, 5, 300, 1800, 7200, 18000, 36000, 36000] as const;

/** The wait after failed attempt number `attempts` (1-based), scaled; undefined when none is left. */
export function retryDelayMs(attempts: number, scale: number): number | undefined {
  const s = RETRY_SCHEDULE_S[attempts];
  return s === undefined ? undefined : s * 1000 * scale;
}

/** Same id for every attempt of one event to one subscriber, so receivers can de-duplicate. */
export async function webhookId(jobId: string, subscriberId: string, event: string): Promise<string> {
  return `msg_${(await sha256Hex(`${jobId}.${subscriberId}.${event}`)).slice(0, 32)}`;
}

/** The event for a finished job; its timestamp is the job's, so the body is the same whoever builds it. */
export function payloadFor(job: JobRecord, outputs: string[]): WebhookPayload {
  const type = job.status === "succeeded" ? "job.succeeded" : "job.failed";
  return {
    type,
    timestamp: new Date(job.finishedAt ?? job.updatedAt).toISOString(),
    data: {
      id: job.id,
      status: job.status,
      task: job.task,
      model: job.model,
      outputs,
      gallery: job.status === "succeeded" ? `${job.baseUrl}/g/${job.id}` : undefined,
      error: job.status === "failed" ? job.error : undefined,
    },
  };
}

export type AttemptResult =
  | { kind: "delivered"; status: number }
  /** 410 Gone: the receiver wants nothing more; the subscriber is disabled. */
  | { kind: "gone"; status: number }
  /** Network error, timeout, 5xx or 429: try again on the schedule (or after Retry-After). */
  | { kind: "retry"; status?: number; error?: string; retryAfterMs?: number }
  /** Will never work as it stands (a 4xx, a redirect, a private address): straight to the dead letters. */
  | { kind: "refused"; status?: number; error: string };

export class BlockedAddressError extends Error {
  constructor(host: string, address: string) {
    super(
      `${host} resolves to ${address}, a loopback, private or link-local address; webhooks go to public hosts`,
    );
    this.name = "BlockedAddressError";
  }
}

function allowedAddress(ip: string, dev: boolean): boolean {
  return isPublicAddress(ip) || (dev && isLoopbackHost(ip));
}

/**
 * A DNS lookup that refuses private answers. It runs when the socket connects, so the address checked is
 * the address used: a name that resolves differently a second time (DNS rebinding) cannot slip past.
 */
export function guardedLookup(dev: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      const cb = callback as (e: Error | null, a?: string | LookupAddress[], f?: number) => void;
      if (err) return cb(err);
      const bad = addresses.find((a) => !allowedAddress(a.address, dev));
      if (bad) return cb(new BlockedAddressError(hostname, bad.address));
      if (options.all) return cb(null, addresses);
      const [first] = addresses;
      if (!first) return cb(new Error(`${hostname} has no address`));
      cb(null, first.address, first.family);
    });
  };
}

export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (value.trim() !== "" && Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classify(status: number, headers: IncomingHttpHeaders): AttemptResult {
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (status === 410) return { kind: "gone", status };
  if (status === 429 || status >= 500 || status === 408) {
    const after = retryAfterMs(headers["retry-after"]);
    return { kind: "retry", status, ...(after !== undefined && { retryAfterMs: after }) };
  }
  const why = status >= 300 && status < 400 ? "redirects are not followed" : "a 4xx is not retried";
  return { kind: "refused", status, error: `receiver answered ${status}; ${why}` };
}

export interface SendOptions {
  secret: string;
  timeoutMs: number;
  /** Allow loopback receivers (local development). */
  dev: boolean;
}

/** One signed POST of `body` to `url` with the event's `webhook-id`; never throws. */
export async function sendWebhook(
  url: string,
  id: string,
  body: string,
  opts: SendOptions,
): Promise<AttemptResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { kind: "refused", error: `not a URL: ${url}` };
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    return { kind: "refused", error: `unsupported scheme ${target.protocol}` };
  }
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) && !allowedAddress(host, opts.dev)) {
    return { kind: "refused", error: new BlockedAddressError(host, host).message };
  }
  const headers = await webhookHeaders(opts.secret, id, Math.floor(Date.now() / 1000), body);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    const req = send(
      target,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "Ganvas-Webhooks/1",
          ...headers,
        },
        lookup: guardedLookup(opts.dev),
      },
      (res) => {
        clearTimeout(timer);
        res.resume();
        resolve(classify(res.statusCode ?? 0, res.headers));
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    req.on("error", (err) => {
      clearTimeout(timer);
      resolve(
        err instanceof BlockedAddressError
          ? { kind: "refused", error: err.message }
          : { kind: "retry", error: err.message },
      );
    });
    req.end(body);
  });
}
