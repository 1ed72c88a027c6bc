import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBatch } from "../src/models/generate.ts";
import { PARITY_TOLERANCE } from "../src/onnx/cli.ts";
import { exportLayersModel } from "../src/onnx/export.ts";
import { loadSourceModel, readGeneratorSource } from "../src/onnx/files.ts";
import { decodeModel } from "../src/onnx/graph.ts";
import { checkParity } from "../src/onnx/parity.ts";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { onnxGenerator } from "../src/serving/onnx.ts";
// Register the custom layers the image generators are saved with.
import "../src/sr/model.ts";
import "../src/style/layers.ts";
import { backend } from "./helpers.ts";

/**
 * Every shipped generator exports: the conditional text-to-image generators, checked batched and through
 * serving, and the image-to-image ones (style transfer, super-resolution), checked at two tile sizes on one
 * export, fed the value range each task's runner feeds (runtime/style-transfer.ts, runtime/super-resolution.ts).
 * models/eval/ holds classifiers, not generators.
 */
const EXPORTED_TASKS = ["text-to-image"];
const IMAGE_TASKS: Record<string, readonly [number, number]> = {
  "style-transfer": [-1, 1],
  "super-resolution": [0, 1],
};

/** Every generator shipped for `tasks`: each models/<task>/<name>/<version>[/<style or scale>]/ with a model.json. */
function shippedGenerators(tasks = EXPORTED_TASKS, dir = DEFAULT_MODELS_DIR, depth = 0): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (!statSync(path).isDirectory() || (depth === 0 && !tasks.includes(name))) return [];
    return readdirSync(path).includes("model.json") ? [path] : shippedGenerators(tasks, path, depth + 1);
  });
}

const RUNTIMES = ["onnxruntime-node", "onnxruntime-web"] as const;

beforeAll(async () => {
  // The tfjs side runs where the worker's fallback runs: the wasm backend with the worker's kernels.
  await backend();
});

describe.each(shippedGenerators().map((dir) => [relative(DEFAULT_MODELS_DIR, dir), dir]))(
  "shipped generator %s",
  (_name, dir) => {
    it.each(RUNTIMES)(`agrees with TensorFlow.js to ${PARITY_TOLERANCE} on %s`, async (runtime) => {
      const model = await loadSourceModel(await readGeneratorSource(dir));
      const bytes = exportLayersModel(model);
      for (const batch of [1, 64]) {
        const r = await checkParity(model, bytes, runtime, batch);
        expect(r.values).toBeGreaterThan(0);
        expect(r.maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
      }
      model.dispose();
    });

    it("serves the same 8-bit images on every runtime (±1 level), alone or batched", async () => {
      const model = await loadSourceModel(await readGeneratorSource(dir));
      const bytes = exportLayersModel(model);
      const requests = Array.from({ length: 12 }, (_, i) => ({
        classIndex: i % 10,
        seed: 17 * i,
        count: 1 + (i % 3),
      }));
      const reference = (await generateBatch(model, requests)).flat();
      for (const runtime of RUNTIMES) {
        const g = await onnxGenerator(bytes, runtime);
        const batched = await generateBatch(g, requests);
        let off = 0;
        batched.flat().forEach((img, i) => {
          const ref = reference[i] as Uint8Array;
          img.forEach((v, k) => {
            off = Math.max(off, Math.abs(v - (ref[k] ?? 0)));
          });
        });
        expect(off).toBeLessThanOrEqual(1);
        // Per-request seeds: each request alone gives exactly the bytes it got inside the batch.
        for (const [i, request] of requests.entries()) {
          expect(await generateBatch(g, [request])).toEqual([batched[i]]);
        }
        await g.dispose();
      }
      model.dispose();
    });
  },
);

it("finds the shipped generators", () => {
  expect(shippedGenerators().length).toBeGreaterThan(0);
});

const imageGenerators = Object.entries(IMAGE_TASKS).flatMap(([task, range]) =>
  shippedGenerators([task]).map((dir) => [relative(DEFAULT_MODELS_DIR, dir), dir, range] as const),
);

it("finds the shipped image-to-image generators of every task", () => {
  for (const task of Object.keys(IMAGE_TASKS)) {
    expect(imageGenerators.some(([name]) => name.startsWith(`${task}/`))).toBe(true);
  }
});

describe.each(imageGenerators)("shipped image generator %s", (_name, dir, range) => {
  let model: Awaited<ReturnType<typeof loadSourceModel>>;
  let bytes: Uint8Array;
  let sizes: (readonly [number, number])[];

  beforeAll(async () => {
    model = await loadSourceModel(await readGeneratorSource(dir));
    bytes = exportLayersModel(model);
    const { multiple = 1 } = JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8")) as {
      multiple?: number;
    };
    const up = (n: number) => Math.ceil(n / multiple) * multiple;
    // Two tile shapes, one not square, through one export.
    sizes = [
      [up(32), up(48)],
      [up(64), up(64)],
    ];
  });
  afterAll(() => model.dispose());

  it("exports with a symbolic batch, height and width", () => {
    const dims = decodeModel(bytes).graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["batch", "h", "w", 3]);
  });

  it.each(RUNTIMES)(
    `agrees with TensorFlow.js to ${PARITY_TOLERANCE} on %s at two tile sizes`,
    async (runtime) => {
      for (const size of sizes) {
        const r = await checkParity(model, bytes, runtime, 1, 1234, { size, range });
        expect(r.values).toBeGreaterThanOrEqual(size[0] * size[1] * 3);
        expect(r.maxAbsDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
      }
    },
  );
});
