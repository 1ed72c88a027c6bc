import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { fsHandler } from "../models/fs-handler.ts";
// The image-to-image generators are saved with these custom layers: registered here so any shipped
// generator folder loads.
import "../sr/model.ts";
import "../style/layers.ts";
import { exportLayersModel } from "./export.ts";
import { summarizeModel } from "./graph.ts";

/** The exported generator's file name, next to model.json and its weights. */
export const ONNX_FILE = "generator.onnx";
/** metadata_props key holding the sha256 of the tfjs files an ONNX model was exported from. */
export const SOURCE_DIGEST_KEY = "ganvas.source_sha256";

export interface GeneratorSource {
  dir: string;
  artifacts: tf.io.ModelArtifacts;
  /** sha256 of the topology, weight specs and weights: changes whenever a retrain saves. */
  digest: string;
}

/** Reads model.json and its weights once, so the digest and the loaded model describe the same bytes. */
export async function readGeneratorSource(dir: string): Promise<GeneratorSource> {
  const { load } = fsHandler(dir);
  if (!load) throw new Error("fsHandler cannot load");
  const artifacts = await load();
  const hash = createHash("sha256").update(JSON.stringify([artifacts.modelTopology, artifacts.weightSpecs]));
  const data = artifacts.weightData;
  for (const buffer of data === undefined ? [] : Array.isArray(data) ? data : [data]) {
    hash.update(new Uint8Array(buffer));
  }
  return { dir, artifacts, digest: hash.digest("hex") };
}

export function loadSourceModel(source: GeneratorSource): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(source.artifacts));
}

export interface DirExport {
  bytes: Uint8Array;
  /** "fresh": generator.onnx matched the weights; otherwise it was exported now, in memory. */
  source: "fresh" | "missing" | "stale";
}

/**
 * The ONNX model for a generator: generator.onnx when it was exported from the weights now there, else a
 * fresh in-memory export (a retrain that overwrote the weights leaves the old file stale).
 */
export async function onnxForSource(source: GeneratorSource, loaded?: tfl.LayersModel): Promise<DirExport> {
  let status: DirExport["source"] = "missing";
  try {
    const bytes = new Uint8Array(await readFile(join(source.dir, ONNX_FILE)));
    if (summarizeModel(bytes).metadata[SOURCE_DIGEST_KEY] === source.digest)
      return { bytes, source: "fresh" };
    status = "stale";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const model = loaded ?? (await loadSourceModel(source));
  try {
    return { bytes: exportSource(model, source), source: status };
  } finally {
    if (!loaded) model.dispose();
  }
}

function exportSource(model: tfl.LayersModel, source: GeneratorSource): Uint8Array {
  return exportLayersModel(model, { metadata: { [SOURCE_DIGEST_KEY]: source.digest } });
}

/** `ganvas-worker export`: writes generator.onnx next to model.json (write-then-rename). */
export async function exportModelDir(dir: string): Promise<{ path: string; bytes: number }> {
  const source = await readGeneratorSource(dir);
  const model = await loadSourceModel(source);
  try {
    const bytes = exportSource(model, source);
    const path = join(dir, ONNX_FILE);
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return { path, bytes: bytes.byteLength };
  } finally {
    model.dispose();
  }
}
