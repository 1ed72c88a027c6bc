import { freePort, type Managed, waitUntil } from "@ganvas/infra";
import type { TestStack } from "./stack.ts";

export interface PooledWorker {
  name: string;
  proc: Managed;
  metricsPort: number;
  /** How many times this slot has been (re)started. */
  generation: number;
}

export interface WorkerMetricsJson {
  worker: string;
  jobs: Record<string, number>;
  inFlight: number;
  held: number;
  /** The jobs it holds a lease on and the attempt each is on. */
  heldJobs: { id: string; attempts: number }[];
  batchSize: { buckets: Record<string, number>; mean: number | null };
  tensors: number;
}

/** Worker processes in numbered slots, each with its own health/metrics port, that a test can kill and restart. */
export class WorkerPool {
  readonly slots: PooledWorker[] = [];

  constructor(
    private readonly stack: TestStack,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  async start(count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.slots.push(await this.spawn(i, 0));
    await Promise.all(this.slots.map((_, i) => this.waitReady(i)));
  }

  private async spawn(slot: number, generation: number, env: NodeJS.ProcessEnv = {}): Promise<PooledWorker> {
    const metricsPort = await freePort();
    const name = `w${slot}-g${generation}`;
    const proc = this.stack.startWorker(
      { ...this.env, ...env, GANVAS_WORKER_ID: name, GANVAS_METRICS_PORT: String(metricsPort) },
      name,
    );
    return { name, proc, metricsPort, generation };
  }

  /** Resolves once the worker's /healthz answers 200 (backend loaded, S3 reachable). */
  async waitReady(slot: number, timeoutMs = 60_000): Promise<void> {
    const w = this.slots[slot];
    if (!w) throw new Error(`no worker in slot ${slot}`);
    await waitUntil(
      `worker ${w.name}`,
      async () => (await fetch(`http://127.0.0.1:${w.metricsPort}/healthz`)).status === 200,
      { timeoutMs, process: w.proc },
    );
  }

  /** `kill -9` of the worker's process group: no shutdown handler runs, leases are simply left behind. */
  async kill(slot: number): Promise<PooledWorker> {
    const w = this.slots[slot];
    if (!w?.proc.child.pid) throw new Error(`no worker in slot ${slot}`);
    const exited = new Promise<void>((r) => {
      if (w.proc.child.exitCode !== null || w.proc.child.signalCode !== null) r();
      else w.proc.child.once("exit", () => r());
    });
    process.kill(-w.proc.child.pid, "SIGKILL");
    await exited;
    return w;
  }

  /**
   * Starts a fresh process in the slot (a new worker id: the old one's leases belong to a dead worker),
   * with `env` on top of the pool's.
   */
  async restart(slot: number, env: NodeJS.ProcessEnv = {}): Promise<PooledWorker> {
    const old = this.slots[slot];
    const w = await this.spawn(slot, (old?.generation ?? 0) + 1, env);
    this.slots[slot] = w;
    return w;
  }

  async metrics(slot: number): Promise<WorkerMetricsJson | undefined> {
    const w = this.slots[slot];
    try {
      const res = await fetch(`http://127.0.0.1:${w?.metricsPort}/metrics?format=json`);
      return res.ok ? ((await res.json()) as WorkerMetricsJson) : undefined;
    } catch {
      return undefined;
    }
  }

  async health(slot: number): Promise<number | undefined> {
    const w = this.slots[slot];
    try {
      return (await fetch(`http://127.0.0.1:${w?.metricsPort}/healthz`)).status;
    } catch {
      return undefined;
    }
  }

  alive(slot: number): boolean {
    const c = this.slots[slot]?.proc.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  async stop(): Promise<void> {
    await Promise.all(this.slots.map((w) => w.proc.stop()));
  }
}

/** Polls `check` every `everyMs` until it returns true, failing after `timeoutMs` with `what` and `detail()`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  detail: () => string | Promise<string> = () => "",
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. ${await detail()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
