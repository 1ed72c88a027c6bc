import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "./env.ts";

/**
 * The URLs of the edge's static assets (onnxruntime-web and the gallery's variations script), which
 * scripts/prepare-static.ts writes to `public/static/manifest.json` with the files. The Worker reads it
 * through the ASSETS binding; an edge deployed without the folder simply offers no variations.
 */

const StaticManifest = z.object({
  ort: z.object({ version: z.string(), module: z.string(), wasm: z.string() }),
  variations: z.string(),
});
export type StaticManifest = z.infer<typeof StaticManifest>;

type WithAssets = { ASSETS?: { fetch(request: Request): Promise<Response> } };

export async function staticManifest(c: Context<AppEnv>): Promise<StaticManifest | undefined> {
  const assets = (c.env as WithAssets).ASSETS;
  if (!assets) return undefined;
  const url = new URL("/static/manifest.json", c.req.url);
  try {
    const res = await assets.fetch(new Request(url));
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const parsed = StaticManifest.safeParse(await res.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
