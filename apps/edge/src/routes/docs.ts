import { PROBLEMS } from "@ganvas/shared";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { openApiDocument } from "../openapi.ts";
import { docsPage } from "../pages/docs-page.ts";
import { setPageHeaders } from "../pages/layout.ts";
import { ProblemError } from "../problems.ts";

export const docs = new Hono<AppEnv>();

docs.get("/openapi.json", (c) => {
  c.header("cache-control", "public, max-age=300");
  return c.json(openApiDocument(new URL(c.req.url).origin));
});

docs.get("/docs", (c) => {
  const origin = new URL(c.req.url).origin;
  setPageHeaders(c, "public, max-age=300");
  return c.html(docsPage(origin, openApiDocument(origin)));
});

/** Problem `type` URIs resolve to their entry in the reference. */
docs.get("/problems/:kind", (c) => {
  const kind = c.req.param("kind");
  if (!Object.hasOwn(PROBLEMS, kind)) throw new ProblemError("not-found", `no problem type ${kind}`);
  return c.redirect(`/docs#problem-${kind}`, 302);
});
