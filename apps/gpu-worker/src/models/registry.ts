import { type CdcganConfig, digitsCdcgan, fashionCdcgan } from "./cdcgan.ts";
import { shapesTcgan, type TcganConfig } from "./tcgan.ts";
import type { ModelDefinition } from "./types.ts";

/** Every model the worker can train or serve, by name; an unknown name is an error, never an import. */
export const MODELS = {
  "fashion-cdcgan": fashionCdcgan,
  "digits-cdcgan": digitsCdcgan,
  "shapes-tcgan": shapesTcgan,
} as const satisfies Record<string, ModelDefinition<CdcganConfig> | ModelDefinition<TcganConfig>>;

export type ModelName = keyof typeof MODELS;

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(MODELS, name);
}
