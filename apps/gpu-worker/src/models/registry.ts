import { type CdcganConfig, fashionCdcgan } from "./cdcgan.ts";
import type { ModelDefinition } from "./types.ts";

/** Every model the worker can train or serve, by name; an unknown name is an error, never an import. */
export const MODELS = {
  "fashion-cdcgan": fashionCdcgan,
} as const satisfies Record<string, ModelDefinition<CdcganConfig>>;

export type ModelName = keyof typeof MODELS;

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(MODELS, name);
}
