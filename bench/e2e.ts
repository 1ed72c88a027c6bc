import { freePort, startWorker, waitUntil } from "@ganvas/infra";
import {
  generateWebhookSecret,
  JobRecord,
  keys,
  Storage,
  verifyWebhook,
  WebhookPayload,
} from "@ganvas/shared";
import { type Delivery, startReceiver } from "../tests/helpers/receiver.ts";
import { memoryOf, resetPeak } from "./lib/procfs.ts";
import type { Report } from "./lib/report.ts";
import { type Scope, sleep, within } from "./lib/scope.ts";
import { startBenchEdge, startBenchS3 } from "./lib/stack.ts";
import { median, mib, ms, num, seconds, times } from "./lib/stats.ts";

/**
 * The whole pipeline on loopback: edge in workerd → S3 (radosgw) → one `ganvas-worker run` process →
 * S3 → signed webhook to a local receiver. Two figures, each against the worker's own isolated work
 * (runner.runBatch, measured by bench/worker.ts in the same run):
 *  - one cache miss on an idle worker, from the POST to the verified webhook (median of a few), split into
 *    the phases the job record's timestamps show;
 *  - a burst of distinct requests (distinct seeds), from the first POST to the last webhook, against the
 *    time the worker's batched generator alone needs for as many images;
 * and the worker's peak resident memory (VmHWM) during the burst against its idle RSS.
 */
export interface IsolatedRow {
  batch: number;
  msPerBatch: number;
  imagesPerSecond: number;
}

export interface E2eBenchOptions {
  scope: Scope;
  report: Report;
  /** benchWorker's rows per serving runtime; the worker process's runtime is looked up in it. */
  isolated?: Record<string, readonly IsolatedRow[]>;
  idleRuns?: number;
  burst?: number;
  /** POSTs in flight at once during the burst. */
  burstConcurrency?: number;
  burstTimeoutMs?: number;
}

export interface E2eBenchResult {
  idleMs: number;
  burstSeconds: number;
  overhead: number;
  peakRss: number;
  idleRss: number;
}

const PROMPTS = [
  "a t-shirt",
  "a pair of trousers",
  "a pullover",
  "a dress",
  "a coat",
  "a sandal",
  "a shirt",
  "a sneaker",
  "a bag",
  "an ankle boot",
];

interface WorkerMetrics {
  batches: number;
  batchSize: { mean: number | null };
  jobs: Record<string, number>;
}

/** The worker's structured log lines (JSON on stderr) with this message. */
function logField(output: string, message: string, field: string): string | undefined {
  for (const line of output.split("\n").reverse()) {
    if (!line.includes(message)) continue;
    try {
      const entry = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, unknown>;
      if (entry.message === message && typeof entry[field] === "string") return entry[field];
    } catch {
      // Not a log line.
    }
  }
  return undefined;
}

async function verified(secret: string, d: Delivery): Promise<WebhookPayload> {
  return WebhookPayload.parse(await verifyWebhook(secret, d.headers, d.body));
}

export async function benchE2e(options: E2eBenchOptions): Promise<E2eBenchResult> {
  const { scope, report } = options;
  const idleRuns = options.idleRuns ?? 5;
  const burst = options.burst ?? 200;
  const concurrency = options.burstConcurrency ?? 32;

  const s3 = await startBenchS3(scope);
  const storage = scope.add("S3 client", new Storage(s3), (s) => s.client.destroy());
  const receiver = scope.add("webhook receiver", await startReceiver(), (r) => r.close());
  const secret = generateWebhookSecret();
  const metricsPort = await freePort();
  // The shipped defaults (poll 250 ms, batch window 20 ms, batch max 32, lease 30 s) except what a local run
  // needs: loopback webhooks (GANVAS_DEV=1) and a health/metrics port of its own.
  const worker = scope.add(
    "worker",
    startWorker(s3, {
      webhookSecret: secret,
      name: "worker",
      env: { GANVAS_DEV: "1", GANVAS_METRICS_PORT: String(metricsPort), GANVAS_WORKER_ID: "bench-worker" },
    }),
    (w) => w.stop(),
  );
  // Development mode lets webhooks go to the loopback receiver; the rate limit (120 writes a minute per
  // caller by default) would refuse most of the burst, so it is off.
  const edge = await startBenchEdge(scope, s3, { dev: true, vars: { GANVAS_RATE_LIMIT_PER_MINUTE: "0" } });
  const health = `http://127.0.0.1:${metricsPort}`;
  await waitUntil("worker /healthz", async () => (await fetch(`${health}/healthz`)).status === 200, {
    timeoutMs: 120_000,
    process: worker,
  });
  const pid = worker.child.pid;
  if (pid === undefined) throw new Error("the worker process has no pid");
  const metrics = async () => (await (await fetch(`${health}/metrics?format=json`)).json()) as WorkerMetrics;

  const post = async (body: unknown) => {
    const res = await fetch(`${edge.url}/v1/images/text-to-image`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { id?: string };
    if (res.status !== 202 || !json.id) throw new Error(`POST: ${res.status} ${JSON.stringify(json)}`);
    return json.id;
  };

  /** One request on an idle worker, timed from the POST to the verified webhook. */
  const single = async (i: number) => {
    const path = `/idle-${i}`;
    const start = Date.now();
    const id = await post({
      prompt: PROMPTS[i % PROMPTS.length],
      seed: 1000 + i,
      webhook: { url: receiver.url(path) },
    });
    const accepted = Date.now();
    const [delivery] = await receiver.waitFor(1, 60_000, path);
    if (!delivery) throw new Error(`no webhook for ${path}`);
    const payload = await verified(secret, delivery);
    if (payload.type !== "job.succeeded" || payload.data.id !== id)
      throw new Error(`webhook for ${path}: ${payload.type} ${payload.data.id}`);
    const job = (await storage.getJson(keys.job(id), JobRecord))?.value;
    const claimed = job?.startedAt ?? Number.NaN;
    const finished = job?.finishedAt ?? Number.NaN;
    return {
      total: delivery.at - start,
      post: accepted - start,
      queued: claimed - (job?.createdAt ?? Number.NaN),
      running: finished - claimed,
      delivery: delivery.at - finished,
    };
  };

  const cold = await single(0);
  const runtime = logField(worker.output(), "serving runtime selected", "runtime") ?? "unknown";
  const backend = logField(worker.output(), "worker starting", "backend") ?? "unknown";
  const idle: Awaited<ReturnType<typeof single>>[] = [];
  for (let i = 1; i <= idleRuns; i++) {
    // Long enough for the worker to be back to polling an empty queue.
    await sleep(1000);
    idle.push(await single(i));
  }

  const rows = options.isolated?.[runtime] ?? Object.values(options.isolated ?? {})[0] ?? [];
  const isolated1 = rows.find((r) => r.batch === 1);
  const best = [...rows].sort((a, b) => b.imagesPerSecond - a.imagesPerSecond)[0];
  const med = (f: (r: (typeof idle)[number]) => number) => median(idle.map(f));
  const idleMs = med((r) => r.total);

  // Burst: distinct seeds, so every request is a cache miss and its own job.
  await sleep(1000);
  const before = await metrics();
  const idleMemory = memoryOf(pid);
  const peakReset = resetPeak(pid);
  let sampledPeak = idleMemory?.rss ?? 0;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, memoryOf(pid)?.rss ?? 0);
  }, 50);
  let burstSeconds: number;
  let acceptedSeconds: number;
  let peak: number;
  try {
    const start = Date.now();
    let next = 0;
    const ids: string[] = [];
    await within(
      Promise.all(
        Array.from({ length: Math.min(concurrency, burst) }, async () => {
          while (next < burst) {
            const i = next++;
            ids.push(
              await post({
                prompt: PROMPTS[i % PROMPTS.length],
                seed: 100_000 + i,
                webhook: { url: receiver.url("/burst") },
              }),
            );
          }
        }),
      ),
      60_000,
      "burst POSTs",
    );
    acceptedSeconds = (Date.now() - start) / 1000;
    const deliveries = await receiver.waitFor(burst, options.burstTimeoutMs ?? 300_000, "/burst");
    burstSeconds = (Math.max(...deliveries.map((d) => d.at)) - start) / 1000;
    const payloads = await Promise.all(deliveries.map((d) => verified(secret, d)));
    const succeeded = new Set(payloads.filter((p) => p.type === "job.succeeded").map((p) => p.data.id));
    if (succeeded.size !== burst || new Set(ids).size !== burst)
      throw new Error(`burst: ${succeeded.size} jobs succeeded of ${new Set(ids).size} distinct requests`);
  } finally {
    clearInterval(sampler);
    peak = Math.max(sampledPeak, peakReset ? (memoryOf(pid)?.peak ?? 0) : 0);
  }
  const after = await metrics();
  const batchesRun = after.batches - before.batches;
  const jobsBatched =
    (after.batchSize.mean ?? 0) * after.batches - (before.batchSize.mean ?? 0) * before.batches;
  const meanBatch = batchesRun > 0 ? jobsBatched / batchesRun : Number.NaN;
  const isolatedSeconds = best ? burst / best.imagesPerSecond : Number.NaN;
  const overhead = burstSeconds / isolatedSeconds;
  const idleRss = idleMemory?.rss ?? Number.NaN;

  report.heading("End to end: one cache miss on an idle worker");
  report.note(
    `POST \`/v1/images/text-to-image\` (n 1, a new seed each time) to the edge in workerd (development mode) → ` +
      `job in S3 → one \`ganvas-worker run\` process (TensorFlow.js backend ${backend}, serving runtime ` +
      `${runtime}; shipped settings: poll 250 ms, batch window 20 ms) → PNG, manifest, job record in S3 → ` +
      `Standard Webhooks delivery to a receiver on loopback, signature verified. Median of ${idleRuns}, each ` +
      `after 1 s idle. Phases from the job record's timestamps. Baseline: the worker's own work for one ` +
      `job (runner.runBatch at batch 1: noise, generator, PNG), from the worker benchmark above.`,
  );
  report.table(
    [
      "request",
      "POST → webhook ms",
      "POST → 202",
      "queued (until claimed)",
      "running (claim → succeeded)",
      "succeeded → webhook",
      "× baseline",
    ],
    [
      [
        "first after start (loads the generator)",
        ms(cold.total),
        ms(cold.post),
        ms(cold.queued),
        ms(cold.running),
        ms(cold.delivery),
        isolated1 ? times(cold.total / isolated1.msPerBatch, 0) : "–",
      ],
      [
        `idle, median of ${idleRuns}`,
        ms(idleMs),
        ms(med((r) => r.post)),
        ms(med((r) => r.queued)),
        ms(med((r) => r.running)),
        ms(med((r) => r.delivery)),
        isolated1 ? times(idleMs / isolated1.msPerBatch, 0) : "–",
      ],
      [
        `baseline: runner.runBatch, 1 job (${runtime})`,
        isolated1 ? ms(isolated1.msPerBatch) : "–",
        "",
        "",
        "",
        "",
        "1×",
      ],
    ],
  );

  report.heading(`End to end: a burst of ${burst} distinct requests`);
  report.note(
    `${burst} POSTs (distinct seeds, ${concurrency} in flight) to the same stack, one worker; time from the ` +
      `first POST to the last verified webhook. Baseline: ${burst} images at the worker's best isolated ` +
      `throughput (runner.runBatch at batch ${best?.batch ?? "?"}, no S3, no webhooks). The ratio is the ` +
      `pipeline's overhead: claims, leases and conditional writes in S3, uploads, deliveries.`,
  );
  report.table(
    ["what", "seconds", "images/s", "time × baseline"],
    [
      [
        `burst: first POST → last webhook`,
        seconds(burstSeconds),
        num(burst / burstSeconds),
        times(overhead, 1),
      ],
      [`of which: all ${burst} POSTs answered 202`, seconds(acceptedSeconds), "", ""],
      [`worker: ${batchesRun} generator calls, mean batch ${num(meanBatch, 1)}`, "", "", ""],
      [
        `baseline: isolated runner.runBatch at batch ${best?.batch ?? "?"}`,
        seconds(isolatedSeconds),
        best ? num(best.imagesPerSecond) : "–",
        "1×",
      ],
    ],
  );

  report.heading("Worker memory under the burst");
  report.note(
    `Resident memory of the worker's node process (/proc/<pid>/status). Peak: VmHWM, reset just before the ` +
      `burst${peakReset ? "" : " (reset refused here: peak of 50 ms samples instead)"}; baseline: VmRSS when idle ` +
      `after the single requests (generator loaded).`,
  );
  report.table(
    ["worker process", "resident memory", "× idle"],
    [
      ["idle (baseline)", mib(idleRss), "1×"],
      [`peak during the burst of ${burst}`, mib(peak), times(peak / idleRss)],
    ],
  );
  return { idleMs, burstSeconds, overhead, peakRss: peak, idleRss };
}
