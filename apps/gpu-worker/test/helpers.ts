import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
