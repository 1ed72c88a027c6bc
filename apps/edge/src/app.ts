import { StorageUnavailableError } from "@ganvas/shared";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { discardUnreadBody } from "./body.ts";
import { type AppEnv, storageFor } from "./env.ts";
import { ROUTE_METHODS } from "./operations.ts";
import { ProblemError, problemResponse } from "./problems.ts";
import { docs } from "./routes/docs.ts";
import { gallery } from "./routes/gallery.ts";
import { images } from "./routes/images.ts";
import { jobs } from "./routes/jobs.ts";
import { models } from "./routes/models.ts";
import { results } from "./routes/results.ts";
import { uploads } from "./routes/uploads.ts";

/** Browsers may call the API from any origin: auth is a bearer key, never a cookie, so "*" leaks nothing. */
const corsPolicy = cors({
  origin: "*",
  allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "content-type", "prefer", "if-none-match"],
  exposeHeaders: [
    "location",
    "etag",
    "retry-after",
    "preference-applied",
    "ratelimit-limit",
    "ratelimit-remaining",
    "x-request-id",
  ],
  maxAge: 86_400,
});

export function buildApp() {
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(corsPolicy);
  app.use(async (c, next) => {
    c.set("storage", storageFor(c.env));
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    await discardUnreadBody(c.req.raw);
  });

  app.get("/", (c) =>
    c.json({ name: "Ganvas", docs: `${new URL(c.req.url).origin}/docs`, openapi: "/openapi.json" }),
  );
  app.route("/v1/images", images);
  app.route("/v1/uploads", uploads);
  app.route("/v1/jobs", jobs);
  app.route("/v1/models", models);
  app.route("/r", results);
  app.route("/g", gallery);
  app.route("/", docs);

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const route = ROUTE_METHODS.find((r) => r.pattern.test(path));
    // A documented path asked with a method it does not allow; with an allowed one, it names nothing.
    if (route && !route.methods.includes(c.req.method)) {
      return problemResponse(c, "method-not-allowed", `${path} allows ${route.methods.join(", ")}`, {
        headers: { allow: route.methods.join(", ") },
      });
    }
    return problemResponse(c, "not-found", `no route for ${c.req.method} ${path}`);
  });

  app.onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(c, err.kind, err.message, err.extra);
    if (err instanceof StorageUnavailableError) {
      console.error(JSON.stringify({ level: "warn", requestId: c.get("requestId"), message: err.message }));
      return problemResponse(c, "storage-unavailable", "the image store is unreachable; try again shortly", {
        headers: { "retry-after": "5" },
      });
    }
    // Hono raises these for requests it cannot parse; they are the client's, so never a 500.
    if (err instanceof HTTPException && err.status < 500)
      return problemResponse(c, "malformed-json", err.message);
    console.error(
      JSON.stringify({
        level: "error",
        requestId: c.get("requestId"),
        message: String(err),
        stack: err instanceof Error ? err.stack : undefined,
      }),
    );
    return problemResponse(c, "internal", `something broke on our side; request id ${c.get("requestId")}`);
  });

  return app;
}
