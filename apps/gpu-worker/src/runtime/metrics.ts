/** What a worker counts about itself, served at /metrics as Prometheus text or JSON. */

const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] as const;
const SAMPLES = 2048;
const RATE_WINDOW_MS = 60_000;

export type JobOutcome = "succeeded" | "failed" | "retried" | "canceled" | "lost" | "released";
export type DeliveryOutcome = "delivered" | "retried" | "dead" | "disabled";

/** The last `size` values, for percentiles that follow recent behaviour. */
class Reservoir {
  private readonly values: number[] = [];
  private at = 0;
  constructor(private readonly size: number) {}
  add(v: number): void {
    if (this.values.length < this.size) this.values.push(v);
    else this.values[this.at] = v;
    this.at = (this.at + 1) % this.size;
  }
  quantile(q: number): number | null {
    if (this.values.length === 0) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
  }
}

export interface HeldJob {
  id: string;
  attempts: number;
}

export class WorkerMetrics {
  readonly startedAt = Date.now();
  readonly jobs: Record<JobOutcome, number> = {
    succeeded: 0,
    failed: 0,
    retried: 0,
    canceled: 0,
    lost: 0,
    released: 0,
  };
  readonly deliveries: Record<DeliveryOutcome, number> = { delivered: 0, retried: 0, dead: 0, disabled: 0 };
  readonly batchBuckets = new Array<number>(BATCH_BUCKETS.length + 1).fill(0);
  batches = 0;
  batchedJobs = 0;
  queueDepth = 0;
  inFlight = 0;
  storageErrors = 0;
  lastStorageOkAt = 0;
  lastStorageErrorAt = 0;
  lastStorageError: string | undefined;
  private readonly latency = new Reservoir(SAMPLES);
  private readonly runTime = new Reservoir(SAMPLES);
  private readonly doneAt: number[] = [];

  /**
   * The jobs this worker holds a lease on (claimed, gathering or running) and the attempt each is on; set by
   * whoever owns them. Listed, not only counted, so an operator (or a fault test) can see which jobs a worker's
   * death would orphan.
   */
  heldJobs: () => HeldJob[] = () => [];

  held(): number {
    return this.heldJobs().length;
  }

  constructor(private readonly tensors: () => number = () => 0) {}

  batch(size: number): void {
    this.batches++;
    this.batchedJobs += size;
    const i = BATCH_BUCKETS.findIndex((b) => size <= b);
    const at = i === -1 ? BATCH_BUCKETS.length : i;
    this.batchBuckets[at] = (this.batchBuckets[at] ?? 0) + 1;
  }

  /** A job ended with `outcome`; `latencyMs` is from enqueue to now, `runMs` the batch it ran in. */
  job(outcome: JobOutcome, latencyMs?: number, runMs?: number): void {
    this.jobs[outcome]++;
    if (outcome !== "succeeded") return;
    const now = Date.now();
    this.doneAt.push(now);
    while ((this.doneAt[0] ?? now) < now - RATE_WINDOW_MS) this.doneAt.shift();
    if (latencyMs !== undefined) this.latency.add(latencyMs / 1000);
    if (runMs !== undefined) this.runTime.add(runMs / 1000);
  }

  delivery(outcome: DeliveryOutcome): void {
    this.deliveries[outcome]++;
  }

  storageOk(): void {
    this.lastStorageOkAt = Date.now();
  }

  storageError(err: Error): void {
    this.storageErrors++;
    this.lastStorageErrorAt = Date.now();
    this.lastStorageError = err.message;
  }

  /** S3 answered since it last failed. */
  storageHealthy(): boolean {
    return this.lastStorageErrorAt <= this.lastStorageOkAt;
  }

  jobsPerSecond(): number {
    const now = Date.now();
    const recent = this.doneAt.filter((t) => t >= now - RATE_WINDOW_MS).length;
    const span = Math.min(RATE_WINDOW_MS, Math.max(1000, now - this.startedAt));
    return recent / (span / 1000);
  }

  snapshot() {
    const q = (r: Reservoir) => ({ p50: r.quantile(0.5), p95: r.quantile(0.95), p99: r.quantile(0.99) });
    return {
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      jobs: { ...this.jobs },
      jobsPerSecond: this.jobsPerSecond(),
      inFlight: this.inFlight,
      held: this.held(),
      heldJobs: this.heldJobs(),
      queueDepth: this.queueDepth,
      batches: this.batches,
      batchSize: {
        buckets: Object.fromEntries(
          [...BATCH_BUCKETS.map(String), "+Inf"].map((le, i) => [le, this.batchBuckets[i] ?? 0]),
        ),
        mean: this.batches === 0 ? null : this.batchedJobs / this.batches,
      },
      latencySeconds: q(this.latency),
      batchRunSeconds: q(this.runTime),
      deliveries: { ...this.deliveries },
      storage: {
        errors: this.storageErrors,
        healthy: this.storageHealthy(),
        lastError: this.lastStorageError,
      },
      tensors: this.tensors(),
    };
  }

  /** Prometheus text exposition format 0.0.4. */
  prometheus(): string {
    const s = this.snapshot();
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number | null][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) if (v !== null) lines.push(`${name}${labels} ${v}`);
    };
    metric(
      "ganvas_jobs_total",
      "counter",
      "Jobs this worker finished, by outcome.",
      Object.entries(s.jobs).map(([k, v]) => [`{outcome="${k}"}`, v]),
    );
    metric("ganvas_jobs_per_second", "gauge", "Jobs succeeded per second over the last minute.", [
      ["", s.jobsPerSecond],
    ]);
    metric("ganvas_jobs_in_flight", "gauge", "Jobs in the generator or being published.", [["", s.inFlight]]);
    metric("ganvas_jobs_held", "gauge", "Jobs this worker holds a lease on.", [["", s.held]]);
    metric("ganvas_queue_depth", "gauge", "Queue markers seen at the last listing.", [["", s.queueDepth]]);
    let cumulative = 0;
    const buckets = Object.entries(s.batchSize.buckets).map(([le, n]): [string, number] => {
      cumulative += n;
      return [`_bucket{le="${le}"}`, cumulative];
    });
    metric("ganvas_batch_size", "histogram", "Jobs per generator call.", [
      ...buckets,
      ["_sum", this.batchedJobs],
      ["_count", s.batches],
    ]);
    for (const [name, help, qs] of [
      ["ganvas_job_latency_seconds", "From enqueue to succeeded.", s.latencySeconds],
      ["ganvas_batch_run_seconds", "From claim to published, per batch.", s.batchRunSeconds],
    ] as const) {
      metric(name, "summary", help, [
        ['{quantile="0.5"}', qs.p50],
        ['{quantile="0.95"}', qs.p95],
        ['{quantile="0.99"}', qs.p99],
      ]);
    }
    metric(
      "ganvas_webhook_deliveries_total",
      "counter",
      "Webhook delivery attempts, by outcome.",
      Object.entries(s.deliveries).map(([k, v]) => [`{outcome="${k}"}`, v]),
    );
    metric("ganvas_storage_errors_total", "counter", "S3 requests that found it unreachable.", [
      ["", s.storage.errors],
    ]);
    metric("ganvas_tf_tensors", "gauge", "Live TensorFlow.js tensors.", [["", s.tensors]]);
    return `${lines.join("\n")}\n`;
  }
}
