import { issuesFromZod } from "@ganvas/shared";
import type { Context } from "hono";
import type { z } from "zod";
import { ProblemError } from "./problems.ts";

export const MAX_JSON_BYTES = 64 * 1024;

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** How much of an oversized body is read and discarded so the connection stays usable for the next request. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Answering before the client has sent its whole body leaves unread bytes on the connection; wrangler dev
 * then fails the next request on it ("worker restarted mid-request"). Discarding the rest, up to a bound,
 * keeps memory flat and the connection clean; past the bound the stream is cancelled.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): Promise<void> {
  let seen = 0;
  while (seen < limit) {
    const { done, value } = await reader.read();
    if (done) return;
    seen += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
}

function tooLarge(max: number): ProblemError {
  return new ProblemError("payload-too-large", `this endpoint accepts at most ${max} bytes`);
}

/**
 * The body, read as a stream and refused as soon as it passes `max` (or declares more): the isolate never
 * buffers more than `max` bytes of it.
 */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    await drain(reader, DRAIN_LIMIT);
    throw tooLarge(max);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await drain(reader, DRAIN_LIMIT);
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** After a request was refused unread (401, 415, 429…): discard its body so the connection stays usable. */
export async function discardUnreadBody(req: Request): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  await drain(req.body.getReader(), DRAIN_LIMIT).catch(() => undefined);
}

/** Reads a UTF-8 JSON body within the size limit and validates it; every failure is a specific 4xx. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  max = MAX_JSON_BYTES,
): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type.trim())) {
    throw new ProblemError("unsupported-media-type", "send the body as application/json (UTF-8)");
  }
  const buf = await readBody(c.req.raw, max);
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf));
  } catch (err) {
    const why = err instanceof Error ? err.message : "";
    throw new ProblemError("malformed-json", `the body is not valid UTF-8 JSON${why ? `: ${why}` : ""}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new ProblemError("validation", "one or more fields are invalid", {
      errors: issuesFromZod(parsed.error),
    });
  }
  return parsed.data;
}
