import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { JobSpec } from "@ganvas/shared";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { decodeInput, imageToImageRunner } from "../src/runtime/image-to-image.ts";
import { alignedTiles, styleModelDir, styleTransferTransform } from "../src/runtime/style-transfer.ts";
import type { RgbImage } from "../src/sr/image.ts";
import { loadEmojiPairs } from "../src/style/emoji-data.ts";
import { backend, withTempDir } from "./helpers.ts";

const spec: JobSpec = {
  task: "style-transfer",
  model: "pix2pix@1",
  params: { style: "noto-emoji" },
  input: "0".repeat(64),
};

const require = createRequire(import.meta.url);
const TWEMOJI = join(dirname(require.resolve("emoji-datasource-twitter/emoji.json")), "img", "twitter", "64");

/** 8-bit RGB from [-1, 1] floats, as the data loader holds them. */
function bytes(data: Float32Array, size: number): RgbImage {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round((data[i] ?? 0) * 127.5 + 127.5);
  return { width: size, height: size, data: out };
}

function meanAbs(a: RgbImage, b: RgbImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
  return s / a.data.length;
}

function maxDiff(a: RgbImage, b: RgbImage): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0)));
  return m;
}

/** Held-out emoji (never trained on) laid out as a mosaic, cropped to an odd size: a real, larger input. */
async function mosaic(width: number, height: number): Promise<RgbImage> {
  const { heldOut } = await loadEmojiPairs();
  const cols = Math.ceil(width / 64);
  const rows = Math.ceil(height / 64);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const tile = heldOut[(Math.floor(y / 64) * cols + Math.floor(x / 64)) % heldOut.length];
      const s = ((y % 64) * 64 + (x % 64)) * 3;
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] = Math.round(((tile?.input.data[s + c] ?? 0) + 1) * 127.5);
    }
  }
  expect(rows * cols).toBeLessThanOrEqual(heldOut.length);
  return { width, height, data };
}

describe("style-transfer transform (shipped pix2pix@1 noto-emoji)", () => {
  it("keeps an odd-sized real image's size (97×61), is deterministic and leaves tfjs memory flat", async () => {
    const { tf } = await backend();
    // A Twemoji PNG (with alpha, as uploaded) stretched to a size that is no multiple of anything.
    const png = await sharp(join(TWEMOJI, "1f436.png")).resize(97, 61, { fit: "fill" }).png().toBuffer();
    const input = await decodeInput(png);
    const transform = styleTransferTransform(DEFAULT_MODELS_DIR);
    const first = await transform(input, spec); // loads the generator: its weights stay
    const before = tf.memory().numTensors;
    const again = await transform(input, spec);
    expect(tf.memory().numTensors).toBe(before);
    expect([again.width, again.height]).toEqual([97, 61]);
    expect(meanAbs(again, first)).toBe(0);
    expect(meanAbs(again, input)).toBeGreaterThan(1); // it did something
  });

  it("moves held-out Twemoji towards their Noto glyphs", async () => {
    const { heldOut } = await loadEmojiPairs();
    const transform = styleTransferTransform(DEFAULT_MODELS_DIR);
    let ours = 0;
    let asIs = 0;
    const pairs = heldOut.slice(0, 16);
    for (const p of pairs) {
      const input = bytes(p.input.data, 64);
      const target = bytes(p.target.data, 64);
      ours += meanAbs(await transform(input, spec), target);
      asIs += meanAbs(input, target);
    }
    expect(ours / pairs.length).toBeLessThan(0.8 * (asIs / pairs.length));
  });

  it("tiles without seams: 64 px tiles give the image the untiled pass gives", async () => {
    const image = await mosaic(250, 181);
    const whole = await styleTransferTransform(DEFAULT_MODELS_DIR, { tile: 4096, overlap: 48 })(image, spec);
    const tiled = await styleTransferTransform(DEFAULT_MODELS_DIR, { tile: 64, overlap: 48, blend: 8 })(
      image,
      spec,
    );
    expect([tiled.width, tiled.height]).toEqual([250, 181]);
    // The tiles start on the stride grid and the receptive field fits in the overlap: the same pixels, seams
    // included (both runs pad this size to 256×192, so the borders agree too). A level of float slack.
    expect(maxDiff(tiled, whole)).toBeLessThanOrEqual(1);
    // The control: too little overlap for the receptive field, and the seams show.
    const short = await styleTransferTransform(DEFAULT_MODELS_DIR, { tile: 64, overlap: 16, blend: 4 })(
      image,
      spec,
    );
    expect(meanAbs(short, whole)).toBeGreaterThan(1);
  });

  it("aligns tiles to the generator's multiple", () => {
    const grid = alignedTiles(250, 181, 16, { tile: 100, overlap: 20 });
    expect(grid.options).toMatchObject({ tile: 96, overlap: 32 });
    // 3 tiles of 96 across (≥ 250), 2 of 96 down (≥ 181): each a multiple of 16.
    expect([grid.width, grid.height]).toEqual([288, 192]);
  });

  it("runs a PNG through the image-to-image runner to a PNG of the same size", async () => {
    const png = await readFile(join(TWEMOJI, "1f600.png"));
    const run = imageToImageRunner(async () => png, styleTransferTransform(DEFAULT_MODELS_DIR));
    const [[out]] = (await run([spec])) as [[{ png: Uint8Array; width: number; height: number }]];
    const meta = await sharp(out.png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 64, 64]);
  });

  it("fails a job whose generator is missing, naming the model and style", async () => {
    await withTempDir(async (dir) => {
      const transform = styleTransferTransform(dir);
      const input = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) };
      await expect(transform(input, spec)).rejects.toThrow(
        /no style-transfer generator for pix2pix@1 style "noto-emoji"/,
      );
      expect(() => styleModelDir(dir, { model: "pix2pix@1", params: { style: "../x" } })).toThrow(
        /style name/,
      );
    });
  });
});
