import { availableParallelism } from "node:os";
import type { ConditionalGenerator } from "../models/generate.ts";
import { summarizeModel } from "../onnx/graph.ts";

export type OnnxRuntimeName = "onnxruntime-node" | "onnxruntime-web";

/** The part of the onnxruntime API both packages share (both re-export onnxruntime-common). */
export type Ort = Pick<typeof import("onnxruntime-node"), "InferenceSession" | "Tensor">;

export interface OnnxGenerator extends ConditionalGenerator {
  dispose(): Promise<void>;
}

/**
 * onnxruntime-web reads its thread count once, when its wasm starts. Node runs its threads as
 * worker_threads, so all cores help (measured: 2 threads ≈ 1.3× one on a 2-core host).
 */
export function webThreads(): number {
  const fromEnv = Number(process.env.GANVAS_ORT_WEB_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.min(4, availableParallelism());
}

/** The runtime's module and its CPU execution provider; throws where the package cannot load. */
export async function loadOrt(runtime: OnnxRuntimeName): Promise<{ ort: Ort; provider: string }> {
  if (runtime === "onnxruntime-node") {
    // Loads the native binding (libonnxruntime, CPU provider, shipped in the npm package): throws if absent.
    return { ort: await import("onnxruntime-node"), provider: "cpu" };
  }
  const web = await import("onnxruntime-web");
  if (!web.env.wasm.numThreads) web.env.wasm.numThreads = webThreads();
  return { ort: web as unknown as Ort, provider: "wasm" };
}

/** onnxruntime-node's intra-op threads: GANVAS_ORT_THREADS, else onnxruntime's default (one per core). */
function nodeThreads(): number | undefined {
  const fromEnv = Number(process.env.GANVAS_ORT_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined;
}

/** An inference session on `runtime`, with every graph optimisation and the configured thread count. */
export async function openSession(
  bytes: Uint8Array,
  runtime: OnnxRuntimeName,
  options: { threads?: number } = {},
) {
  const { ort, provider } = await loadOrt(runtime);
  const threads = runtime === "onnxruntime-node" ? (options.threads ?? nodeThreads()) : undefined;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  return { ort, session };
}

/**
 * Opens an exported conditional generator (inputs: noise, label; output: channels-last images). `threads`
 * sets onnxruntime-node's intra-op threads (several worker processes on one host want fewer each).
 */
export async function onnxGenerator(
  bytes: Uint8Array,
  runtime: OnnxRuntimeName,
  options: { threads?: number } = {},
): Promise<OnnxGenerator> {
  const { inputs, outputs } = summarizeModel(bytes);
  const [noise, label] = inputs;
  const [image] = outputs;
  const latentDim = noise?.shape[1];
  const numClasses = label?.shape[1];
  if (!noise || !label || !image || typeof latentDim !== "number" || typeof numClasses !== "number") {
    throw new Error(
      "The ONNX model is not a conditional generator (inputs noise [b, z], label [b, classes]).",
    );
  }
  const { ort, session } = await openSession(bytes, runtime, options);
  const [, height = 0, width = 0, channels = 1] = image.shape.map((d) => d ?? 0);
  return {
    latentDim,
    numClasses,
    async predict(noiseData, labels, batch) {
      const result = await session.run({
        [noise.name]: new ort.Tensor("float32", noiseData, [batch, latentDim]),
        [label.name]: new ort.Tensor("float32", labels, [batch, numClasses]),
      });
      const out = result[image.name];
      if (out?.type !== "float32") throw new Error(`${runtime} returned no float32 "${image.name}".`);
      return { data: out.data as Float32Array, height, width, channels };
    },
    dispose: () => session.release(),
  };
}
