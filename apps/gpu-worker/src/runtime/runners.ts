import type { JobSpec } from "@ganvas/shared";
import { imageToImageRunner, type ReadInput } from "./image-to-image.ts";
import type { GeneratedImage, Runner } from "./runner.ts";
import { STYLE_TILES, styleTransferTransform } from "./style-transfer.ts";
import { SERVE_TILES, superResolutionTransform } from "./super-resolution.ts";
import { textToImageRunner } from "./text-to-image.ts";

type BatchFn = (specs: readonly JobSpec[]) => Promise<GeneratedImage[][]>;

type ServingOptions = NonNullable<Parameters<typeof textToImageRunner>[1]>;

/**
 * One runner per task; a task without a deployed model fails its jobs with a clear reason. `backend` is the
 * TensorFlow.js backend in use; `serving` can force a serving runtime (tests and benchmarks do); `readInput`
 * fetches the uploaded images that image-to-image jobs start from.
 */
export function createRunner(
  modelsDir: string,
  backend: string,
  serving: ServingOptions = {},
  readInput?: ReadInput,
): Runner {
  const byTask: Partial<Record<JobSpec["task"], BatchFn>> = {
    "text-to-image": textToImageRunner(modelsDir, { tfjsBackend: backend, ...serving }),
  };
  if (readInput) {
    const options = { tfjsBackend: backend, ...serving };
    byTask["style-transfer"] = imageToImageRunner(
      readInput,
      styleTransferTransform(modelsDir, STYLE_TILES, options),
    );
    byTask["super-resolution"] = imageToImageRunner(
      readInput,
      superResolutionTransform(modelsDir, SERVE_TILES, options),
    );
  }
  return {
    backend,
    // One generator call serves one model; everything else about a job is per-request input.
    batchKey: (spec) => `${spec.task}:${spec.model}`,
    runBatch(specs) {
      const task = specs[0]?.task;
      const run = task && byTask[task];
      if (!run) return Promise.reject(new Error(`this worker has no runner for ${task}`));
      if (specs.some((s) => `${s.task}:${s.model}` !== `${task}:${specs[0]?.model}`)) {
        return Promise.reject(new Error("a batch must hold jobs of one model"));
      }
      return run(specs);
    },
  };
}
