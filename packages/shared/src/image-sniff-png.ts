import { ascii, type FormatReader, invalid, truncated, u32be } from "./image-bytes.ts";

/** PNG: signature, IHDR first (checked with its CRC), then chunks that must fit and end with IEND. */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (b[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Bit depths each colour type allows (PNG spec, table 11.1). */
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

const MAX_U31 = 0x7fffffff;

export const png: FormatReader = {
  header(b) {
    // 8 signature + 4 length + 4 type + 13 data + 4 CRC.
    if (b.length < 33) throw truncated("png");
    if (u32be(b, 8) !== 13 || ascii(b, 12, 4) !== "IHDR") throw invalid("the png does not start with IHDR");
    if (crc32(b, 12, 29) !== u32be(b, 29)) throw invalid("the png header (IHDR) fails its CRC check");
    const width = u32be(b, 16);
    const height = u32be(b, 20);
    if (width === 0 || height === 0 || width > MAX_U31 || height > MAX_U31) {
      throw invalid(`the png declares an impossible size ${width}×${height}`);
    }
    const [depth = 0, colour = 0, compression, filter, interlace = 0] = b.subarray(24, 29);
    if (!DEPTHS[colour]?.includes(depth))
      throw invalid(`the png has colour type ${colour} at depth ${depth}`);
    if (compression !== 0 || filter !== 0 || interlace > 1)
      throw invalid("the png header has unknown methods");
    return { width, height };
  },

  structure(b) {
    let at = 8;
    let seenData = false;
    let seenPalette = false;
    const indexed = b[25] === 3;
    for (;;) {
      if (at + 12 > b.length) throw truncated("png");
      const length = u32be(b, at);
      const type = ascii(b, at + 4, 4);
      if (length > MAX_U31 || !/^[A-Za-z]{4}$/.test(type)) throw invalid("the png has a malformed chunk");
      if (at + 12 + length > b.length) throw truncated("png");
      if (type === "PLTE") seenPalette = true;
      if (type === "IDAT") seenData = true;
      if (type === "IEND") {
        if (!seenData) throw invalid("the png has no image data (IDAT)");
        if (indexed && !seenPalette) throw invalid("the indexed-colour png has no palette (PLTE)");
        return;
      }
      at += 12 + length;
    }
  },
};
