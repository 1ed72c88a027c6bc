import { ascii, type FormatReader, invalid, truncated, u16le, u24le, u32le } from "./image-bytes.ts";

/**
 * WebP: a RIFF container whose declared size must be present, chunks that must fit inside it, and a first
 * chunk that is VP8 (lossy), VP8L (lossless) or VP8X (extended, canvas size, then the image chunks).
 */

const IMAGE_CHUNKS = new Set(["VP8 ", "VP8L", "ANMF"]);

function riffEnd(b: Uint8Array): number {
  if (b.length < 20) throw truncated("webp");
  const end = 8 + u32le(b, 4);
  if (end < 20) throw invalid("the webp RIFF header declares an impossible size");
  if (end > b.length) throw truncated("webp");
  return end;
}

function size(b: Uint8Array): { width: number; height: number } {
  const end = riffEnd(b);
  const kind = ascii(b, 12, 4);
  const data = 20;
  const chunkSize = u32le(b, 16);
  if (data + chunkSize > end) throw truncated("webp");
  if (kind === "VP8 ") {
    if (chunkSize < 10) throw invalid("the webp VP8 chunk is too short");
    if ((b[data] ?? 1) & 1) throw invalid("the webp VP8 data does not start with a key frame");
    if (b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) {
      throw invalid("the webp VP8 frame lacks its start code");
    }
    // The frame tag's first-partition size must fit in the chunk (10 bytes of frame header precede it).
    if (((u24le(b, data) >>> 5) & 0x7ffff) + 10 > chunkSize) throw truncated("webp");
    return { width: u16le(b, data + 6) & 0x3fff, height: u16le(b, data + 8) & 0x3fff };
  }
  if (kind === "VP8L") {
    if (chunkSize < 5 || b[data] !== 0x2f) throw invalid("the webp VP8L chunk lacks its signature");
    const bits = u32le(b, data + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (kind === "VP8X") {
    if (chunkSize < 10) throw invalid("the webp VP8X chunk is too short");
    return { width: u24le(b, data + 4) + 1, height: u24le(b, data + 7) + 1 };
  }
  throw invalid(`the webp starts with an unknown chunk "${kind}"`);
}

export const webp: FormatReader = {
  header(b) {
    const s = size(b);
    if (s.width === 0 || s.height === 0)
      throw invalid(`the webp declares an unusable size ${s.width}×${s.height}`);
    return s;
  },

  structure(b) {
    const end = riffEnd(b);
    let at = 12;
    let images = 0;
    while (at < end) {
      if (at + 8 > end) throw truncated("webp");
      const chunkSize = u32le(b, at + 4);
      if (at + 8 + chunkSize > end) throw truncated("webp");
      if (IMAGE_CHUNKS.has(ascii(b, at, 4))) images++;
      // Chunks are padded to an even length; the padding may be absent only on the last one.
      at += 8 + chunkSize + (chunkSize & 1);
    }
    if (images === 0) throw invalid("the webp has no image data");
  },
};
