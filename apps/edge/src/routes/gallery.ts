import { keys, Manifest, readJob, Sha256Hex } from "@ganvas/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { serveImmutable } from "../immutable.ts";
import { galleryPage, pendingPage } from "../pages/gallery-page.ts";
import { setPageHeaders } from "../pages/layout.ts";
import { ProblemError } from "../problems.ts";
import { modelChoices } from "../registry.ts";
import { GENERATOR_FILE, variationsFor } from "../variations.ts";

export const gallery = new Hono<AppEnv>();

/**
 * A text-to-image model's ONNX export, for the gallery's in-browser variations. A published version's
 * weights never change, so it is cached forever and shared by every result of that version.
 */
gallery.get("/models/text-to-image/:name/:version/generator.onnx", async (c) => {
  const { name, version } = c.req.param();
  const choices = await modelChoices(c);
  const known = choices.models.some(
    (m) => m.task === "text-to-image" && m.name === name && String(m.version) === version,
  );
  if (!known) throw new ProblemError("not-found", `no text-to-image model ${name}@${version}`);
  return serveImmutable(
    c,
    keys.model("text-to-image", name, Number(version), GENERATOR_FILE),
    () => "application/octet-stream",
    `model ${name}@${version} has no ONNX export`,
  );
});

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
    const variations = await variationsFor(c, manifest.value);
    // A finished result never changes; the page may still gain features, so cache it for minutes only.
    setPageHeaders(c, "public, max-age=300", { scripts: variations !== undefined });
    return c.html(galleryPage(origin, manifest.value, job?.value, variations));
  }
  if (job) {
    setPageHeaders(c, "no-store");
    return c.html(pendingPage(origin, job.value));
  }
  throw new ProblemError("not-found", `no job or result ${id}`);
});
