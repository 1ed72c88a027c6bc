import { PNG } from "pngjs";

/**
 * Encodes 8-bit pixels as PNG. The channel count is read from the buffer length (1 gray, 3 RGB, 4 RGBA);
 * gray input is written as a grayscale PNG, a third the size of RGBA.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number): Buffer {
  const count = width * height;
  const channels = pixels.length / count;
  if (![1, 3, 4].includes(channels)) {
    throw new Error(`encodePng: ${pixels.length} bytes is not ${width}×${height} gray, RGB or RGBA pixels.`);
  }
  const png = new PNG({ width, height });
  for (let i = 0; i < count; i++) {
    const o = i * 4;
    const s = i * channels;
    const first = pixels[s] ?? 0;
    png.data[o] = first;
    png.data[o + 1] = channels === 1 ? first : (pixels[s + 1] ?? 0);
    png.data[o + 2] = channels === 1 ? first : (pixels[s + 2] ?? 0);
    png.data[o + 3] = channels === 4 ? (pixels[s + 3] ?? 255) : 255;
  }
  return PNG.sync.write(png, channels === 1 ? { colorType: 0 } : channels === 3 ? { colorType: 2 } : {});
}

/**
 * Tiles equally sized gray tiles row by row into one gray image, with a `gap` of black between tiles.
 */
export function tileGray(
  tiles: readonly Uint8Array[],
  tileSize: { width: number; height: number },
  columns: number,
  gap = 2,
): { pixels: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * tileSize.width + (columns - 1) * gap;
  const height = rows * tileSize.height + (rows - 1) * gap;
  const pixels = new Uint8Array(width * height);
  tiles.forEach((tile, t) => {
    const x0 = (t % columns) * (tileSize.width + gap);
    const y0 = Math.floor(t / columns) * (tileSize.height + gap);
    for (let y = 0; y < tileSize.height; y++) {
      pixels.set(tile.subarray(y * tileSize.width, (y + 1) * tileSize.width), (y0 + y) * width + x0);
    }
  });
  return { pixels, width, height };
}
