import { canonicalJson } from "./canonical-json.ts";
import { sha256Hex } from "./hash.ts";
import type { JobSpec } from "./schemas.ts";

/** key = sha256(canonical JSON of {task, model, params, input}); same request ⇒ same key ⇒ same image. */
export function cacheKey(spec: JobSpec): Promise<string> {
  return sha256Hex(
    canonicalJson({ task: spec.task, model: spec.model, params: spec.params, input: spec.input }),
  );
}

/**
 * A request without a seed gets one derived from everything else it asked for, so repeating a request
 * hits the cache while two different prompts still get independent noise.
 */
export async function derivedSeed(spec: JobSpec): Promise<number> {
  const hex = await cacheKey(spec);
  return Number.parseInt(hex.slice(0, 8), 16);
}
