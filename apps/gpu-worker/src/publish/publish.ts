import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  DEFAULT_MODEL,
  keys,
  ModelRegistry,
  PreconditionFailedError,
  RegistryModel,
  resolveModel,
  type Storage,
  TASKS,
  type Task,
} from "@ganvas/shared";
import { type DirExport, ONNX_FILE, onnxForSource, readGeneratorSource } from "../onnx/files.ts";
import { cardMetrics } from "./card-metrics.ts";

const FILE_TYPES: Record<string, string> = {
  ".json": "application/json",
  ".png": "image/png",
  ".bin": "application/octet-stream",
  ".onnx": "application/octet-stream",
};
const SAMPLE = "samples.png";
const CARD = "model-card.json";
/** A registry write races other publishers only briefly; more rounds than this means something is wrong. */
const MAX_ROUNDS = 8;

export interface PublishResult {
  entry: RegistryModel;
  files: string[];
  /**
   * A version-level generator's ONNX export (what the gallery runs in the browser): "fresh" when the shipped
   * generator.onnx matched the weights, "stale" or "missing" when it was exported again for the upload.
   */
  onnx?: DirExport["source"];
}

/** `models/<task>/<name>/<version>` → its parts, or a clear error naming the folder. */
export function parseVersionDir(dir: string): { task: Task; name: string; version: number } {
  const version = Number(basename(dir));
  const name = basename(dirname(dir));
  const task = basename(dirname(dirname(dir)));
  if (!(TASKS as readonly string[]).includes(task) || !Number.isInteger(version) || version < 1) {
    throw new Error(
      `${dir} is not a model version folder (<task>/<name>/<version>, task one of ${TASKS.join(", ")})`,
    );
  }
  return { task: task as Task, name, version };
}

async function listDir(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  return {
    files: entries.filter((e) => e.isFile()).map((e) => e.name),
    dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name),
  };
}

const hasWeights = async (dir: string) =>
  stat(join(dir, "model.json")).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * What the registry says of a shipped version: the catalog's description, the styles or scales it has
 * generators for (one sub-folder each), the card's headline figures, its sample grid and card.
 */
export async function registryEntry(dir: string): Promise<RegistryModel> {
  const { task, name, version } = parseVersionDir(dir);
  const { files, dirs } = await listDir(dir);
  const generators = [];
  for (const d of dirs.sort()) if (await hasWeights(join(dir, d))) generators.push(d);
  if (!(await hasWeights(dir)) && generators.length === 0) {
    throw new Error(`${dir} holds no generator (no model.json in it or in a sub-folder)`);
  }
  const catalog = resolveModel(task, `${name}@${version}`) ?? resolveModel(task, name);
  const card = files.includes(CARD) ? JSON.parse(await readFile(join(dir, CARD), "utf8")) : undefined;
  const metrics = card === undefined ? undefined : cardMetrics(card);
  return RegistryModel.parse({
    task,
    name,
    version,
    description: catalog?.description ?? "",
    active: true,
    outputSize: catalog?.outputSize,
    styles: task === "style-transfer" ? generators : undefined,
    scales:
      task === "super-resolution"
        ? generators
            .map((g) => /^x(\d+)$/.exec(g)?.[1])
            .filter((s) => s !== undefined)
            .map(Number)
            .sort((a, b) => a - b)
        : undefined,
    metrics: metrics && Object.keys(metrics).length > 0 ? metrics : undefined,
    sample: files.includes(SAMPLE) ? SAMPLE : undefined,
    card: files.includes(CARD) ? CARD : undefined,
    createdAt: new Date().toISOString(),
  });
}

/**
 * Copies a version folder's files (weights, ONNX export, card, samples; sub-folders are the worker's own
 * per-style and per-scale weights and stay local) to `models/<task>/<name>/<version>/` and puts its entry
 * in `models/registry.json`, replacing an entry of the same version. The registry is updated with a
 * compare-and-swap, so publishers running at once never lose each other's entries. Re-exporting a stale
 * generator.onnx needs a TensorFlow.js backend (selectBackend) to load the weights.
 */
export async function publishModel(storage: Storage, dir: string): Promise<PublishResult> {
  const entry = await registryEntry(dir);
  const { files } = await listDir(dir);
  // The bucket's export must come from the weights next to it: the browser's images must match the worker's.
  const onnx = (await hasWeights(dir)) ? await onnxForSource(await readGeneratorSource(dir)) : undefined;
  const names = new Set(files);
  if (onnx !== undefined) names.add(ONNX_FILE);
  const uploaded: string[] = [];
  for (const file of [...names].sort()) {
    const type = FILE_TYPES[file.slice(file.lastIndexOf("."))];
    if (type === undefined) continue;
    const body = file === ONNX_FILE && onnx !== undefined ? onnx.bytes : await readFile(join(dir, file));
    await storage.put(keys.model(entry.task, entry.name, entry.version, file), body, { contentType: type });
    uploaded.push(file);
  }
  await upsertRegistry(storage, entry);
  return { entry, files: uploaded, ...(onnx ? { onnx: onnx.source } : {}) };
}

export async function upsertRegistry(storage: Storage, entry: RegistryModel): Promise<ModelRegistry> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await storage.getJson(keys.registry, ModelRegistry);
    const models = (current?.value.models ?? []).filter(
      (m) => !(m.task === entry.task && m.name === entry.name && m.version === entry.version),
    );
    models.push(entry);
    models.sort(
      (a, b) => a.task.localeCompare(b.task) || a.name.localeCompare(b.name) || a.version - b.version,
    );
    const defaults: Partial<Record<Task, string>> = { ...current?.value.defaults };
    // A task's default is the catalog's default model when it is published, else the first one published.
    for (const task of TASKS) {
      const preferred = DEFAULT_MODEL[task];
      if (preferred !== undefined && models.some((m) => m.task === task && m.name === preferred)) {
        defaults[task] = preferred;
      } else if (defaults[task] === undefined) {
        const first = models.find((m) => m.task === task);
        if (first) defaults[task] = first.name;
      }
    }
    const next: ModelRegistry = { schema: 1, updatedAt: new Date().toISOString(), defaults, models };
    try {
      await storage.putJson(keys.registry, next, current ? { ifMatch: current.etag } : { ifNoneMatch: "*" });
      return next;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  throw new Error(`${keys.registry} kept changing under ${MAX_ROUNDS} attempts to publish ${entry.name}`);
}

/** Every shipped version folder under `modelsDir` (`<task>/<name>/<version>`), in a stable order. */
export async function shippedVersions(modelsDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const task of TASKS) {
    const taskDir = join(modelsDir, task);
    const names = await listDir(taskDir).then(
      (l) => l.dirs,
      () => [],
    );
    for (const name of names.sort()) {
      const versions = (await listDir(join(taskDir, name))).dirs.filter((v) => /^\d+$/.test(v));
      for (const v of versions.sort((a, b) => Number(a) - Number(b))) {
        const dir = join(taskDir, name, v);
        const { dirs } = await listDir(dir);
        const anyWeights =
          (await hasWeights(dir)) ||
          (await Promise.all(dirs.map((d) => hasWeights(join(dir, d))))).some(Boolean);
        if (anyWeights) out.push(dir);
      }
    }
  }
  return out;
}
