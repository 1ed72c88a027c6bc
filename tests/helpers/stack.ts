import {
  type EdgeServer,
  type S3Server,
  startEdge,
  startS3ServerOnRandomPort,
  startWorker,
} from "@ganvas/infra";
import { generateWebhookSecret, Storage } from "@ganvas/shared";

export interface TestStack {
  s3: S3Server;
  storage: Storage;
  edge: EdgeServer;
  webhookSecret: string;
  startWorker(env?: NodeJS.ProcessEnv, name?: string): ReturnType<typeof startWorker>;
  stop(): Promise<void>;
}

/** S3 server + edge in workerd; workers are started by each test as it needs them. */
export async function startStack(options: { edgeVars?: Record<string, string> } = {}): Promise<TestStack> {
  const s3 = await startS3ServerOnRandomPort();
  const webhookSecret = generateWebhookSecret();
  const workers: ReturnType<typeof startWorker>[] = [];
  let edge: EdgeServer | undefined;
  try {
    edge = await startEdge(s3, { vars: options.edgeVars });
  } catch (err) {
    await s3.stop();
    throw err;
  }
  const echo = process.env.GANVAS_TEST_ECHO === "1";
  return {
    s3,
    edge,
    webhookSecret,
    storage: new Storage(s3),
    startWorker(env = {}, name = "worker") {
      const w = startWorker(s3, {
        webhookSecret,
        name,
        echo,
        env: {
          GANVAS_POLL_MS: "100",
          GANVAS_WEBHOOK_RETRY_SCALE: "0.001",
          GANVAS_DEV: "1",
          GANVAS_METRICS_PORT: "0",
          ...env,
        },
      });
      workers.push(w);
      return w;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await edge?.stop();
      await s3.stop();
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}
