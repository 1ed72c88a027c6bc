/** Byte readers shared by the image header parsers; out-of-range reads give 0, never throw. */

/** A structural defect in an image: always a client's file, never our fault. */
export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageFormatError";
  }
}

export const invalid = (message: string) => new ImageFormatError(message);
export const truncated = (format: string) =>
  invalid(`the ${format} file is truncated: its data ends before the image does`);

export const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
export const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
export const u24le = (b: Uint8Array, i: number) => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
export const u32be = (b: Uint8Array, i: number) => u16be(b, i) * 0x10000 + u16be(b, i + 2);
export const u32le = (b: Uint8Array, i: number) => u16le(b, i) + u16le(b, i + 2) * 0x10000;
export const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));
export const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) =>
  sig.every((v, i) => b[at + i] === v);

export interface FormatReader {
  /** Width and height from the header alone; throws ImageFormatError. */
  header(b: Uint8Array): { width: number; height: number };
  /** Walks the container to its end; throws ImageFormatError when it is cut short or malformed. */
  structure(b: Uint8Array): void;
}
