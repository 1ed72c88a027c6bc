import {
  CATALOG_CHOICES,
  choicesFromRegistry,
  keys,
  type ModelChoices,
  ModelRegistry,
  StorageUnavailableError,
} from "@ganvas/shared";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

const DEFAULT_TTL_S = 30;

let cached: { bucket: string; value: ModelChoices; expires: number } | undefined;

/**
 * The models requests may use: `models/registry.json` when the bucket has one, else the static catalog.
 * Read at most once per TTL per isolate, since every task request needs it; while S3 is failing, the last
 * good answer is reused rather than failing requests that only need the list. A registry that does not
 * parse is logged and ignored: a bad publish must not take the API down.
 */
export async function modelChoices(c: Context<AppEnv>): Promise<ModelChoices> {
  const bucket = `${c.env.S3_ENDPOINT}|${c.env.S3_BUCKET}`;
  const ttlMs = Number(c.env.GANVAS_REGISTRY_TTL_S ?? DEFAULT_TTL_S) * 1000;
  const now = Date.now();
  if (cached?.bucket === bucket && cached.expires > now) return cached.value;
  let value: ModelChoices = CATALOG_CHOICES;
  try {
    const obj = await c.get("storage").get(keys.registry);
    if (obj !== null) {
      const parsed = safeJson(obj.body);
      const registry = ModelRegistry.safeParse(parsed);
      if (registry.success) value = choicesFromRegistry(registry.data);
      else {
        console.error(
          JSON.stringify({
            level: "error",
            message: `${keys.registry} does not parse; using the built-in catalog`,
          }),
        );
      }
    }
  } catch (err) {
    if (err instanceof StorageUnavailableError && cached?.bucket === bucket) return cached.value;
    throw err;
  }
  cached = { bucket, value, expires: now + (Number.isFinite(ttlMs) ? ttlMs : DEFAULT_TTL_S * 1000) };
  return value;
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
