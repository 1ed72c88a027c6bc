import {
  IMAGE_MEDIA_TYPES,
  inspectImage,
  keys,
  Sha256Hex,
  sha256Hex,
  UPLOAD_LIMITS,
  type UploadView,
} from "@ganvas/shared";
import { Hono } from "hono";
import { writer } from "../auth.ts";
import { readBody } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { serveImmutable } from "../immutable.ts";
import { storeInput } from "../inputs.ts";
import { ProblemError } from "../problems.ts";

export const uploads = new Hono<AppEnv>();

const KIND_TO_PROBLEM = {
  unsupported: "unsupported-media-type",
  "too-large": "image-too-large",
  invalid: "invalid-image",
} as const;

/**
 * The raw image bytes are the body. The format comes from the bytes, never the Content-Type; size and
 * pixel limits are checked before anything is stored; the id is the sha256 of the bytes, so uploading the
 * same image twice stores it once (201 the first time, 200 after).
 */
uploads.post("/", writer, async (c) => {
  const type = c.req.header("content-type") ?? "";
  if (/^\s*(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type)) {
    throw new ProblemError("unsupported-media-type", "send the image's raw bytes as the body, not a form");
  }
  const bytes = await readBody(c.req.raw, UPLOAD_LIMITS.maxBytes);
  if (bytes.length === 0)
    throw new ProblemError("invalid-image", "the body is empty; send the image's bytes");
  const check = inspectImage(bytes);
  if (!check.ok) throw new ProblemError(KIND_TO_PROBLEM[check.kind], check.message);
  const id = await sha256Hex(bytes);
  const created = await storeInput(c.get("storage"), id, bytes, check.info);
  const url = `${new URL(c.req.url).origin}/v1/uploads/${id}`;
  const view: UploadView = {
    id,
    format: check.info.format,
    mediaType: IMAGE_MEDIA_TYPES[check.info.format],
    width: check.info.width,
    height: check.info.height,
    bytes: bytes.length,
    url,
  };
  c.header("location", url);
  return c.json(view, created ? 201 : 200);
});

/** Uploads are public by id, like results: the gallery shows a job's input. */
uploads.get("/:id", async (c) => {
  const id = c.req.param("id");
  if (!Sha256Hex.safeParse(id).success)
    throw new ProblemError("not-found", "upload ids are 64 hex characters");
  const safeType = (stored: string | undefined) =>
    stored && Object.values(IMAGE_MEDIA_TYPES).includes(stored) ? stored : "application/octet-stream";
  return serveImmutable(c, keys.input(id), safeType, `no upload ${id}`);
});
