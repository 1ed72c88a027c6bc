import type { S3Server } from "@ganvas/infra";
import { keys, type Storage } from "@ganvas/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { runOnce } from "../src/runtime/job-loop.ts";
import { createRunner } from "../src/runtime/runners.ts";
import { backend } from "./helpers.ts";
import { enqueue, spec, startTestS3, testContext } from "./runtime-helpers.ts";

let s3: S3Server;
let storage: Storage;

beforeAll(async () => {
  ({ s3, storage } = await startTestS3());
});
afterAll(async () => {
  await s3?.stop();
});

const JOBS = 1000;
const PROMPTS = [
  "a t-shirt",
  "a trouser",
  "a pullover",
  "a dress",
  "a coat",
  "a sandal",
  "a shirt",
  "a sneaker",
];

describe("tensor memory", () => {
  it(`stays flat across ${JOBS} jobs through one worker with the shipped generator`, async () => {
    const { tf, name } = await backend();
    // TensorFlow.js serving, whose tensors are what this counts (ONNX runtimes hold none).
    const runner = createRunner(DEFAULT_MODELS_DIR, name, { runtime: "tfjs" });
    const { ctx, metrics } = testContext(storage, runner, { batchMax: 32 });
    await enqueue(
      storage,
      Array.from({ length: JOBS }, (_, i) => spec(PROMPTS[i % PROMPTS.length]!, i)),
      { concurrency: 16 },
    );
    // The first batch loads the generator (its weights are tensors that stay); count from there.
    let done = await runOnce(ctx);
    const baseline = tf.memory().numTensors;
    for (let ran = done; ran > 0; done += ran) ran = await runOnce(ctx);
    expect(done).toBe(JOBS);
    expect(tf.memory().numTensors).toBe(baseline);
    expect(metrics.jobs.succeeded).toBe(JOBS);
    expect(metrics.snapshot().batchSize.mean).toBeGreaterThan(16);
    const manifests = (await storage.list("results/", 10_000)).filter((k) => k.endsWith("/manifest.json"));
    expect(manifests).toHaveLength(JOBS);
    expect(await storage.list(keys.queuePrefix)).toEqual([]);
  });
});
