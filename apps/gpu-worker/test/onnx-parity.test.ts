import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateBatch } from "../src/models/generate.ts";
import { PARITY_TOLERANCE } from "../src/onnx/cli.ts";
import { exportLayersModel } from "../src/onnx/export.ts";
import { loadSourceModel, readGeneratorSource } from "../src/onnx/files.ts";
import { checkParity } from "../src/onnx/parity.ts";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { onnxGenerator } from "../src/serving/onnx.ts";
import { backend } from "./helpers.ts";

/**
 * The tasks whose generators the exporter covers: the conditional text-to-image generators. The
 * image-to-image generators (style transfer, super-resolution) use layers it has no converter for yet
 * (resize, reflection padding, instance norm, pixel shuffle) and are served by TensorFlow.js; the last
 * test below holds the exporter to refusing them by name. models/eval/ holds classifiers, not generators.
 */
const EXPORTED_TASKS = ["text-to-image"];
const IMAGE_TASKS = ["style-transfer", "super-resolution"];

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

it.each(shippedGenerators(IMAGE_TASKS).map((dir) => [relative(DEFAULT_MODELS_DIR, dir), dir]))(
  "refuses to export %s, naming the layer it cannot convert",
  async (_name, dir) => {
    await import("../src/style/layers.ts");
    await import("../src/sr/model.ts");
    const model = await loadSourceModel(await readGeneratorSource(dir));
    expect(() => exportLayersModel(model)).toThrow(/Cannot export layer "[^"]+" \([A-Za-z0-9]+\) to ONNX/);
  },
);
