import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { S3Server } from "@ganvas/infra";
import { keys, ModelRegistry, type Storage } from "@ganvas/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ONNX_FILE, readGeneratorSource, SOURCE_DIGEST_KEY } from "../src/onnx/files.ts";
import { summarizeModel } from "../src/onnx/graph.ts";
import { publishModel, shippedVersions, upsertRegistry } from "../src/publish/publish.ts";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { backend, withTempDir } from "./helpers.ts";
import { emptyBucket, startTestS3 } from "./runtime-helpers.ts";

const FASHION = join(DEFAULT_MODELS_DIR, "text-to-image", "fashion-cdcgan", "1");

let s3: S3Server;
let storage: Storage;
beforeAll(async () => {
  await backend();
  ({ s3, storage } = await startTestS3());
});
afterAll(async () => {
  await s3?.stop();
});
beforeEach(async () => {
  await emptyBucket(storage);
});

const registry = async () => (await storage.getJson(keys.registry, ModelRegistry))?.value;

/** A model version folder whose generators are in sub-folders, the way styles and scales ship. */
async function versionWithGenerators(root: string, task: string, name: string, subs: string[]) {
  const dir = join(root, task, name, "1");
  for (const sub of subs) {
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, "model.json"), "{}");
  }
  await writeFile(join(dir, "model-card.json"), JSON.stringify({ metrics: { a: 1.5, note: "words" } }));
  return dir;
}

describe("publishing model versions to the bucket's registry", () => {
  it("copies the shipped text-to-image version and lists it with its card's figures", async () => {
    const { entry, files } = await publishModel(storage, FASHION);
    expect(files).toEqual(
      expect.arrayContaining(["model.json", "weights.bin", "samples.png", "model-card.json"]),
    );
    for (const f of files)
      expect(await storage.exists(keys.model("text-to-image", "fashion-cdcgan", 1, f))).toBe(true);
    expect(entry).toMatchObject({
      task: "text-to-image",
      name: "fashion-cdcgan",
      version: 1,
      outputSize: 28,
    });
    expect(entry.metrics?.promptAccuracy).toBeGreaterThan(0);
    expect(entry.sample).toBe("samples.png");
    const r = await registry();
    expect(r?.models.map((m) => `${m.name}@${m.version}`)).toEqual(["fashion-cdcgan@1"]);
    expect(r?.defaults?.["text-to-image"]).toBe("fashion-cdcgan");
  });

  it("uploads an ONNX export made from the weights beside it, even when the shipped file is stale or missing", async () => {
    const exported = async () => {
      const stored = await storage.get(keys.model("text-to-image", "fashion-cdcgan", 1, ONNX_FILE));
      return summarizeModel(stored?.body ?? new Uint8Array()).metadata[SOURCE_DIGEST_KEY];
    };
    const { digest } = await readGeneratorSource(FASHION);
    expect((await publishModel(storage, FASHION)).onnx).toBe("fresh");
    expect(await exported()).toBe(digest);
    await withTempDir(async (root) => {
      const copy = join(root, "text-to-image", "fashion-cdcgan", "1");
      await cp(FASHION, copy, { recursive: true });
      // Another generator's export stands in for one left behind by an earlier training run.
      await cp(
        join(DEFAULT_MODELS_DIR, "text-to-image", "shapes-tcgan", "1", ONNX_FILE),
        join(copy, ONNX_FILE),
      );
      expect((await publishModel(storage, copy)).onnx).toBe("stale");
      expect(await exported()).toBe(digest);
      await rm(join(copy, ONNX_FILE));
      await storage.delete(keys.model("text-to-image", "fashion-cdcgan", 1, ONNX_FILE));
      const { onnx, files } = await publishModel(storage, copy);
      expect(onnx).toBe("missing");
      expect(files).toContain(ONNX_FILE);
      expect(await exported()).toBe(digest);
    });
  });

  it("lists styles and scales from the generator sub-folders, and only numeric metrics", async () => {
    await withTempDir(async (root) => {
      const style = await versionWithGenerators(root, "style-transfer", "cyclegan", [
        "low-poly",
        "starry-night",
        "notes",
      ]);
      await writeFile(join(style, "notes", "readme.txt"), "not a generator");
      await rm(join(style, "notes", "model.json"));
      const sr = await versionWithGenerators(root, "super-resolution", "srgan", ["x4", "x2"]);
      expect((await publishModel(storage, style)).entry).toMatchObject({
        styles: ["low-poly", "starry-night"],
        metrics: { a: 1.5 },
      });
      expect((await publishModel(storage, sr)).entry.scales).toEqual([2, 4]);
      expect(await shippedVersions(root)).toEqual([style, sr]);
    });
  });

  it("republishing a version replaces its entry instead of adding a second", async () => {
    await publishModel(storage, FASHION);
    await publishModel(storage, FASHION);
    expect((await registry())?.models).toHaveLength(1);
  });

  it("publishers racing on the registry all land (compare-and-swap, no lost update)", async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({
      task: "style-transfer" as const,
      name: `style-${i}`,
      version: 1,
      description: "",
      active: true,
      styles: [`s${i}`],
    }));
    await Promise.all(entries.map((e) => upsertRegistry(storage, e)));
    expect((await registry())?.models.map((m) => m.name).sort()).toEqual(entries.map((e) => e.name));
  });

  it("refuses a folder that is not <task>/<name>/<version>, or holds no generator", async () => {
    await withTempDir(async (root) => {
      await expect(publishModel(storage, root)).rejects.toThrow(/not a model version folder/);
      const empty = join(root, "super-resolution", "srgan", "3");
      await mkdir(empty, { recursive: true });
      await expect(publishModel(storage, empty)).rejects.toThrow(/holds no generator/);
      const copy = join(root, "text-to-image", "fashion-cdcgan", "1");
      await cp(FASHION, copy, { recursive: true });
      expect((await publishModel(storage, copy)).entry.name).toBe("fashion-cdcgan");
    });
    expect(await storage.list("models/super-resolution/")).toEqual([]);
  });
});
