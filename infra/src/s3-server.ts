import { execFile, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";

const run = promisify(execFile);

const startScript = fileURLToPath(new URL("../s3/start-ceph.sh", import.meta.url));
const stopScript = fileURLToPath(new URL("../s3/stop-ceph.sh", import.meta.url));
const gatewayScript = fileURLToPath(new URL("../s3/gateway.sh", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export const DEFAULT_S3_PORT = 7480;
export const DEFAULT_S3_BUCKET = "ganvas";
export const DEFAULT_S3_ACCESS_KEY_ID = "ganvas";
export const DEFAULT_S3_SECRET_ACCESS_KEY = "ganvas-secret";
export const S3_REGION = "us-east-1";

export interface S3ServerOptions {
  /** S3 (radosgw) port on 127.0.0.1; default 7480. */
  port?: number;
  /** Ceph monitor port on 127.0.0.1; default `port + 1`. */
  monPort?: number;
  /** State directory; default `.ganvas/s3-<port>` in the repository, so servers on different ports never share one. */
  dir?: string;
  bucket?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Seconds the start script may wait for each daemon; default 60. */
  timeoutSeconds?: number;
}

export interface S3Server {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** State directory of the cluster. */
  dir: string;
  stop(): Promise<void>;
  /**
   * Takes the S3 endpoint away (radosgw stops; connections are refused) while the cluster keeps its data,
   * as when an S3 service goes down. `resume()` brings it back and resolves once the bucket answers.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    what: string,
  ) {
    super(`${what} port ${port} on 127.0.0.1 is already in use; pick another port or stop what holds it`);
    this.name = "PortInUseError";
  }
}

function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new PortInUseError(port, what) : error);
    });
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve()));
  });
}

function processOutput(error: unknown): string {
  const { stderr, stdout } = error as { stderr?: string; stdout?: string };
  return [stderr, stdout]
    .filter((text): text is string => Boolean(text?.trim()))
    .join("\n")
    .trim();
}

async function waitForBucket(client: S3Client, bucket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`bucket ${bucket} is not reachable: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Starts a single-node Ceph cluster with radosgw on 127.0.0.1 (see infra/s3/start-ceph.sh) and resolves once
 * the bucket answers S3 requests. Requires the Debian packages `radosgw ceph-mon ceph-osd`.
 */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const port = opts.port ?? DEFAULT_S3_PORT;
  const monPort = opts.monPort ?? port + 1;
  const dir = opts.dir ?? `${repoRoot}.ganvas/s3-${port}`;
  const bucket = opts.bucket ?? DEFAULT_S3_BUCKET;
  const accessKeyId = opts.accessKeyId ?? DEFAULT_S3_ACCESS_KEY_ID;
  const secretAccessKey = opts.secretAccessKey ?? DEFAULT_S3_SECRET_ACCESS_KEY;
  const timeoutSeconds = opts.timeoutSeconds ?? 60;

  await assertPortFree(port, "S3");
  await assertPortFree(monPort, "Ceph mon");

  const stopSync = () => {
    spawnSync("bash", [stopScript, dir], { stdio: "ignore" });
  };
  // Daemonized Ceph processes outlive a Node process that dies without calling stop().
  process.once("exit", stopSync);

  const args = [startScript, dir, "--port", String(port), "--mon-port", String(monPort), "--bucket", bucket];
  args.push("--access-key", accessKeyId, "--secret-key", secretAccessKey);
  try {
    await run("bash", args, {
      env: { ...process.env, GANVAS_S3_TIMEOUT: String(timeoutSeconds) },
      timeout: timeoutSeconds * 4 * 1000,
    });
  } catch (error) {
    process.removeListener("exit", stopSync);
    const output = processOutput(error);
    if (/port \d+ is already in use \(S3 port\)/.test(output)) throw new PortInUseError(port, "S3");
    if (/port \d+ is already in use \(mon port\)/.test(output)) throw new PortInUseError(monPort, "Ceph mon");
    // On its own failures the script kills what it started; a timeout kills the script before it can.
    if ((error as { killed?: boolean }).killed) {
      await run("bash", [stopScript, dir, "--keep-logs"]).catch(() => undefined);
    }
    throw new Error(`local S3 server did not start: ${output || (error as Error).message}`);
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      client.destroy();
      process.removeListener("exit", stopSync);
      try {
        await run("bash", [stopScript, dir]);
      } catch (error) {
        throw new Error(
          `local S3 server did not stop cleanly: ${processOutput(error) || (error as Error).message}`,
        );
      }
    })();
    return stopping;
  };

  try {
    await waitForBucket(client, bucket, timeoutSeconds * 1000);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const pause = async () => {
    await run("bash", [gatewayScript, dir, "stop"]);
  };
  const resume = async () => {
    await run("bash", [gatewayScript, dir, "start"]);
    await waitForBucket(client, bucket, timeoutSeconds * 1000);
  };
  return { endpoint, region: S3_REGION, bucket, accessKeyId, secretAccessKey, dir, stop, pause, resume };
}

/**
 * A server on a random even port (its Ceph monitor on the next one) below the kernel's ephemeral range
 * (32768 and up), where outgoing connections take their local ports; tests and benches run several at once,
 * so a port taken between the check and the bind is retried on another.
 */
export async function startS3ServerOnRandomPort(
  opts: Omit<S3ServerOptions, "port" | "monPort"> = {},
  attempts = 5,
): Promise<S3Server> {
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 6_000);
    try {
      return await startS3Server({ ...opts, port });
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= attempts) throw err;
    }
  }
}
