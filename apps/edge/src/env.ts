import { Storage } from "@ganvas/shared";

/** Bindings of the edge Worker: plain vars plus the S3 credentials and API key hashes as secrets. */
export interface Env {
  S3_ENDPOINT: string;
  S3_REGION: string;
  S3_BUCKET: string;
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
  /** "1" in local development: webhooks may target loopback over http; auth is off when no keys are set. */
  GANVAS_DEV: string;
  /** Comma-separated sha256 hex digests of the API keys allowed to write (a secret in production). */
  GANVAS_API_KEY_HASHES?: string;
  /** Writes per minute per API key (burst of the same size); "0" turns the limit off. Default 120. */
  GANVAS_RATE_LIMIT_PER_MINUTE?: string;
  /** Seconds the model registry read from the bucket is reused. Default 30. */
  GANVAS_REGISTRY_TTL_S?: string;
}

export type AppEnv = {
  Bindings: Env;
  Variables: { storage: Storage; requestId: string; principal: string };
};

export const isDev = (env: Env) => env.GANVAS_DEV === "1";

let cached: { config: string; storage: Storage } | undefined;

/** One S3 client per isolate: clients hold connection pools and signing keys worth reusing. */
export function storageFor(env: Env): Storage {
  const config = [env.S3_ENDPOINT, env.S3_REGION, env.S3_BUCKET, env.S3_ACCESS_KEY_ID].join("|");
  if (cached?.config !== config) {
    cached = {
      config,
      storage: new Storage({
        endpoint: env.S3_ENDPOINT,
        region: env.S3_REGION,
        bucket: env.S3_BUCKET,
        accessKeyId: env.S3_ACCESS_KEY_ID,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      }),
    };
  }
  return cached.storage;
}
