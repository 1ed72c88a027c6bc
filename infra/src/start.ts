import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateWebhookSecret } from "@ganvas/shared";
import { startEdge } from "./edge-server.ts";
import { QUIET_ENV } from "./processes.ts";
import { startS3Server } from "./s3-server.ts";
import { publishShippedModels, startWorker } from "./worker-process.ts";

/** `npm start`: the whole stack on loopback — S3 server, edge in workerd, one worker — until Ctrl-C. */
const STATE = fileURLToPath(new URL("../../.ganvas", import.meta.url));
const S3_PORT = Number(process.env.GANVAS_S3_PORT ?? 7480);
const EDGE_PORT = Number(process.env.GANVAS_EDGE_PORT ?? 8787);

function webhookSecret(): string {
  const file = `${STATE}/webhook-secret`;
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = generateWebhookSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function main() {
  Object.assign(process.env, QUIET_ENV);
  mkdirSync(STATE, { recursive: true });
  const t0 = performance.now();
  const step = (what: string) => console.log(`• ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  console.log("Starting Ganvas on 127.0.0.1 …");
  const s3 = await startS3Server({ port: S3_PORT, dir: `${STATE}/s3` });
  step(`S3 server ready at ${s3.endpoint}, bucket "${s3.bucket}"`);
  // Stopped in reverse order of starting: the edge takes no more requests, the worker finishes its job and its last
  // poll, and only then does the bucket go away.
  const stops: (() => Promise<void>)[] = [() => s3.stop()];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping Ganvas …");
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(String(err)));
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));
  try {
    const published = await publishShippedModels(s3);
    step(`models published to the bucket's registry:\n${published.trimEnd().replace(/^/gm, "    ")}`);
    const secret = webhookSecret();
    const worker = startWorker(s3, {
      webhookSecret: secret,
      echo: true,
      env: { GANVAS_LOG_LEVEL: "info", GANVAS_DEV: "1" },
    });
    stops.push(() => worker.stop());
    const edge = await startEdge(s3, { port: EDGE_PORT, echo: true });
    stops.push(() => edge.stop());
    step(`edge (workerd) ready at ${edge.url}`);
    console.log(`
Ganvas is up. Ask it for an image:

  curl -s -X POST ${edge.url}/v1/images/text-to-image \\
       -H 'content-type: application/json' \\
       -H 'prefer: wait=30' \\
       -d '{"prompt": "a pair of sneakers", "n": 4}'

Open the "gallery" link it returns in a browser, or fetch an image from "outputs".

Restyle or enlarge a picture of your own (PNG, JPEG or WebP): upload it, then name its id:

  curl -s -X POST ${edge.url}/v1/uploads -H 'content-type: application/octet-stream' --data-binary @photo.jpg
  curl -s -X POST ${edge.url}/v1/images/style-transfer \\
       -H 'content-type: application/json' -H 'prefer: wait=60' \\
       -d '{"input": "<id>", "style": "starry-night"}'      (or low-poly, noto-emoji)
  curl -s -X POST ${edge.url}/v1/images/super-resolution \\
       -H 'content-type: application/json' -H 'prefer: wait=60' \\
       -d '{"input": "<id>", "scale": 4}'

Models, styles, scales and their measured quality: GET ${edge.url}/v1/models
Job status:        GET ${edge.url}/v1/jobs/<id>
Webhook secret:    ${secret}   (also in .ganvas/webhook-secret; verify deliveries with verifyWebhook)
Press Ctrl-C to stop everything.`);
  } catch (err) {
    console.error(`Start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

await main();
