import type { ProblemKind } from "@ganvas/shared";

/**
 * Every route the edge serves, with what it answers. The OpenAPI document is built from this table, and
 * the 405 handler uses it to tell "wrong method" from "no such path".
 */

export interface Operation {
  id: string;
  method: "get" | "head" | "post";
  /** OpenAPI path template. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth?: boolean;
  body?: Record<string, { schema: unknown }>;
  headers?: Record<string, unknown>[];
  responses: Record<string, unknown>;
  problems: ProblemKind[];
}

const schema = (name: string) => ({ schema: { $ref: `#/components/schemas/${name}` } });
const json = (name: string, description: string, headers?: Record<string, unknown>) => ({
  description,
  content: { "application/json": schema(name) },
  ...(headers ? { headers } : {}),
});
const binary = (types: string[], description: string) => ({
  description,
  content: Object.fromEntries(types.map((t) => [t, { schema: { type: "string", contentMediaType: t } }])),
  headers: {
    ETag: { schema: { type: "string" }, description: "strong validator; send it back as If-None-Match" },
    "Cache-Control": { schema: { type: "string" }, description: "public, max-age=31536000, immutable" },
  },
});
const html = (description: string) => ({
  description,
  content: { "text/html": { schema: { type: "string" } } },
});

const PREFER = {
  name: "Prefer",
  in: "header",
  required: false,
  description: "`wait=N` (N ≤ 60) holds the request until the result exists or N seconds pass (RFC 7240)",
  schema: { type: "string", examples: ["wait=30"] },
};
const IF_NONE_MATCH = { name: "If-None-Match", in: "header", required: false, schema: { type: "string" } };
const NOT_MODIFIED = { description: "the ETag matches: your copy is current" };
const RATE = ["unauthorized", "rate-limited", "storage-unavailable"] as const satisfies ProblemKind[];
const JSON_BODY = ["malformed-json", "unsupported-media-type", "payload-too-large", "validation"] as const;
const JOB_ANSWERS = {
  "200": json("Job", "the result: from the cache (`cached: true`), or finished while waiting"),
  "202": json("Job", "a job was created or joined; follow `links.self`", {
    Location: { schema: { type: "string" }, description: "the job's URL" },
  }),
};

function task(id: string, path: string, body: string, summary: string, description: string): Operation {
  return {
    id,
    method: "post",
    path,
    tag: "images",
    summary,
    description,
    auth: true,
    body: { "application/json": schema(body) },
    headers: [PREFER],
    responses: JOB_ANSWERS,
    problems: [...JSON_BODY, ...RATE],
  };
}

function immutable(id: string, path: string, tag: string, types: string[], what: string): Operation[] {
  const base = {
    path,
    tag,
    headers: [IF_NONE_MATCH],
    problems: ["not-found", "storage-unavailable"] as ProblemKind[],
  };
  const responses = { "200": binary(types, what), "304": NOT_MODIFIED };
  return [
    { ...base, id, method: "get", summary: `${what}`, responses },
    { ...base, id: `${id}Head`, method: "head", summary: `${what}: headers only`, responses },
  ];
}

export const OPERATIONS: Operation[] = [
  task(
    "textToImage",
    "/v1/images/text-to-image",
    "TextToImageRequest",
    "Draw images from a prompt",
    "The prompt is matched to what the model can draw; a prompt it cannot draw gets a 422 listing what it can.",
  ),
  task(
    "styleTransfer",
    "/v1/images/style-transfer",
    "StyleTransferRequest",
    "Restyle an image",
    "Send `input` (an upload id) or `image` (a small inline data URL). The style must be one a model offers.",
  ),
  task(
    "superResolution",
    "/v1/images/super-resolution",
    "SuperResolutionRequest",
    "Enlarge an image ×2 or ×4",
    "The output may have at most 16.7 megapixels, so a ×4 input at most 1/16 of that.",
  ),
  {
    id: "upload",
    method: "post",
    path: "/v1/uploads",
    tag: "uploads",
    summary: "Upload an input image",
    description:
      "The body is the image's bytes (png, jpeg or webp, told apart by their content, not the Content-Type), " +
      "at most 10 MiB, 16.7 megapixels and 8192 px a side. The id is the sha256 of the bytes.",
    auth: true,
    body: Object.fromEntries(
      ["image/png", "image/jpeg", "image/webp", "application/octet-stream"].map((t) => [
        t,
        { schema: { type: "string", contentMediaType: t } },
      ]),
    ),
    responses: {
      "201": json("Upload", "stored"),
      "200": json("Upload", "these bytes were uploaded before; nothing new stored"),
    },
    problems: ["unsupported-media-type", "payload-too-large", "invalid-image", "image-too-large", ...RATE],
  },
  ...immutable(
    "getUpload",
    "/v1/uploads/{id}",
    "uploads",
    ["image/png", "image/jpeg", "image/webp"],
    "An uploaded image",
  ),
  {
    id: "getJob",
    method: "get",
    path: "/v1/jobs/{id}",
    tag: "jobs",
    summary: "A job's status, with its outputs once done",
    responses: { "200": json("Job", "the job") },
    problems: ["not-found", "storage-unavailable"],
  },
  {
    id: "cancelJob",
    method: "post",
    path: "/v1/jobs/{id}/cancel",
    tag: "jobs",
    summary: "Cancel a queued or running job",
    description: "Idempotent. Jobs are shared by identical requests: this cancels it for all of them.",
    auth: true,
    responses: { "200": json("Job", "the job, now canceled") },
    problems: ["not-found", "conflict", ...RATE],
  },
  {
    id: "listModels",
    method: "get",
    path: "/v1/models",
    tag: "models",
    summary: "Models per task: versions, styles, scales, metrics and sample images",
    responses: { "200": json("Models", "the deployed models") },
    problems: ["storage-unavailable"],
  },
  ...immutable(
    "getModelFile",
    "/v1/models/{task}/{name}/{version}/{file}",
    "models",
    ["image/png", "application/json"],
    "A model's sample grid or card",
  ),
  ...immutable("getResult", "/r/{id}/{index}.png", "results", ["image/png"], "A result image"),
  {
    id: "gallery",
    method: "get",
    path: "/g/{id}",
    tag: "results",
    summary: "Gallery page of a result, with OpenGraph and Twitter card tags",
    responses: { "200": html("the page; while the job runs, a page that refreshes itself") },
    problems: ["not-found", "storage-unavailable"],
  },
  {
    id: "openapi",
    method: "get",
    path: "/openapi.json",
    tag: "meta",
    summary: "This document",
    responses: {
      "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } },
    },
    problems: [],
  },
  {
    id: "docs",
    method: "get",
    path: "/docs",
    tag: "meta",
    summary: "This document as a web page",
    responses: { "200": html("the reference") },
    problems: [],
  },
];

/** Regular expressions of the documented paths with the methods each allows, for 405 answers. */
export const ROUTE_METHODS: { pattern: RegExp; methods: string[] }[] = (() => {
  const byPath = new Map<string, Set<string>>();
  for (const op of OPERATIONS)
    byPath.set(op.path, (byPath.get(op.path) ?? new Set()).add(op.method.toUpperCase()));
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/\./g, "\\.").replace(/\{\w+\}/g, "[^/]+")}$`),
    methods: [...methods, ...(methods.has("GET") ? ["HEAD"] : []), "OPTIONS"].filter(
      (m, i, a) => a.indexOf(m) === i,
    ),
  }));
})();
