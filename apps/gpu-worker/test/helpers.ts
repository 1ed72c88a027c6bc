import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tensor } from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { expect } from "vitest";
import { selectBackend } from "../src/backend/select.ts";
import { type CdcganConfig, defaultCdcganConfig } from "../src/models/cdcgan.ts";

/** Small enough that a D+G step takes milliseconds, same layer layout as the shipped model. */
export const tinyConfig: CdcganConfig = {
  ...defaultCdcganConfig,
  latentDim: 8,
  embedDim: 4,
  generatorWidths: [8, 4],
  discriminatorWidths: [4, 8],
  seed: 7,
};

export async function backend() {
  return selectBackend(process.env.GANVAS_BACKEND ?? "wasm");
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "ganvas-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A style generator's contract: each [h, w] RGB input comes back the same size, values in [-1, 1]. */
export function expectSameSizeInRange(
  tf: Awaited<ReturnType<typeof backend>>["tf"],
  g: LayersModel,
  sizes: readonly (readonly [number, number])[],
): void {
  for (const [h, w] of sizes) {
    const out = tf.tidy(() => g.predict(tf.randomUniform([1, h, w, 3], -1, 1, "float32", 1)) as Tensor);
    expect(out.shape).toEqual([1, h, w, 3]);
    const v = out.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    out.dispose();
  }
}
