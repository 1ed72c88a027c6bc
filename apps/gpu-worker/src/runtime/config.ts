import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const Millis = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const BucketEnv = z.object({
  S3_ENDPOINT: z.url().default("http://127.0.0.1:7480"),
  S3_REGION: z.string().default("us-east-1"),
  S3_BUCKET: z.string().default("ganvas"),
  S3_ACCESS_KEY_ID: z.string().default("ganvas"),
  S3_SECRET_ACCESS_KEY: z.string().default("ganvas-secret"),
  GANVAS_MODELS_DIR: z.string().optional(),
});

const Env = BucketEnv.extend({
  GANVAS_WEBHOOK_SECRET: z.string().startsWith("whsec_", "must be a whsec_ secret"),
  GANVAS_WORKER_ID: z.string().optional(),
  GANVAS_LEASE_MS: Millis(1000, 30_000),
  GANVAS_POLL_MS: Millis(10, 250),
  /** Longest pause between retries while S3 cannot be reached. */
  GANVAS_BACKOFF_MAX_MS: Millis(10, 10_000),
  /** Dynamic batching: at most this many jobs of one model per generator call … */
  GANVAS_BATCH_MAX: z.coerce.number().int().min(1).max(1024).default(32),
  /** … gathered for at most this long after the first one is claimed. */
  GANVAS_BATCH_WINDOW_MS: Millis(0, 20),
  /** Multiplies the webhook retry schedule; tests compress hours into milliseconds with it. */
  GANVAS_WEBHOOK_RETRY_SCALE: z.coerce.number().positive().default(1),
  GANVAS_WEBHOOK_TIMEOUT_MS: Millis(100, 15_000),
  /** Deliveries a worker sends at once. */
  GANVAS_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** Health and metrics on 127.0.0.1; `0` picks a free port (logged), `off` serves none. */
  GANVAS_METRICS_PORT: z.union([z.literal("off"), z.coerce.number().int().min(0).max(65535)]).default(9464),
  /** On SIGTERM, how long the job in hand may take to finish before it is released to other workers. */
  GANVAS_SHUTDOWN_GRACE_MS: Millis(0, 30_000),
  /** `1`: webhooks may go to loopback (a receiver on this machine), as the edge allows in development. */
  GANVAS_DEV: z.enum(["0", "1"]).default("0"),
  GANVAS_BACKEND: z.string().optional(),
});

export interface WorkerConfig {
  storage: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  webhookSecret: string;
  workerId: string;
  modelsDir: string;
  leaseMs: number;
  pollMs: number;
  backoffMaxMs: number;
  batchMax: number;
  batchWindowMs: number;
  webhookRetryScale: number;
  webhookTimeoutMs: number;
  webhookConcurrency: number;
  /** undefined: no health/metrics server. */
  metricsPort: number | undefined;
  shutdownGraceMs: number;
  dev: boolean;
  backend: string | undefined;
}

export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../../../models", import.meta.url));

function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`worker configuration is invalid:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** The bucket and the models folder only: what commands that run no jobs (publish) need. */
export function bucketConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkerConfig, "storage" | "modelsDir"> {
  const e = parseEnv(BucketEnv, env);
  return {
    storage: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    },
    modelsDir: e.GANVAS_MODELS_DIR ?? DEFAULT_MODELS_DIR,
  };
}

/** Reads the worker's settings from the environment; a bad value stops start-up with the variable named. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = parseEnv(Env, env);
  return {
    ...bucketConfigFromEnv(env),
    webhookSecret: e.GANVAS_WEBHOOK_SECRET,
    workerId: e.GANVAS_WORKER_ID ?? `${hostname()}-${process.pid}`,
    leaseMs: e.GANVAS_LEASE_MS,
    pollMs: e.GANVAS_POLL_MS,
    backoffMaxMs: e.GANVAS_BACKOFF_MAX_MS,
    batchMax: e.GANVAS_BATCH_MAX,
    batchWindowMs: e.GANVAS_BATCH_WINDOW_MS,
    webhookRetryScale: e.GANVAS_WEBHOOK_RETRY_SCALE,
    webhookTimeoutMs: e.GANVAS_WEBHOOK_TIMEOUT_MS,
    webhookConcurrency: e.GANVAS_WEBHOOK_CONCURRENCY,
    metricsPort: e.GANVAS_METRICS_PORT === "off" ? undefined : e.GANVAS_METRICS_PORT,
    shutdownGraceMs: e.GANVAS_SHUTDOWN_GRACE_MS,
    dev: e.GANVAS_DEV === "1",
    backend: e.GANVAS_BACKEND,
  };
}
