/**
 * Per-key token bucket held in this isolate's memory: each key may burst up to a minute's allowance, then
 * refills continuously. Good enough for one isolate (wrangler dev, a single colo); in production each
 * isolate counts separately, so the real ceiling is the limit times the number of isolates serving a key.
 * A global limit needs the Workers Rate Limiting binding (`ratelimits` in wrangler.jsonc) or a Durable
 * Object per key — see README "Rate limits".
 */

interface Bucket {
  tokens: number;
  updated: number;
}

const buckets = new Map<string, Bucket>();
const MAX_TRACKED = 10_000;

export type Take = { ok: true; remaining: number } | { ok: false; retryAfterS: number };

export function takeToken(key: string, perMinute: number, now = Date.now()): Take {
  const refillPerMs = perMinute / 60_000;
  const b = buckets.get(key) ?? { tokens: perMinute, updated: now };
  b.tokens = Math.min(perMinute, b.tokens + (now - b.updated) * refillPerMs);
  b.updated = now;
  if (!buckets.has(key)) {
    if (buckets.size >= MAX_TRACKED) prune(perMinute, now);
    buckets.set(key, b);
  }
  if (b.tokens < 1)
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / refillPerMs / 1000)) };
  b.tokens -= 1;
  return { ok: true, remaining: Math.floor(b.tokens) };
}

/** Forgets buckets that have refilled completely: they hold no information. */
function prune(perMinute: number, now: number): void {
  for (const [key, b] of buckets) {
    if (b.tokens + (now - b.updated) * (perMinute / 60_000) >= perMinute) buckets.delete(key);
  }
}
