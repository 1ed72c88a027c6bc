import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { S3Settings } from "./edge-server.ts";
import { type Managed, startProcess } from "./processes.ts";

const WORKER_BIN = fileURLToPath(new URL("../../apps/gpu-worker/bin/ganvas-worker.js", import.meta.url));

function s3Env(s3: S3Settings): NodeJS.ProcessEnv {
  return {
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region ?? "us-east-1",
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}

/**
 * `ganvas-worker publish --all`: copies every shipped model version to the bucket and lists it in
 * models/registry.json, so the edge accepts exactly the models a worker can run. Returns what it printed.
 */
export async function publishShippedModels(s3: S3Settings): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [WORKER_BIN, "publish", "--all"], {
    env: { ...process.env, ...s3Env(s3) },
  });
  return stdout;
}

/** Starts one `ganvas-worker run` process against the bucket. */
export function startWorker(
  s3: S3Settings,
  options: { webhookSecret: string; env?: NodeJS.ProcessEnv; echo?: boolean; name?: string },
): Managed {
  return startProcess(process.execPath, [WORKER_BIN, "run"], {
    name: options.name ?? "worker",
    echo: options.echo,
    env: {
      ...s3Env(s3),
      GANVAS_WEBHOOK_SECRET: options.webhookSecret,
      ...options.env,
    },
  });
}
