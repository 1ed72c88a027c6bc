import { keys, Manifest, readJob, Sha256Hex } from "@ganvas/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { galleryPage, pendingPage } from "../pages/gallery-page.ts";
import { setPageHeaders } from "../pages/layout.ts";
import { ProblemError } from "../problems.ts";

export const gallery = new Hono<AppEnv>();

gallery.get("/:id", async (c) => {
  const id = c.req.param("id");
  if (!Sha256Hex.safeParse(id).success)
    throw new ProblemError("not-found", "gallery ids are 64 hex characters");
  const storage = c.get("storage");
  const origin = new URL(c.req.url).origin;
  const [manifest, job] = await Promise.all([
    storage.getJson(keys.manifest(id), Manifest),
    readJob(storage, id),
  ]);
  if (manifest) {
    // A finished result never changes; the page may still gain features, so cache it for minutes only.
    setPageHeaders(c, "public, max-age=300");
    return c.html(galleryPage(origin, manifest.value, job?.value));
  }
  if (job) {
    setPageHeaders(c, "no-store");
    return c.html(pendingPage(origin, job.value));
  }
  throw new ProblemError("not-found", `no job or result ${id}`);
});
