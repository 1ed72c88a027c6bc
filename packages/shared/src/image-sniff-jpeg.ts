import { type FormatReader, invalid, truncated, u16be } from "./image-bytes.ts";

/**
 * JPEG: SOI, then marker segments whose lengths must fit; the frame header (SOFn) gives the size; after each
 * scan (SOS) the entropy-coded data runs to the next real marker; the file must reach EOI. Bytes after EOI
 * (camera trailers, MPO's second picture) are ignored, as decoders do.
 */

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const isRst = (m: number) => m >= 0xd0 && m <= 0xd7;

/** Skips entropy-coded data: 0xFF00 is a stuffed byte and RSTn markers sit inside the scan. */
function skipScan(b: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    i = b.indexOf(0xff, i);
    if (i < 0 || i + 1 >= b.length) throw truncated("jpeg");
    const m = b[i + 1] ?? 0;
    if (m === 0x00 || isRst(m)) i += 2;
    else if (m === 0xff) i += 1;
    else return i;
  }
}

function walk(b: Uint8Array, headerOnly: boolean): { width: number; height: number } {
  let pos = 2;
  let size: { width: number; height: number } | undefined;
  let scanned = false;
  for (;;) {
    if (pos >= b.length) throw truncated("jpeg");
    if (b[pos] !== 0xff) throw invalid("the jpeg has bytes outside any segment");
    while (b[pos] === 0xff) pos++;
    if (pos >= b.length) throw truncated("jpeg");
    const marker = b[pos++] ?? 0;
    if (marker === 0xd9) {
      if (!size || !scanned) throw invalid("the jpeg ends before any image data");
      return size;
    }
    if (marker === 0xd8) throw invalid("the jpeg has a second start-of-image marker");
    if (isRst(marker) || marker === 0x01) continue;
    if (pos + 2 > b.length) throw truncated("jpeg");
    const length = u16be(b, pos);
    if (length < 2) throw invalid("the jpeg has a malformed segment");
    if (pos + length > b.length) throw truncated("jpeg");
    if (isSof(marker)) {
      if (length < 8) throw invalid("the jpeg frame header is malformed");
      const height = u16be(b, pos + 3);
      const width = u16be(b, pos + 5);
      // Height 0 means "defined later by a DNL marker", which almost nothing supports.
      if (width === 0 || height === 0) throw invalid(`the jpeg declares an unusable size ${width}×${height}`);
      size ??= { width, height };
      if (headerOnly) return size;
    }
    pos += length;
    if (marker === 0xda) {
      if (!size) throw invalid("the jpeg has image data before its frame header");
      scanned = true;
      pos = skipScan(b, pos);
    }
  }
}

export const jpeg: FormatReader = {
  header: (b) => walk(b, true),
  structure: (b) => void walk(b, false),
};
