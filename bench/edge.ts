import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Server } from "@ganvas/infra";
import {
  cacheKey,
  keys,
  Manifest,
  Storage,
  sha256Hex,
  TextToImageRequest,
  textToImageSpec,
} from "@ganvas/shared";
import { PNG } from "pngjs";
import { type LoadOptions, type LoadResult, load } from "./lib/load.ts";
import type { Report } from "./lib/report.ts";
import type { Scope } from "./lib/scope.ts";
import { startBenchEdge, startBenchS3 } from "./lib/stack.ts";
import { ms, num, times } from "./lib/stats.ts";

/**
 * The edge's two hot paths under a real load tool (autocannon), each next to a baseline measured in the
 * same run on the same S3 server:
 *  - a result image, `GET /r/<key>/0.png`, through the edge in workerd, against a direct GET of the same
 *    object from radosgw; once with the Workers Cache API in front (production mode, `X-Edge-Cache: HIT`)
 *    and once without (development mode: every request reads the object from S3);
 *  - a cache-hit `POST /v1/images/text-to-image` (auth, zod validation, cache key, manifest read) against
 *    `GET /` (routing and middleware only) on the same edge.
 * The object is seeded by hand: a 28×28 PNG and the manifest the edge would find for the request.
 */
export interface EdgeBenchOptions {
  scope: Scope;
  report: Report;
  connections?: readonly number[];
  /** Measured seconds per figure. */
  durationS?: number;
  warmupS?: number;
}

export interface EdgeBenchRow extends LoadResult {
  target: string;
  ratio: number;
}

export interface EdgeBenchResult {
  images: EdgeBenchRow[];
  validation: EdgeBenchRow[];
}

const REQUEST = { prompt: "a pair of sneakers", n: 1, seed: 1 };

/** A 28×28 grayscale picture the size of a real fashion-cdcgan output (not flat, so it compresses alike). */
function samplePng(): Uint8Array {
  const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const gray = new Uint8Array(28 * 28);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const r = Math.hypot(x - 13.5, (y - 13.5) * 1.4);
      gray[y * 28 + x] = r < 11 ? Math.round(120 + 100 * Math.sin(x * 0.9) * Math.cos(y * 0.7)) : 0;
    }
  png.data = Buffer.from(gray);
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** Seeds the result of REQUEST: its PNG (public-read, for the direct GET) and its manifest. */
async function seed(s3: S3Server): Promise<{ id: string; png: Uint8Array }> {
  const storage = new Storage(s3);
  try {
    const spec = await textToImageSpec(TextToImageRequest.parse(REQUEST));
    const id = await cacheKey(spec);
    const png = samplePng();
    await storage.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: keys.resultImage(id, 0),
        Body: png,
        ContentType: "image/png",
        CacheControl: "public, max-age=31536000, immutable",
        // The direct baseline is an anonymous GET; radosgw serves it only for a public-read object.
        ACL: "public-read",
      }),
    );
    const manifest = Manifest.parse({
      ...spec,
      schema: 1,
      id,
      images: [
        {
          index: 0,
          key: keys.resultImage(id, 0),
          width: 28,
          height: 28,
          bytes: png.byteLength,
          sha256: await sha256Hex(png),
        },
      ],
      createdAt: Date.now(),
      runtime: { backend: "bench", ms: 0 },
    });
    await storage.putJson(keys.manifest(id), manifest, { ifNoneMatch: "*" });
    return { id, png };
  } finally {
    storage.client.destroy();
  }
}

/** One GET that must return the seeded bytes; returns the X-Edge-Cache header. */
async function checkImage(url: string, png: Uint8Array): Promise<string | null> {
  const res = await fetch(url);
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 || Buffer.compare(body, png) !== 0)
    throw new Error(`GET ${url}: ${res.status}, ${body.byteLength} bytes instead of the seeded PNG`);
  return res.headers.get("x-edge-cache");
}

export async function benchEdge(options: EdgeBenchOptions): Promise<EdgeBenchResult> {
  const { scope, report } = options;
  const connections = options.connections ?? [1, 16, 64];
  const durationS = options.durationS ?? 5;
  const warmupS = options.warmupS ?? 1;

  const s3 = await startBenchS3(scope);
  const { id, png } = await seed(s3);
  const apiKey = `bench-${crypto.randomUUID()}`;
  // Production mode (Workers Cache API in front of S3, writes need a key) and development mode (no cache),
  // both with the per-key rate limit off: a load test is nothing but writes from one key.
  const [prod, dev] = await Promise.all([
    startBenchEdge(scope, s3, {
      dev: false,
      vars: { GANVAS_API_KEY_HASHES: await sha256Hex(apiKey), GANVAS_RATE_LIMIT_PER_MINUTE: "0" },
    }),
    startBenchEdge(scope, s3, { dev: true, vars: { GANVAS_RATE_LIMIT_PER_MINUTE: "0" } }),
  ]);

  const path = `/r/${id}/0.png`;
  const direct = `${s3.endpoint}/${s3.bucket}/${keys.resultImage(id, 0)}`;
  await checkImage(direct, png);
  await checkImage(`${prod.url}${path}`, png);
  const prodCache = await checkImage(`${prod.url}${path}`, png);
  const devCache = await checkImage(`${dev.url}${path}`, png);

  const run = (o: Omit<LoadOptions, "durationS" | "warmupS">) => load(scope, { ...o, durationS, warmupS });
  const images: EdgeBenchRow[] = [];
  for (const c of connections) {
    // Interleaved by concurrency, so a busy neighbour on the machine slows all three alike.
    const base = await run({ url: direct, connections: c });
    images.push({ target: "S3 direct (baseline)", ...base, ratio: 1 });
    const hit = await run({ url: `${prod.url}${path}`, connections: c });
    images.push({ target: `edge, Cache API (${prodCache ?? "?"})`, ...hit, ratio: hit.rps / base.rps });
    const bypass = await run({ url: `${dev.url}${path}`, connections: c });
    images.push({ target: `edge → S3 (${devCache ?? "?"})`, ...bypass, ratio: bypass.rps / base.rps });
  }

  const post = await fetch(`${prod.url}/v1/images/text-to-image`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(REQUEST),
  });
  const answer = (await post.json()) as { cached?: boolean; id?: string };
  if (post.status !== 200 || answer.cached !== true || answer.id !== id)
    throw new Error(`the seeded request is not a cache hit: ${post.status} ${JSON.stringify(answer)}`);
  const validation: EdgeBenchRow[] = [];
  for (const c of connections.filter((n) => n <= 16)) {
    const base = await run({ url: `${prod.url}/`, connections: c });
    validation.push({ target: "GET / (baseline)", ...base, ratio: 1 });
    const hit = await run({
      url: `${prod.url}/v1/images/text-to-image`,
      connections: c,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(REQUEST),
    });
    validation.push({ target: "POST text-to-image, cache hit", ...hit, ratio: hit.rps / base.rps });
  }

  const rows = (list: EdgeBenchRow[]) =>
    list.map((r) => [
      r.target,
      String(r.connections),
      num(r.rps, 0),
      ms(r.p50),
      ms(r.p99),
      times(r.ratio),
      r.failures === 0 ? "0" : `**${r.failures}**`,
    ]);
  const header = ["path", "connections", "requests/s", "p50 ms", "p99 ms", "× baseline", "errors"];

  report.heading("Edge: result images (cache hits)");
  report.note(
    `\`GET /r/<key>/0.png\` (${png.byteLength}-byte PNG) through the edge in workerd (\`wrangler dev\`), against ` +
      `an anonymous GET of the same object straight from radosgw. "Cache API" is the edge as deployed ` +
      `(GANVAS_DEV=0): the Workers Cache API answers, S3 is read once; "edge → S3" is development mode, ` +
      `where every request reads the object from S3 (signed GET). autocannon, closed loop, keep-alive, ` +
      `${warmupS} s warm-up + ${durationS} s per row; the load generator shares the machine's CPUs with ` +
      `workerd and radosgw.`,
  );
  report.table(header, rows(images));

  report.heading("Edge: request validation (cache-hit POST)");
  report.note(
    `\`POST /v1/images/text-to-image\` ${JSON.stringify(REQUEST)} with an API key, answered 200 from the ` +
      `cache: bearer-key check, zod validation, prompt match, cache key (sha256 of canonical JSON), manifest ` +
      `GET from S3, JSON view. Baseline: \`GET /\` on the same edge (routing and middleware, no S3). ` +
      `Production mode, rate limit off.`,
  );
  report.table(header, rows(validation));
  return { images, validation };
}
