import { z } from "zod";
import { CATALOG, type CatalogEntry, DEFAULT_MODEL } from "./catalog.ts";
import { Task } from "./schemas.ts";

/**
 * `models/registry.json` in the bucket: the models a deployment serves, written by the trainers' publish
 * step. The edge reads it (briefly cached) to accept and list models; without it the static catalog in
 * catalog.ts stands in. Objects are loose so a registry written by newer code still parses here.
 */

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
/** A plain file name inside the model's version folder: no slashes, no "..". */
const FileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);

export const RegistryModel = z.looseObject({
  task: Task,
  name: Name,
  version: z.int().min(1),
  description: z.string().default(""),
  /** false: no longer offered to new requests (its results stay served). */
  active: z.boolean().default(true),
  outputSize: z.int().positive().optional(),
  styles: z.array(Name).optional(),
  scales: z.array(z.int().min(2).max(8)).optional(),
  /** Quality figures from the model card, e.g. `{ fid: 31.2, promptAccuracy: 0.94 }` or `{ psnrY: 31.5 }`. */
  metrics: z.record(z.string(), z.number()).optional(),
  /** Sample grid and model card, as file names under `models/<task>/<name>/<version>/`. */
  sample: FileName.optional(),
  card: FileName.optional(),
  createdAt: z.string().optional(),
});
export type RegistryModel = z.infer<typeof RegistryModel>;

export const ModelRegistry = z.looseObject({
  schema: z.literal(1),
  updatedAt: z.string().optional(),
  /** Default model per task, `name` or `name@version`. */
  defaults: z.partialRecord(Task, z.string()).optional(),
  models: z.array(RegistryModel),
});
export type ModelRegistry = z.infer<typeof ModelRegistry>;

/** What a request may choose from: the registry's models, or the static catalog's. */
export interface ModelChoices {
  source: "registry" | "catalog";
  models: readonly RegistryModel[];
  defaults: Partial<Record<Task, string>>;
}

function fromCatalog(entry: CatalogEntry): RegistryModel {
  return {
    ...entry,
    styles: entry.styles ? [...entry.styles] : undefined,
    scales: entry.scales ? [...entry.scales] : undefined,
    active: true,
  };
}

export const CATALOG_CHOICES: ModelChoices = {
  source: "catalog",
  models: CATALOG.map(fromCatalog),
  defaults: Object.fromEntries(Object.entries(DEFAULT_MODEL).filter(([, v]) => v !== undefined)),
};

export function choicesFromRegistry(registry: ModelRegistry): ModelChoices {
  return { source: "registry", models: registry.models, defaults: registry.defaults ?? {} };
}
