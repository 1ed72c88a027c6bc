import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Where a generator runs when it serves requests. Training always uses TensorFlow.js; serving takes the
 * fastest of these that is present (bench/onnx.ts measures them side by side).
 */
export const SERVING_RUNTIMES = ["tfjs", "onnxruntime-node", "onnxruntime-web"] as const;
export type ServingRuntime = (typeof SERVING_RUNTIMES)[number];

export function isServingRuntime(value: string): value is ServingRuntime {
  return (SERVING_RUNTIMES as readonly string[]).includes(value);
}

/** GANVAS_SERVING_RUNTIME (or an explicit choice): undefined means automatic; anything unknown is an error. */
export function parseServingRuntime(value: string | undefined): ServingRuntime | undefined {
  const v = value?.trim();
  if (!v || v === "auto") return undefined;
  if (!isServingRuntime(v)) {
    throw new Error(
      `Unknown serving runtime "${v}": set GANVAS_SERVING_RUNTIME to auto or one of ${SERVING_RUNTIMES.join(", ")}.`,
    );
  }
  return v;
}

/**
 * Whether TensorFlow.js runs on a GPU here. `backend` is the worker's selectBackend name when known; else
 * the active tfjs backend decides ("tensorflow" is tfjs-node-gpu only when that package is installed,
 * since selectBackend tries it first).
 */
export function tfjsOnGpu(backend?: string): boolean {
  if (backend !== undefined)
    return backend === "tfjs-node-gpu" || backend === "webgl" || backend === "webgpu";
  let active: string;
  try {
    active = tf.getBackend();
  } catch {
    return false;
  }
  if (active === "webgl" || active === "webgpu") return true;
  if (active !== "tensorflow") return false;
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node-gpu");
    return true;
  } catch {
    return false;
  }
}

/**
 * Fastest first. TensorFlow.js leads only on a GPU; on CPUs the ONNX export on onnxruntime-node is about
 * 10× the tfjs wasm backend, onnxruntime-web (wasm) about 2×, and tfjs stays as the last resort.
 */
export function runtimeOrder(onGpu: boolean): ServingRuntime[] {
  return onGpu
    ? ["tfjs", "onnxruntime-node", "onnxruntime-web"]
    : ["onnxruntime-node", "onnxruntime-web", "tfjs"];
}
