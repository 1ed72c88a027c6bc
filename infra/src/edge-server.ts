import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, type Managed, startProcess, waitUntil } from "./processes.ts";

export interface S3Settings {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

export interface EdgeServer {
  url: string;
  process: Managed;
  stop(): Promise<void>;
}

const EDGE_DIR = fileURLToPath(new URL("../../apps/edge", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/** The edge's static assets (onnxruntime-web, the gallery's variations script): wrangler needs the folder. */
async function prepareStatic(): Promise<void> {
  await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/prepare-static.ts"], {
    cwd: EDGE_DIR,
  });
}

/** Runs the edge Worker in workerd through `wrangler dev`, offline, on loopback. */
export async function startEdge(
  s3: S3Settings,
  options: { port?: number; dev?: boolean; echo?: boolean; vars?: Record<string, string> } = {},
) {
  await prepareStatic();
  const port = options.port ?? (await freePort());
  const inspector = await freePort();
  const persist = mkdtempSync(join(tmpdir(), "ganvas-edge-"));
  const vars = {
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region ?? "us-east-1",
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    GANVAS_DEV: options.dev === false ? "0" : "1",
    // Extra Worker vars, e.g. GANVAS_API_KEY_HASHES or GANVAS_RATE_LIMIT_PER_MINUTE for a test.
    ...options.vars,
  };
  const args = [
    WRANGLER,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    persist,
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const proc = startProcess(process.execPath, args, {
    cwd: EDGE_DIR,
    name: "edge",
    echo: options.echo,
    env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil("edge (wrangler dev)", async () => (await fetch(`${url}/`)).ok, {
    timeoutMs: 60_000,
    process: proc,
  });
  return {
    url,
    process: proc,
    async stop() {
      await proc.stop();
      rmSync(persist, { recursive: true, force: true });
    },
  } satisfies EdgeServer;
}
