/**
 * Identifies png, jpeg and webp from their bytes (never from a Content-Type a client chose), reads the size
 * from the header and walks the container structure without decoding any pixel data. The size is checked
 * against the limits before the structure is walked, so a decompression bomb (a tiny file declaring a huge
 * canvas) is refused on its header alone; a truncated file is refused because its structure does not end.
 * Pure code over a Uint8Array, so it runs the same in workerd and Node.
 */

import { ascii, type FormatReader, ImageFormatError, startsWith } from "./image-bytes.ts";
import { jpeg } from "./image-sniff-jpeg.ts";
import { png } from "./image-sniff-png.ts";
import { webp } from "./image-sniff-webp.ts";

export const IMAGE_FORMATS = ["png", "jpeg", "webp"] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const IMAGE_MEDIA_TYPES: Record<ImageFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
};

export interface ImageLimits {
  /** Bytes of one upload. */
  maxBytes: number;
  /** width × height. */
  maxPixels: number;
  /** Longest side, so a 1 × 16M strip cannot pass the pixel limit. */
  maxSide: number;
}

/** Uploads: 10 MiB, 16.7 megapixels (4096²), 8192 px a side. */
export const UPLOAD_LIMITS: ImageLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 4096 * 4096,
  maxSide: 8192,
};

/** An image sent inline in a JSON body (base64 data URL) must be small; larger ones go through /v1/uploads. */
export const INLINE_IMAGE_MAX_BYTES = 256 * 1024;

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

export type ImageCheck =
  | { ok: true; info: ImageInfo }
  | { ok: false; kind: "unsupported" | "too-large" | "invalid"; message: string };

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** The format by magic number, or undefined. */
export function sniffFormat(b: Uint8Array): ImageFormat | undefined {
  if (startsWith(b, PNG_SIG)) return "png";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "jpeg";
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return "webp";
  return undefined;
}

/** Names common formats we refuse, so the error can say what was sent instead of "unknown". */
function describeOther(b: Uint8Array): string {
  const head = ascii(b, 0, 12);
  if (b.length === 0) return "an empty body";
  if (head.startsWith("GIF8")) return "a GIF";
  if (head.startsWith("BM")) return "a BMP";
  if (head.startsWith("II*\0") || head.startsWith("MM\0*")) return "a TIFF";
  if (head.slice(4, 8) === "ftyp") return `an ISO media file (${head.slice(8, 12).trim() || "ftyp"})`;
  if (head.startsWith("%PDF")) return "a PDF";
  if (startsWith(b, [0, 0, 1, 0])) return "an ICO";
  if (head.startsWith("RIFF")) return `a RIFF ${ascii(b, 8, 4)} file`;
  if (startsWith(b, PNG_SIG.slice(0, 4)) || startsWith(b, [0xff, 0xd8]))
    return "an incomplete image signature";
  if (/^\s*</.test(head)) return "markup (HTML, XML or SVG)";
  if (/^\s*[[{]/.test(head)) return "JSON";
  return "an unrecognised format";
}

const READERS: Record<ImageFormat, FormatReader> = { png, jpeg, webp };

/** Checks an image against the limits; never throws. */
export function inspectImage(bytes: Uint8Array, limits: ImageLimits = UPLOAD_LIMITS): ImageCheck {
  const format = sniffFormat(bytes);
  if (!format) {
    return {
      ok: false,
      kind: "unsupported",
      message: `expected a png, jpeg or webp image; the bytes are ${describeOther(bytes)}`,
    };
  }
  try {
    const reader = READERS[format];
    const { width, height } = reader.header(bytes);
    const side = Math.max(width, height);
    if (side > limits.maxSide || width * height > limits.maxPixels) {
      return {
        ok: false,
        kind: "too-large",
        message: `the ${format} is ${width}×${height}; the limit is ${limits.maxPixels.toLocaleString("en")} pixels and ${limits.maxSide} px a side`,
      };
    }
    reader.structure(bytes);
    return { ok: true, info: { format, width, height } };
  } catch (err) {
    if (err instanceof ImageFormatError) return { ok: false, kind: "invalid", message: err.message };
    throw err;
  }
}
