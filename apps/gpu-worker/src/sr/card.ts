import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EvalImage } from "./data.ts";
import { busiestWindow } from "./data.ts";
import type { MethodScore, Upscaler } from "./evaluate.ts";
import { crop, encodePngRgb, type RgbImage, resizeBicubic } from "./image.ts";
import type { SrTrainingMetadata } from "./train.ts";

export const SR_CARD = "model-card.json";
export const SR_VERSION_SAMPLES = "samples.png";

/** One sr-eval run of one scale, as `sr-eval --out` writes it. */
export interface SrEvalReport {
  scale: 2 | 4;
  backend: { name: string; version: string };
  tiles: { tile: number; overlap: number };
  date: string;
  images: string[];
  results: MethodScore[];
}

/** The targets, checked against the same run's baselines. */
export function srTargets(x2: SrEvalReport | undefined, x4: SrEvalReport | undefined) {
  const mean = (r: SrEvalReport | undefined, m: string) => r?.results.find((s) => s.method === m);
  const check = (value: number | undefined, target: number | undefined, lowerIsBetter = false) =>
    value === undefined || target === undefined
      ? undefined
      : {
          value: round(value, 3),
          target: round(target, 3),
          met: lowerIsBetter ? value <= target : value >= target,
        };
  const ours2 = mean(x2, "ours");
  const ours4 = mean(x4, "ours");
  return {
    x2PsnrVsBicubicPlus1_5: check(ours2?.meanPsnr, (mean(x2, "bicubic")?.meanPsnr ?? Number.NaN) + 1.5),
    x2PsnrVsEsrganMedium: check(ours2?.meanPsnr, mean(x2, "esrgan-medium")?.meanPsnr),
    x4PsnrVsEsrganSlim: check(ours4?.meanPsnr, mean(x4, "esrgan-slim")?.meanPsnr),
    x2SecondsPerMegapixelVsEsrganSlim: check(
      ours2?.secondsPerMegapixel,
      mean(x2, "esrgan-slim")?.secondsPerMegapixel,
      true,
    ),
    x4SecondsPerMegapixelVsEsrganSlim: check(
      ours4?.secondsPerMegapixel,
      mean(x4, "esrgan-slim")?.secondsPerMegapixel,
      true,
    ),
  };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Plain numbers the registry lists: ours and every baseline, per scale. */
export function srMetrics(reports: readonly SrEvalReport[]): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = (method: string) =>
    method === "ours" ? "" : `${method.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}_`;
  for (const r of reports) {
    for (const m of r.results) {
      out[`${prefix(m.method)}psnrY_x${r.scale}`] = round(m.meanPsnr, 3);
      out[`${prefix(m.method)}ssimY_x${r.scale}`] = round(m.meanSsim, 4);
      if (m.method !== "bicubic")
        out[`${prefix(m.method)}secondsPerMegapixel_x${r.scale}`] = round(m.secondsPerMegapixel, 3);
    }
  }
  return out;
}

function trainingSummary(meta: SrTrainingMetadata) {
  const options = meta.options as Record<string, unknown> & { config?: Record<string, unknown> };
  return {
    data: meta.data,
    steps: meta.step,
    phase: meta.phase,
    completed: meta.completed,
    wallSeconds: meta.trainingSeconds,
    backend: meta.backend,
    params: meta.params,
    batchSize: options.batchSize,
    patchSize: options.patchSize ?? options.config?.patchSize,
    learningRate: options.learningRate,
    learningRateMin: options.learningRateMin,
    pretrainSteps: options.pretrainSteps,
    ganSteps: options.ganSteps,
    advWeight: (options.ganSteps as number) > 0 ? options.advWeight : undefined,
    seed: options.seed,
    architecture: options.config,
    lastLosses: meta.lastSrLosses,
    started: meta.started,
    updated: meta.updated,
  };
}

/**
 * The version-level card: training of each scale (from its metadata.json), the full evaluator table of each
 * scale (per image and mean, every method, same run), the targets, and top-level `metrics` for the registry.
 */
export async function writeSrCard(
  versionDir: string,
  name: string,
  version: number,
  reports: readonly SrEvalReport[],
): Promise<Record<string, unknown>> {
  const training: Record<string, unknown> = {};
  for (const r of reports) {
    const meta = JSON.parse(
      await readFile(join(versionDir, `x${r.scale}`, "metadata.json"), "utf8"),
    ) as SrTrainingMetadata;
    training[`x${r.scale}`] = trainingSummary(meta);
  }
  const byScale = (s: number) => reports.find((r) => r.scale === s);
  const card = {
    model: name,
    version,
    task: "super-resolution",
    modelDir: `models/super-resolution/${name}/${version}`,
    scales: reports.map((r) => r.scale),
    metrics: srMetrics(reports),
    targets: srTargets(byScale(2), byScale(4)),
    training,
    evaluation: {
      protocol:
        "LR = MATLAB-style bicubic downscale of the mod-cropped HR photo; PSNR and SSIM (Gaussian 11×11, σ 1.5) " +
        "on the BT.601 Y channel, border of `scale` px cropped, outputs rounded to 8 bits; time = wall time of " +
        "the whole upscale per output megapixel after one warm-up, every method tiled the same way.",
      heldOut:
        "classic photos from Debian's python3-skimage data folder and opencv-doc samples, never trained on",
      ...Object.fromEntries(reports.map((r) => [`x${r.scale}`, r])),
    },
    files: {
      "x2/, x4/":
        "model.json + weights.bin (tfjs layers; custom layers GanvasPixelShuffle, GanvasUpsampleBilinear), metadata.json, samples.png (training-photo crop)",
      "samples.png": "held-out crops, one row each: bicubic · ours · HR (×2 rows first, then ×4)",
      "probe.png": "a 96×96 held-out crop (astronaut) the tests and the benchmark upscale",
    },
  };
  await writeFile(join(versionDir, SR_CARD), `${JSON.stringify(card, null, 2)}\n`);
  return card;
}

/** Rows of bicubic · ours · HR for the busiest `lrSide` window of each image. */
export async function srSampleRows(
  upscaler: Upscaler,
  images: readonly EvalImage[],
  scale: number,
  lrSide: number,
): Promise<RgbImage[][]> {
  const rows: RgbImage[][] = [];
  for (const image of images) {
    const { x, y } = busiestWindow(image.lr, lrSide);
    // A little context around the window, so the crop's edges are not the model's borders.
    const pad = Math.min(8, x, y, image.lr.width - x - lrSide, image.lr.height - y - lrSide);
    const big = crop(image.lr, x - pad, y - pad, lrSide + 2 * pad, lrSide + 2 * pad);
    const sr = await upscaler.upscale(big);
    const hr = crop(image.hr, x * scale, y * scale, lrSide * scale, lrSide * scale);
    const side = lrSide * scale;
    rows.push([
      resizeBicubic(crop(image.lr, x, y, lrSide, lrSide), side, side),
      crop(sr, pad * scale, pad * scale, side, side),
      hr,
    ]);
  }
  return rows;
}

/** A grid of equal-sized tiles with a gap, as one PNG. */
export async function writeGrid(
  path: string,
  rows: readonly (readonly RgbImage[])[],
  gap = 4,
): Promise<void> {
  const cell = rows[0]?.[0];
  if (cell === undefined) throw new Error("No sample rows to write.");
  const cols = Math.max(...rows.map((r) => r.length));
  const w = cols * cell.width + (cols - 1) * gap;
  const h = rows.length * cell.height + (rows.length - 1) * gap;
  const data = new Uint8Array(w * h * 3).fill(255);
  rows.forEach((row, ri) => {
    row.forEach((img, ci) => {
      const x0 = ci * (cell.width + gap);
      const y0 = ri * (cell.height + gap);
      for (let y = 0; y < img.height; y++) {
        data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y0 + y) * w + x0) * 3);
      }
    });
  });
  await writeFile(path, await encodePngRgb({ width: w, height: h, data }));
}
