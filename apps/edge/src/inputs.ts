import {
  IMAGE_FORMATS,
  IMAGE_MEDIA_TYPES,
  type ImageFormat,
  type ImageInfo,
  INLINE_IMAGE_MAX_BYTES,
  inspectImage,
  keys,
  type Storage,
  sha256Hex,
} from "@ganvas/shared";
import { fieldProblem } from "./problems.ts";
import { createObject, headObject } from "./s3-objects.ts";

/** An input image for style transfer or super-resolution: an earlier upload, or one sent inline. */
export interface ResolvedInput {
  id: string;
  info: ImageInfo;
  /** Path of the request field it came from, for error messages. */
  path: "input" | "image";
  /** Bytes of an inline image, stored only once the whole request has been accepted. */
  inline?: Uint8Array;
}

export const IMMUTABLE = "public, max-age=31536000, immutable";

function decodeBase64(b64: string): Uint8Array | undefined {
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function inlineImage(dataUrl: string): Uint8Array {
  const bytes = decodeBase64(dataUrl.slice(dataUrl.indexOf(",") + 1));
  if (!bytes) throw fieldProblem("image", "the data URL's base64 is malformed");
  if (bytes.length === 0) throw fieldProblem("image", "the inline image is empty");
  if (bytes.length > INLINE_IMAGE_MAX_BYTES) {
    throw fieldProblem(
      "image",
      `inline images are limited to ${INLINE_IMAGE_MAX_BYTES} bytes; use POST /v1/uploads`,
    );
  }
  return bytes;
}

/** Metadata stored with each upload, so later requests learn its size from a HEAD. */
export function inputMetadata(info: ImageInfo): Record<string, string> {
  return { format: info.format, width: String(info.width), height: String(info.height) };
}

function infoFromMetadata(meta: Record<string, string>): ImageInfo | undefined {
  const format = meta.format as ImageFormat;
  const width = Number(meta.width);
  const height = Number(meta.height);
  if (!IMAGE_FORMATS.includes(format) || !(width > 0) || !(height > 0)) return undefined;
  return { format, width, height };
}

export async function resolveInput(
  storage: Storage,
  req: { input?: string | undefined; image?: string | undefined },
): Promise<ResolvedInput> {
  if (req.input !== undefined && req.image !== undefined) {
    throw fieldProblem("image", "send either input (an upload id) or image (inline), not both");
  }
  if (req.image !== undefined) {
    const bytes = inlineImage(req.image);
    const check = inspectImage(bytes);
    if (!check.ok) throw fieldProblem("image", check.message);
    return { id: await sha256Hex(bytes), info: check.info, path: "image", inline: bytes };
  }
  if (req.input === undefined) {
    throw fieldProblem(
      "input",
      "required: an upload id from POST /v1/uploads, or an inline image in `image`",
    );
  }
  const head = await headObject(storage, keys.input(req.input));
  if (head === null)
    throw fieldProblem("input", `no upload ${req.input}; upload the image with POST /v1/uploads first`);
  let info = infoFromMetadata(head.metadata);
  if (!info) {
    // Written by something other than this edge: read it and inspect it the way an upload would be.
    const obj = await storage.get(keys.input(req.input));
    const check = obj ? inspectImage(obj.body) : undefined;
    if (!check?.ok)
      throw fieldProblem("input", `upload ${req.input} is not a usable png, jpeg or webp image`);
    info = check.info;
  }
  return { id: req.input, info, path: "input" };
}

/** Refuses an input larger than the job may take (super-resolution caps its output size). */
export function checkInputPixels(input: ResolvedInput, maxPixels: number, why: string): void {
  const pixels = input.info.width * input.info.height;
  if (pixels > maxPixels) {
    throw fieldProblem(
      input.path,
      `the image is ${input.info.width}×${input.info.height} (${pixels.toLocaleString("en")} pixels); ${why} accepts at most ${maxPixels.toLocaleString("en")}`,
    );
  }
}

/** Stores an image under inputs/<sha256>, once: true when this call created it. */
export function storeInput(
  storage: Storage,
  id: string,
  bytes: Uint8Array,
  info: ImageInfo,
): Promise<boolean> {
  return createObject(storage, keys.input(id), bytes, {
    contentType: IMAGE_MEDIA_TYPES[info.format],
    cacheControl: IMMUTABLE,
    metadata: inputMetadata(info),
  });
}
