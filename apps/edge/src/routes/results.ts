import { keys, Sha256Hex } from "@ganvas/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { serveImmutable } from "../immutable.ts";
import { ProblemError } from "../problems.ts";

export const results = new Hono<AppEnv>();

/** Results are content-addressed and never rewritten, so they cache forever and revalidate by ETag. */
results.get("/:id/:file{[0-9]{1,2}\\.png}", async (c) => {
  const id = c.req.param("id");
  if (!Sha256Hex.safeParse(id).success)
    throw new ProblemError("not-found", "result ids are 64 hex characters");
  const index = Number.parseInt(c.req.param("file"), 10);
  return serveImmutable(
    c,
    keys.resultImage(id, index),
    () => "image/png",
    `no image ${index} for result ${id}`,
  );
});
