import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobSpec } from "@ganvas/shared";
import * as tfl from "@tensorflow/tfjs-layers";
import { PNG } from "pngjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildGenerator } from "../src/models/cdcgan.ts";
import { fsHandler } from "../src/models/fs-handler.ts";
import { drawNoise, generateBatch, toBytes } from "../src/models/generate.ts";
import { exportModelDir, ONNX_FILE } from "../src/onnx/files.ts";
import { summarizeModel } from "../src/onnx/graph.ts";
import { textToImageRunner } from "../src/runtime/text-to-image.ts";
import { loadServedGenerator } from "../src/serving/load.ts";
import { parseServingRuntime, runtimeOrder, tfjsOnGpu } from "../src/serving/runtimes.ts";
import { backend, tinyConfig, withTempDir } from "./helpers.ts";

interface Line {
  level: string;
  message: string;
  [k: string]: unknown;
}
function memoryLog() {
  const lines: Line[] = [];
  return {
    lines,
    log: (level: string, message: string, fields = {}) => void lines.push({ level, message, ...fields }),
  };
}

/** A generator with a layer the exporter lacks: only TensorFlow.js can serve it. */
function poolingGenerator(): tfl.LayersModel {
  const noise = tfl.input({ shape: [tinyConfig.latentDim], name: "noise" });
  const label = tfl.input({ shape: [10], name: "label" });
  let x = tfl.layers.concatenate().apply([noise, label]) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 14 * 14 * 2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reshape({ targetShape: [14, 14, 2] }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.upSampling2d({ size: [4, 4] }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: "pool" }).apply(x) as tfl.SymbolicTensor;
  const image = tfl.layers.conv2d({ filters: 1, kernelSize: 1, activation: "tanh" }).apply(x);
  return tfl.model({ inputs: [noise, label], outputs: image as tfl.SymbolicTensor });
}

const REQUESTS = [
  { classIndex: 1, seed: 3, count: 2 },
  { classIndex: 7, seed: 0, count: 1 },
];

beforeAll(async () => {
  await backend();
});
afterEach(() => {
  delete process.env.GANVAS_SERVING_RUNTIME;
});

describe("runtime-independent pre- and postprocessing", () => {
  it("draws the same noise for seed 0 every time (tfjs alone would read 0 as no seed)", () => {
    const a = drawNoise([{ classIndex: 0, seed: 0, count: 2 }], 8);
    expect(drawNoise([{ classIndex: 0, seed: 0, count: 2 }], 8)).toEqual(a);
    expect(drawNoise([{ classIndex: 0, seed: 1, count: 2 }], 8)).not.toEqual(a);
  });

  it("maps [-1, 1] to bytes as tfjs' round (half to even) and clip did", () => {
    expect(Array.from(toBytes(Float32Array.of(-1, 1, 0, -3, 3, Number.NaN, 1 / 127.5 - 1)))).toEqual([
      0, 255, 128, 0, 255, 0, 1,
    ]);
  });
});

describe("runtime choice", () => {
  it("puts TensorFlow.js first only on a GPU", () => {
    expect(runtimeOrder(false)).toEqual(["onnxruntime-node", "onnxruntime-web", "tfjs"]);
    expect(runtimeOrder(true)).toEqual(["tfjs", "onnxruntime-node", "onnxruntime-web"]);
    expect(tfjsOnGpu("tfjs-node-gpu")).toBe(true);
    expect(tfjsOnGpu("wasm")).toBe(false);
    expect(tfjsOnGpu()).toBe(false); // the tests run on wasm
  });

  it("reads GANVAS_SERVING_RUNTIME and refuses unknown names", () => {
    expect(parseServingRuntime(undefined)).toBeUndefined();
    expect(parseServingRuntime("auto")).toBeUndefined();
    expect(parseServingRuntime(" onnxruntime-web ")).toBe("onnxruntime-web");
    expect(() => parseServingRuntime("onnx")).toThrow(
      /GANVAS_SERVING_RUNTIME to auto or one of tfjs, onnxruntime-node/,
    );
  });
});

describe("loadServedGenerator", () => {
  it("serves tfjs weights alone on onnxruntime-node, exporting in memory, then uses generator.onnx", async () => {
    await withTempDir(async (dir) => {
      const g = buildGenerator(tinyConfig);
      await g.save(fsHandler(dir));
      const { lines, log } = memoryLog();
      const served = await loadServedGenerator(dir, { log });
      expect(served.runtime).toBe("onnxruntime-node");
      expect(served.onnx).toBe("missing");
      expect(lines).toContainEqual(
        expect.objectContaining({ message: "serving runtime selected", runtime: "onnxruntime-node" }),
      );
      const images = await generateBatch(served, REQUESTS);
      await served.dispose();

      await exportModelDir(dir);
      expect(summarizeModel(await readFile(join(dir, ONNX_FILE))).inputs.map((i) => i.name)).toEqual([
        "noise",
        "label",
      ]);
      const fresh = await loadServedGenerator(dir);
      expect(fresh.onnx).toBe("fresh");
      expect(await generateBatch(fresh, REQUESTS)).toEqual(images);
      await fresh.dispose();

      // A retrain overwrites the weights: the old generator.onnx is stale and must not be served.
      const retrained = buildGenerator({ ...tinyConfig, seed: 99 });
      await retrained.save(fsHandler(dir));
      const stale = await loadServedGenerator(dir);
      expect(stale.onnx).toBe("stale");
      const want = await generateBatch(retrained, REQUESTS);
      const got = await generateBatch(stale, REQUESTS);
      const diff = got
        .flat()
        .flatMap((img, i) => Array.from(img, (v, k) => Math.abs(v - (want.flat()[i]?.[k] ?? 0))));
      expect(Math.max(...diff)).toBeLessThanOrEqual(1);
      await stale.dispose();
      g.dispose();
      retrained.dispose();
    });
  });

  it("runs the runtime GANVAS_SERVING_RUNTIME names", async () => {
    await withTempDir(async (dir) => {
      await buildGenerator(tinyConfig).save(fsHandler(dir));
      for (const runtime of ["tfjs", "onnxruntime-web", "onnxruntime-node"] as const) {
        process.env.GANVAS_SERVING_RUNTIME = runtime;
        const served = await loadServedGenerator(dir);
        expect(served.runtime).toBe(runtime);
        expect((await generateBatch(served, REQUESTS)).flat()).toHaveLength(3);
        await served.dispose();
      }
    });
  });

  it("falls back to TensorFlow.js when the generator cannot be exported, and says why", async () => {
    await withTempDir(async (dir) => {
      await poolingGenerator().save(fsHandler(dir));
      const { lines, log } = memoryLog();
      const served = await loadServedGenerator(dir, { log });
      expect(served.runtime).toBe("tfjs");
      const warnings = lines.filter((l) => l.level === "warn").map((l) => `${l.runtime}: ${l.error}`);
      expect(warnings).toEqual([
        expect.stringMatching(/^onnxruntime-node: .*"pool" \(MaxPooling2D\)/),
        expect.stringMatching(/^onnxruntime-web: .*"pool" \(MaxPooling2D\)/),
      ]);
      await served.dispose();
      await expect(loadServedGenerator(dir, { runtime: "onnxruntime-node" })).rejects.toThrow(
        /Serving runtime "onnxruntime-node" could not start .*MaxPooling2D/,
      );
    });
  });
});

describe("textToImageRunner", () => {
  it("runs jobs on the chosen runtime and returns 28×28 PNGs", async () => {
    await withTempDir(async (modelsDir) => {
      const dir = join(modelsDir, "text-to-image", "fashion-cdcgan", "1");
      await mkdir(dir, { recursive: true });
      await buildGenerator(tinyConfig).save(fsHandler(dir));
      const { lines, log } = memoryLog();
      const run = textToImageRunner(modelsDir, { log });
      const spec = (prompt: string, seed: number, n = 1, temperature?: number): JobSpec => ({
        task: "text-to-image",
        model: "fashion-cdcgan@1",
        params: { prompt, n, seed, ...(temperature === undefined ? {} : { temperature }) },
        input: null,
      });
      const out = await run([spec("a red dress", 1, 2), spec("sneakers", 2)]);
      expect(out.map((job) => job.length)).toEqual([2, 1]);
      const png = PNG.sync.read(Buffer.from(out[0]?.[0]?.png ?? new Uint8Array()));
      expect([png.width, png.height]).toEqual([28, 28]);
      expect((await run([spec("sneakers", 2)]))[0]).toEqual(out[1]);
      // A job's temperature reaches its noise: same seed, other images; alone or beside others, the same.
      const cool = await run([spec("sneakers", 2, 1, 0.3), spec("sneakers", 2)]);
      expect(cool[1]).toEqual(out[1]);
      expect(cool[0]).not.toEqual(out[1]);
      expect((await run([spec("sneakers", 2, 1, 0.3)]))[0]).toEqual(cool[0]);
      expect(lines.filter((l) => l.message === "serving runtime selected").map((l) => l.runtime)).toEqual([
        "onnxruntime-node",
      ]);
    });
  });
});
