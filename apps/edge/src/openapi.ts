import {
  JobView,
  ModelsView,
  PROBLEMS,
  Problem,
  type ProblemKind,
  StyleTransferRequest,
  SuperResolutionRequest,
  TextToImageRequest,
  UploadView,
} from "@ganvas/shared";
import { z } from "zod";
import { OPERATIONS, type Operation } from "./operations.ts";

/**
 * GET /openapi.json: OpenAPI 3.1, whose schema dialect is JSON Schema 2020-12, which is what
 * `z.toJSONSchema` writes. Every body schema is converted from the zod schema the routes validate with
 * (requests as their input type, answers as their output type); the operations are the table in
 * operations.ts, which also drives the 405 answers, so documented and served routes cannot drift apart.
 */

const REQUESTS = { TextToImageRequest, StyleTransferRequest, SuperResolutionRequest } as const;
const RESPONSES = { Job: JobView, Upload: UploadView, Models: ModelsView, Problem } as const;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    target: "draft-2020-12",
    unrepresentable: "any",
  });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const PATH_PARAMS: Record<string, Record<string, unknown>> = {
  id: { type: "string", pattern: "^[0-9a-f]{64}$" },
  index: { type: "integer", minimum: 0, maximum: 99 },
  task: { type: "string", enum: ["text-to-image", "style-transfer", "super-resolution"] },
  version: { type: "integer", minimum: 1 },
};

function parameters(op: Operation) {
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "");
  const params: Record<string, unknown>[] = names.map((name) => ({
    name,
    in: "path",
    required: true,
    schema: PATH_PARAMS[name] ?? { type: "string" },
  }));
  for (const header of op.headers ?? []) params.push(header);
  return params;
}

function problemResponses(kinds: readonly ProblemKind[]) {
  const byStatus = new Map<number, ProblemKind[]>();
  for (const kind of kinds) {
    const status = PROBLEMS[kind].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), kind]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((k) => `\`/problems/${k}\`: ${PROBLEMS[k].title}`).join("; "),
        content: { "application/problem+json": { schema: ref("Problem") } },
        ...(status === 429 || status === 503
          ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "seconds to wait" } } }
          : {}),
      },
    ]),
  );
}

function operation(op: Operation) {
  const out: Record<string, unknown> = {
    operationId: op.id,
    summary: op.summary,
    description: op.description,
    tags: [op.tag],
    parameters: parameters(op),
    responses: { ...op.responses, ...problemResponses(op.problems) },
  };
  if (op.auth) out.security = [{ apiKey: [] }];
  if (op.body) out.requestBody = { required: true, content: op.body };
  return out;
}

let cached: { origin: string; doc: Record<string, unknown> } | undefined;

export function openApiDocument(origin: string): Record<string, unknown> {
  if (cached?.origin === origin) return cached.doc;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = operation(op);
  }
  const schemas = {
    ...Object.fromEntries(Object.entries(REQUESTS).map(([k, s]) => [k, jsonSchema(s, "input")])),
    ...Object.fromEntries(Object.entries(RESPONSES).map(([k, s]) => [k, jsonSchema(s, "output")])),
  };
  const doc = {
    openapi: "3.1.0",
    info: {
      title: "Ganvas",
      version: "1.0.0",
      summary:
        "Images from generative adversarial networks: text-to-image, style transfer, super-resolution.",
      description:
        "Identical requests share one cache key, so a repeat is answered from the cache. Writes need " +
        "`Authorization: Bearer <api key>` and are rate-limited per key. Every error is RFC 9457 " +
        "`application/problem+json` with a stable `type`.",
    },
    servers: [{ url: origin }],
    tags: [
      { name: "images", description: "Ask for images" },
      { name: "uploads", description: "Input images for style transfer and super-resolution" },
      { name: "jobs", description: "Follow and cancel jobs" },
      { name: "models", description: "What is deployed" },
      { name: "results", description: "Result images and gallery pages, public by id" },
      { name: "meta", description: "This description" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "an API key issued by the operator" },
      },
    },
  };
  cached = { origin, doc };
  return doc;
}
