import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  EVAL_DIR,
  loadEvalSet,
  loadTrainingPhotos,
  samplePatches,
  TRAIN_DIR,
  type TrainingPhoto,
} from "../src/sr/data.ts";
import { crop, downscale, encodePngRgb, modCrop, type RgbImage, resizeBicubic } from "../src/sr/image.ts";
import { psnrY, ssimY } from "../src/sr/metrics.ts";
import { rng } from "../src/training/random.ts";
import { withTempDir } from "./helpers.ts";

function image(width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, data };
}

const textured = image(48, 40, (x, y, c) => (x * 7 + y * 13 + c * 50 + ((x * y) % 17) * 5) % 256);

describe("bicubic resize (MATLAB imresize)", () => {
  it("keeps a constant image constant at any size", () => {
    const flat = image(17, 9, () => 123);
    for (const [w, h] of [
      [8, 4],
      [34, 18],
      [5, 13],
    ] as const) {
      const out = resizeBicubic(flat, w, h);
      expect(out.width).toBe(w);
      expect(out.height).toBe(h);
      expect(new Set(out.data)).toEqual(new Set([123]));
    }
  });

  it("reproduces a linear ramp in the interior when shrinking by 2 (antialiased kernel is symmetric)", () => {
    // Row-constant ramp 4x: output pixel i covers inputs 2i, 2i+1, centre 2i+0.5 → value 4(2i+0.5) = 8i+2.
    const ramp = image(32, 4, (x) => 4 * x);
    const out = downscale(ramp, 2);
    for (let i = 3; i < 13; i++) expect(out.data[i * 3]).toBe(8 * i + 2);
  });

  it("modCrop and downscale agree on sizes; a non-divisible image is an error", () => {
    const hr = modCrop(
      image(50, 31, () => 9),
      4,
    );
    expect([hr.width, hr.height]).toEqual([48, 28]);
    expect([downscale(hr, 4).width, downscale(hr, 4).height]).toEqual([12, 7]);
    expect(() =>
      downscale(
        image(5, 4, () => 0),
        2,
      ),
    ).toThrow(/modCrop/);
    expect(crop(textured, 2, 3, 4, 5).data[0]).toBe(textured.data[(3 * 48 + 2) * 3]);
  });
});

describe("PSNR / SSIM on Y", () => {
  it("identical images: PSNR ∞, SSIM 1", () => {
    expect(psnrY(textured, textured, 2)).toBe(Number.POSITIVE_INFINITY);
    expect(ssimY(textured, textured, 2)).toBeCloseTo(1, 12);
  });

  it("a constant RGB offset c gives Y offset c·219/255 and the closed-form PSNR", () => {
    const base = image(30, 30, (x, y) => 40 + ((x + y) % 100));
    for (const c of [1, 5, 20]) {
      const shifted = image(30, 30, (x, y) => 40 + ((x + y) % 100) + c);
      const dy = (c * 219) / 255;
      expect(psnrY(base, shifted, 4)).toBeCloseTo(10 * Math.log10((255 * 255) / (dy * dy)), 9);
    }
  });

  it("SSIM drops for a distorted image and is symmetric; the border is cropped", () => {
    const noisy = image(
      48,
      40,
      (x, y, c) => ((textured.data[(y * 48 + x) * 3 + c] ?? 0) + ((x * 31 + y * 17) % 41)) % 256,
    );
    const s = ssimY(textured, noisy, 2);
    expect(s).toBeLessThan(0.9);
    expect(ssimY(noisy, textured, 2)).toBeCloseTo(s, 12);
    // Differences confined to the border vanish once it is cropped.
    const framed = image(48, 40, (x, y, c) =>
      x < 3 || y < 3 || x >= 45 || y >= 37 ? 0 : (textured.data[(y * 48 + x) * 3 + c] ?? 0),
    );
    expect(psnrY(textured, framed, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(() => psnrY(textured, modCrop(textured, 32), 0)).toThrow(/sizes differ/);
  });
});

describe("training patches", () => {
  it("pairs each HR patch with the LR patch at 1/scale of its position (checked via downscale)", () => {
    const hr = modCrop(textured, 2);
    const photo: TrainingPhoto = { name: "t", hr, lr: downscale(hr, 2) };
    const batch = samplePatches([photo], 3, 8, 2, rng(1), false);
    expect(batch.lr.length).toBe(3 * 4 * 4 * 3);
    expect(batch.hr.length).toBe(3 * 8 * 8 * 3);
    for (const v of [...batch.lr, ...batch.hr]) expect(v >= 0 && v <= 1).toBe(true);
    // Same seed → same batch; augmentation keeps the pair aligned (a transform applied to both).
    expect(samplePatches([photo], 3, 8, 2, rng(1), true).hr).toEqual(
      samplePatches([photo], 3, 8, 2, rng(1), true).hr,
    );
  });
});

describe("training photos", () => {
  it("--max-sides loads each photo once per size, reduced to that longer side; a photo already smaller, once", async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, "big.png"),
        await encodePngRgb(image(200, 120, (x, y, c) => (x + y * c) % 256)),
      );
      await writeFile(join(dir, "small.png"), await encodePngRgb(image(90, 60, (x, y) => (x * y) % 256)));
      const photos = await loadTrainingPhotos({ scale: 2, dir, maxSides: [200, 100] });
      expect(photos.map((p) => [p.name, p.hr.width, p.hr.height, p.lr.width])).toEqual([
        ["big@200", 200, 120, 100],
        ["big@100", 100, 60, 50],
        ["small@200", 90, 60, 45],
      ]);
      // The default is one size: names stay as they were.
      expect((await loadTrainingPhotos({ scale: 2, dir })).map((p) => p.name)).toEqual(["big", "small"]);
    });
  });
});

describe.skipIf(!existsSync(EVAL_DIR) || !existsSync(TRAIN_DIR))(
  "installed data (bash infra/setup/sr-data.sh)",
  () => {
    it("loads a held-out photo mod-cropped with its LR", async () => {
      const [astro] = await loadEvalSet(4, { names: ["astronaut.png"] });
      expect(astro?.hr.width).toBe(512);
      expect(astro?.lr.width).toBe(128);
    });
  },
);
