import { type ProblemIssue, type ProblemKind, problem } from "@ganvas/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ProblemExtra {
  errors?: ProblemIssue[];
  headers?: Record<string, string>;
}

/** A failure with its RFC 9457 body; thrown anywhere in a handler, rendered by `app.onError`. */
export class ProblemError extends HTTPException {
  constructor(
    readonly kind: ProblemKind,
    detail?: string,
    readonly extra: ProblemExtra = {},
  ) {
    super(problem(kind).status as ContentfulStatusCode, { message: detail ?? problem(kind).title });
  }
}

/** A validation failure of one field, the shape most refusals take. */
export function fieldProblem(path: string, message: string): ProblemError {
  return new ProblemError("validation", message, { errors: [{ path, message }] });
}

export function problemResponse(c: Context, kind: ProblemKind, detail?: string, extra: ProblemExtra = {}) {
  const requestId = c.get("requestId") as string | undefined;
  const body = problem(kind, detail, {
    errors: extra.errors,
    instance: new URL(c.req.url).pathname,
    requestId,
  });
  // Through the context, so headers set by middleware (CORS, rate limit) stay on the error response.
  return c.newResponse(JSON.stringify(body), body.status as ContentfulStatusCode, {
    "content-type": "application/problem+json",
    "cache-control": "no-store",
    ...extra.headers,
  });
}
