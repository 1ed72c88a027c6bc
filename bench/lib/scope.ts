/**
 * Everything a benchmark starts (S3 server, edges, workers, load generators, child processes) is added to
 * a Scope, and the scope stops it all, newest first, in the benchmark's finally block. `closeAllScopes`
 * does the same for every open scope when the run is interrupted (Ctrl-C) or runs past its deadline.
 */

const open = new Set<Scope>();

export class Scope {
  private readonly stops: { what: string; stop: () => Promise<void> | void }[] = [];
  private closing: Promise<void> | undefined;

  constructor(readonly name: string) {
    open.add(this);
  }

  /** Registers `value` to be stopped when the scope closes; returns it. */
  add<T>(what: string, value: T, stop: (value: T) => Promise<void> | void): T {
    if (this.closing) {
      // Started after the scope closed (a start that was under way when the deadline hit): stop it now.
      void Promise.resolve(stop(value)).catch(() => undefined);
      throw new Error(`${this.name}: ${what} started after the benchmark was stopped`);
    }
    this.stops.push({ what, stop: () => stop(value) });
    return value;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Stops everything, newest first; each stop gets `graceMs`, and one failing does not keep the rest. */
  close(graceMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      while (this.stops.length > 0) {
        const item = this.stops.pop();
        if (!item) break;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve(item.stop()),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`did not stop within ${graceMs} ms`)), graceMs);
            }),
          ]);
        } catch (err) {
          process.stderr.write(`[bench] stopping ${item.what}: ${(err as Error).message}\n`);
        } finally {
          clearTimeout(timer);
        }
      }
      open.delete(this);
    })();
    return this.closing;
  }
}

export async function closeAllScopes(): Promise<void> {
  await Promise.all([...open].map((s) => s.close(10_000)));
}

/** Rejects with a message naming `what` when `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
