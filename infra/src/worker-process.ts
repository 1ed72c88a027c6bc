import { fileURLToPath } from "node:url";
import type { S3Settings } from "./edge-server.ts";
import { type Managed, startProcess } from "./processes.ts";

const WORKER_BIN = fileURLToPath(new URL("../../apps/gpu-worker/bin/ganvas-worker.js", import.meta.url));

/** Starts one `ganvas-worker run` process against the bucket. */
export function startWorker(
  s3: S3Settings,
  options: { webhookSecret: string; env?: NodeJS.ProcessEnv; echo?: boolean; name?: string },
): Managed {
  return startProcess(process.execPath, [WORKER_BIN, "run"], {
    name: options.name ?? "worker",
    echo: options.echo,
    env: {
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region ?? "us-east-1",
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      GANVAS_WEBHOOK_SECRET: options.webhookSecret,
      ...options.env,
    },
  });
}
