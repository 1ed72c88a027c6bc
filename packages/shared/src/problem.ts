import { z } from "zod";

/** RFC 9457 problem types. Each `type` is a stable path under the API that documents it. */
export const PROBLEMS = {
  validation: { status: 422, title: "The request is not valid" },
  "malformed-json": { status: 400, title: "The body is not valid JSON" },
  "unsupported-media-type": { status: 415, title: "Unsupported content type" },
  "payload-too-large": { status: 413, title: "The body is too large" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  unauthorized: { status: 401, title: "Missing or invalid API key" },
  "rate-limited": { status: 429, title: "Too many requests" },
  conflict: { status: 409, title: "Conflict" },
  "invalid-image": { status: 422, title: "The image is damaged or incomplete" },
  "image-too-large": { status: 422, title: "The image has too many pixels" },
  "storage-unavailable": { status: 503, title: "Storage is unavailable" },
  internal: { status: 500, title: "Internal error" },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

export const ProblemIssue = z.object({ path: z.string(), message: z.string() });
export type ProblemIssue = z.infer<typeof ProblemIssue>;

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(ProblemIssue).optional(),
  /** Extension member: quote it when reporting a problem; it is on every log line of the request. */
  requestId: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

export function problemType(kind: ProblemKind): string {
  return `/problems/${kind}`;
}

export function problem(
  kind: ProblemKind,
  detail?: string,
  extra: { errors?: ProblemIssue[]; instance?: string; requestId?: string } = {},
): Problem {
  const { status, title } = PROBLEMS[kind];
  return { type: problemType(kind), title, status, ...(detail ? { detail } : {}), ...extra };
}

/** Zod issues → `{path, message}` with dotted paths ("webhook.url", "items.0"). */
export function issuesFromZod(error: z.ZodError): ProblemIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join(".") || "(body)",
    message: i.code === "unrecognized_keys" ? `unknown field(s): ${i.keys.join(", ")}` : i.message,
  }));
}
