import { classVocabularyFor, keys, type Manifest, matchClassPrompt, TEMPERATURE_RANGE } from "@ganvas/shared";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "./env.ts";
import { headObject } from "./s3-objects.ts";
import { staticManifest } from "./static-files.ts";

/**
 * Whether a result's page may offer in-browser variations, and what the page needs for them. Only a
 * text-to-image result whose model version has an ONNX export in the bucket and whose training metadata
 * says it takes noise plus a one-hot class qualifies; the check is on those files, not on a model name,
 * so a new conditional generator gets variations by being published with its export.
 */

export const GENERATOR_FILE = "generator.onnx";
const METADATA_FILE = "metadata.json";

/** The part of a trainer's metadata.json that describes the generator's inputs. */
const ConditionalMetadata = z.looseObject({
  options: z.looseObject({
    config: z.looseObject({ latentDim: z.int().min(1).max(4096), numClasses: z.int().min(2).max(4096) }),
  }),
});

export interface VariationsView {
  /** Where the browser downloads the generator (served by the gallery route, cached forever). */
  generatorUrl: string;
  generatorBytes: number | undefined;
  ortModule: string;
  ortWasm: string;
  ortVersion: string;
  script: string;
  seed: number;
  count: number;
  /** The result's temperature: its noise was scaled by it, and so are the variations'. */
  temperature: number;
  classIndex: number;
  numClasses: number;
  latentDim: number;
}

/** `/g/models/text-to-image/<name>/<version>/generator.onnx`: one URL per model version, shared by its results. */
export const generatorPath = (name: string, version: number) =>
  `/g/models/text-to-image/${name}/${version}/${GENERATOR_FILE}`;

export async function variationsFor(c: Context<AppEnv>, m: Manifest): Promise<VariationsView | undefined> {
  if (m.task !== "text-to-image") return undefined;
  const [name = "", versionText = ""] = m.model.split("@");
  const version = Number(versionText);
  const seed = m.params.seed;
  const temperature = m.params.temperature ?? 1;
  const { min, max } = TEMPERATURE_RANGE;
  if (typeof temperature !== "number" || !(temperature >= min && temperature <= max)) return undefined;
  if (!name || !Number.isInteger(version) || version < 1) return undefined;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return undefined;
  // A model that reads prompts as tokens has no class to vary within.
  const classes = classVocabularyFor(name);
  if (!classes) return undefined;
  const match = matchClassPrompt(classes, String(m.params.prompt ?? ""));
  if (!match.ok || m.images.length === 0) return undefined;

  const storage = c.get("storage");
  const [metadata, generator, files] = await Promise.all([
    storage.get(keys.model(m.task, name, version, METADATA_FILE)),
    headObject(storage, keys.model(m.task, name, version, GENERATOR_FILE)),
    staticManifest(c),
  ]);
  if (!metadata || !generator || !files) return undefined;
  const parsed = ConditionalMetadata.safeParse(safeJson(metadata.body));
  if (!parsed.success) return undefined;
  const { latentDim, numClasses } = parsed.data.options.config;
  if (match.classIndex >= numClasses) return undefined;
  return {
    generatorUrl: generatorPath(name, version),
    generatorBytes: generator.contentLength,
    ortModule: files.ort.module,
    ortWasm: files.ort.wasm,
    ortVersion: files.ort.version,
    script: files.variations,
    seed,
    count: m.images.length,
    temperature,
    classIndex: match.classIndex,
    numClasses,
    latentDim,
  };
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
