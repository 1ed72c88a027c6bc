import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobSpec } from "@ganvas/shared";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODELS_DIR } from "../src/runtime/config.ts";
import { decodeInput, encodeOutput, imageToImageRunner } from "../src/runtime/image-to-image.ts";
import { superResolutionTransform } from "../src/runtime/super-resolution.ts";
import { downscale, type RgbImage, resizeBicubic } from "../src/sr/image.ts";
import { psnrY } from "../src/sr/metrics.ts";
import { backend, withTempDir } from "./helpers.ts";

// A 96×96 crop of a held-out photo (never trained on), committed next to the shipped weights.
const PROBE = join(DEFAULT_MODELS_DIR, "super-resolution", "srgan", "1", "probe.png");

const spec = (scale: number): JobSpec => ({
  task: "super-resolution",
  model: "srgan@1",
  params: { scale },
  input: "0".repeat(64),
});

async function probe(): Promise<RgbImage> {
  return decodeInput(await readFile(PROBE));
}

function maxDiff(a: RgbImage, b: RgbImage): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0)));
  return m;
}

describe("super-resolution transform (shipped srgan@1)", () => {
  // The worker selects its backend at start-up; the transform uses whichever is active.
  beforeAll(async () => {
    await backend();
  });

  it("doubles a real photo's size, beats bicubic on it, and leaves tfjs memory flat", async () => {
    const { tf } = await backend();
    const hr = await probe();
    const lr = downscale(hr, 2);
    const transform = superResolutionTransform(DEFAULT_MODELS_DIR);
    const first = await transform(lr, spec(2)); // loads the ×2 generator: its weights stay
    const before = tf.memory().numTensors;
    const sr = await transform(lr, spec(2));
    expect(tf.memory().numTensors).toBe(before);
    expect([sr.width, sr.height]).toEqual([hr.width, hr.height]);
    expect(maxDiff(sr, first)).toBe(0);
    const bicubic = resizeBicubic(lr, hr.width, hr.height);
    const ours = psnrY(sr, hr, 2);
    const base = psnrY(bicubic, hr, 2);
    expect(ours).toBeGreaterThan(base + 0.3);
  });

  it("tiles without seams: small tiles give the image one big tile gives", async () => {
    const hr = await probe();
    const lr = downscale(hr, 2); // 48×48
    const whole = await superResolutionTransform(DEFAULT_MODELS_DIR, { tile: 64, overlap: 16 })(lr, spec(2));
    const tiled = await superResolutionTransform(DEFAULT_MODELS_DIR, { tile: 16, overlap: 16 })(lr, spec(2));
    // 9 tiles, cross-faded: the receptive field reaches just past overlap − blend, so a level or two at most.
    expect(maxDiff(tiled, whole)).toBeLessThanOrEqual(2);
  });

  it("upscales ×4 through the image-to-image runner to a PNG of 4× the size", async () => {
    const hr = await probe();
    const input = await encodeOutput(downscale(hr, 4)); // 24×24 PNG, as an upload would be
    const run = imageToImageRunner(async () => input.png, superResolutionTransform(DEFAULT_MODELS_DIR));
    const [[out]] = (await run([spec(4)])) as [[{ png: Uint8Array; width: number; height: number }]];
    expect([out.width, out.height]).toEqual([96, 96]);
    const meta = await sharp(out.png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 96, 96]);
  });

  it("fails a job whose model is not there with a reason naming it", async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, "super-resolution", "srgan", "1", "x2"), { recursive: true });
      await writeFile(join(dir, "super-resolution", "srgan", "1", "x2", "model.json"), "{}");
      const transform = superResolutionTransform(dir);
      const lr = downscale(await probe(), 4);
      await expect(transform(lr, spec(2))).rejects.toThrow(/no super-resolution generator for srgan@1 ×2/);
      await expect(transform(lr, spec(3))).rejects.toThrow(/scale must be 2 or 4/);
    });
  });
});
