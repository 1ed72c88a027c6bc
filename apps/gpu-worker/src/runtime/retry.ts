import { StorageUnavailableError } from "@ganvas/shared";

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Doubles a delay up to a cap: the pause between tries while S3 is unreachable. */
export class Backoff {
  private current: number;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {
    this.current = initialMs;
  }
  next(): number {
    this.current = Math.min(this.current * 2, this.maxMs);
    return this.current;
  }
  reset(): void {
    this.current = this.initialMs;
  }
}

/**
 * Repeats `fn` while S3 is unreachable (StorageUnavailableError), backing off up to `maxMs` between tries,
 * for at most `giveUpMs`. Every other error, and the last unavailability, is thrown. Only for steps that
 * are safe to repeat: content-addressed writes and compare-and-swap updates.
 */
export async function retryStorage<T>(
  fn: () => Promise<T>,
  opts: {
    initialMs: number;
    maxMs: number;
    giveUpMs: number;
    onRetry?: (err: Error, waitMs: number) => void;
  },
): Promise<T> {
  const backoff = new Backoff(opts.initialMs, opts.maxMs);
  const deadline = Date.now() + opts.giveUpMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof StorageUnavailableError) || Date.now() >= deadline) throw err;
      const wait = Math.min(backoff.next(), Math.max(0, deadline - Date.now()));
      opts.onRetry?.(err, wait);
      await sleep(wait);
    }
  }
}

/** Maps with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
