import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeInput } from "../src/runtime/image-to-image.ts";

describe("decoding an uploaded input image", () => {
  it("composites transparent pixels on white instead of exposing the colour under them", async () => {
    // Left pixel: opaque red. Right pixel: fully transparent black, as emoji and icon PNGs store it.
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 0, 0, 0]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    const image = await decodeInput(png);
    expect([image.width, image.height]).toEqual([2, 1]);
    expect([...image.data]).toEqual([255, 0, 0, 255, 255, 255]);
  });

  it("spreads a gray image over three channels", async () => {
    const gray = Uint8Array.from([0, 128, 255]);
    const png = await sharp(gray, { raw: { width: 3, height: 1, channels: 1 } })
      .png()
      .toBuffer();
    expect([...(await decodeInput(png)).data]).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
  });
});
