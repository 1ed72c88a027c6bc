import type { ConditionalGenerator } from "../models/generate.ts";
import { layersGenerator } from "../models/generate.ts";
import {
  type DirExport,
  type GeneratorSource,
  loadSourceModel,
  onnxForSource,
  readGeneratorSource,
} from "../onnx/files.ts";
import { onnxGenerator } from "./onnx.ts";
import { parseServingRuntime, runtimeOrder, type ServingRuntime, tfjsOnGpu } from "./runtimes.ts";

type Log = (level: "debug" | "info" | "warn" | "error", message: string, fields?: object) => void;

export interface ServedGenerator extends ConditionalGenerator {
  readonly runtime: ServingRuntime;
  /** For ONNX runtimes: whether generator.onnx was used ("fresh") or the weights were exported in memory. */
  readonly onnx?: DirExport["source"];
  dispose(): Promise<void>;
}

export interface ServingOptions {
  /** Forces a runtime; default GANVAS_SERVING_RUNTIME, then automatic. */
  runtime?: string;
  /** The worker's TensorFlow.js backend (selectBackend's name), to tell whether tfjs is on a GPU. */
  tfjsBackend?: string;
  log?: Log;
}

async function open(
  runtime: ServingRuntime,
  source: GeneratorSource,
  onnx: () => Promise<DirExport>,
): Promise<ServedGenerator> {
  if (runtime === "tfjs") {
    const model = await loadSourceModel(source);
    const generator = layersGenerator(model);
    return {
      runtime,
      latentDim: generator.latentDim,
      numClasses: generator.numClasses,
      predict: (noise, labels, batch) => generator.predict(noise, labels, batch),
      dispose: async () => {
        model.dispose();
      },
    };
  }
  const exported = await onnx();
  const generator = await onnxGenerator(exported.bytes, runtime);
  return {
    runtime,
    onnx: exported.source,
    latentDim: generator.latentDim,
    numClasses: generator.numClasses,
    predict: (noise, labels, batch) => generator.predict(noise, labels, batch),
    dispose: () => generator.dispose(),
  };
}

/**
 * Opens the model in `dir` (model.json + weights, generator.onnx optional) on the fastest runtime present:
 * TensorFlow.js on a GPU, else onnxruntime-node, else onnxruntime-web, else TensorFlow.js on the CPU. A runtime
 * that fails to start is logged and skipped; a forced one that fails is an error. A missing or stale
 * generator.onnx is exported from the weights in memory, so shipping tfjs weights alone is enough.
 */
export async function openOnFastestRuntime<T extends { readonly onnx?: DirExport["source"] }>(
  dir: string,
  options: ServingOptions,
  open: (runtime: ServingRuntime, source: GeneratorSource, onnx: () => Promise<DirExport>) => Promise<T>,
): Promise<T> {
  const log: Log = options.log ?? (() => {});
  const forced = parseServingRuntime(options.runtime ?? process.env.GANVAS_SERVING_RUNTIME);
  const onGpu = tfjsOnGpu(options.tfjsBackend);
  const order = forced ? [forced] : runtimeOrder(onGpu);
  const source = await readGeneratorSource(dir);
  let exported: Promise<DirExport> | undefined;
  const onnx = () => {
    exported ??= onnxForSource(source);
    return exported;
  };
  const failures: string[] = [];
  for (const runtime of order) {
    try {
      const opened = await open(runtime, source, onnx);
      log("info", "serving runtime selected", {
        dir,
        runtime,
        forced: forced !== undefined,
        tfjsOnGpu: onGpu,
        ...(opened.onnx
          ? { onnx: opened.onnx === "fresh" ? "generator.onnx" : `exported in memory (${opened.onnx})` }
          : {}),
      });
      return opened;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (forced) {
        throw new Error(
          `Serving runtime "${forced}" could not start for ${dir}: ${message}. Install it or unset GANVAS_SERVING_RUNTIME.`,
          { cause: err },
        );
      }
      failures.push(`${runtime}: ${message}`);
      log("warn", "serving runtime unavailable, trying the next", { dir, runtime, error: message });
    }
  }
  throw new Error(`No serving runtime could load ${dir}:\n  ${failures.join("\n  ")}`);
}

/** The conditional generator in `dir` on the fastest runtime present (see openOnFastestRuntime). */
export function loadServedGenerator(dir: string, options: ServingOptions = {}): Promise<ServedGenerator> {
  return openOnFastestRuntime(dir, options, open);
}

/**
 * `load` memoised per model folder: each generator is loaded once per process, on first use. A failed load is
 * forgotten, so the next job tries again (the weights may arrive later) instead of failing for ever.
 */
export function loadOncePerDir<T>(load: (dir: string) => Promise<T>): (dir: string) => Promise<T> {
  const loaded = new Map<string, Promise<T>>();
  return (dir) => {
    let m = loaded.get(dir);
    if (!m) {
      m = load(dir);
      m.catch(() => loaded.delete(dir));
      loaded.set(dir, m);
    }
    return m;
  };
}
