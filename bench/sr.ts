import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { modelRef, shippedModel } from "@ganvas/shared";
import sharp from "sharp";
import { selectBackend } from "../apps/gpu-worker/src/backend/select.ts";
import { DEFAULT_MODELS_DIR } from "../apps/gpu-worker/src/runtime/config.ts";
import { decodeInput } from "../apps/gpu-worker/src/runtime/image-to-image.ts";
import { SERVE_TILES } from "../apps/gpu-worker/src/runtime/super-resolution.ts";
import { loadEsrgan, loadOurs, type Upscaler } from "../apps/gpu-worker/src/sr/evaluate.ts";
import { downscale, resizeBicubic } from "../apps/gpu-worker/src/sr/image.ts";
import { psnrY } from "../apps/gpu-worker/src/sr/metrics.ts";
import type { Report } from "./lib/report.ts";
import { median, num } from "./lib/stats.ts";

/**
 * Super-resolution: seconds per output megapixel of the shipped srgan generators (newest version) (the worker's tiling) next
 * to UpscalerJS esrgan-slim, the npm baseline, on the same backend in the same process, rounds interleaved so
 * a busy neighbour slows both alike; plus Y-PSNR on the held-out probe crop shipped with the model, next to
 * bicubic. The full held-out evaluation is `ganvas-worker sr-eval` (its table is in the model card).
 */
export interface SrBenchOptions {
  report: Report;
  /** LR input side for the timing (a 4:3 image); default 256. */
  width?: number;
  rounds?: number;
  modelDir?: string;
}

export interface SrBenchRow {
  scale: number;
  method: string;
  secondsPerMegapixel: number;
  probePsnr: number;
}

export async function benchSr(options: SrBenchOptions): Promise<SrBenchRow[]> {
  const { tf, name } = await selectBackend("wasm");
  const shipped = shippedModel("super-resolution", "srgan");
  const ref = modelRef(shipped);
  const root =
    options.modelDir ?? join(DEFAULT_MODELS_DIR, "super-resolution", "srgan", String(shipped.version));
  const probe = await decodeInput(await readFile(join(root, "probe.png")));
  const width = options.width ?? 256;
  const height = Math.round((width * 3) / 4);
  const timing = await decodeInput(
    await sharp(await readFile(join(root, "probe.png")))
      .resize(width, height, { fit: "fill" })
      .png()
      .toBuffer(),
  );
  const rows: SrBenchRow[] = [];
  for (const scale of [2, 4] as const) {
    const lr = downscale(probe, scale);
    const upscalers: Upscaler[] = [
      await loadOurs(tf, join(root, `x${scale}`), scale, SERVE_TILES),
      await loadEsrgan(tf, "esrgan-slim", scale, SERVE_TILES),
    ];
    try {
      const seconds = new Map<string, number[]>(upscalers.map((u) => [u.name, []]));
      for (const u of upscalers) await u.upscale(lr); // warm-up: kernels compiled, weights uploaded
      for (let r = 0; r < (options.rounds ?? 2); r++) {
        for (const u of upscalers) {
          const t = performance.now();
          await u.upscale(timing);
          seconds.get(u.name)?.push((performance.now() - t) / 1000);
        }
      }
      const mp = (width * scale * height * scale) / 1e6;
      rows.push({
        scale,
        method: "bicubic",
        secondsPerMegapixel: Number.NaN,
        probePsnr: psnrY(resizeBicubic(lr, probe.width, probe.height), probe, scale),
      });
      for (const u of upscalers) {
        rows.push({
          scale,
          method: u.name === "ours" ? `${ref} (ours)` : u.name,
          secondsPerMegapixel: median(seconds.get(u.name) ?? []) / mp,
          probePsnr: psnrY(await u.upscale(lr), probe, scale),
        });
      }
    } finally {
      for (const u of upscalers) u.dispose();
    }
  }
  const { report } = options;
  report.heading("Super-resolution");
  report.note(
    `Shipped ${ref} ×2 and ×4 against UpscalerJS esrgan-slim on tfjs ${name}, tiles ${SERVE_TILES.tile} px + ` +
      `${SERVE_TILES.overlap} px overlap for both; time on a ${width}×${height} input (median of rounds), ` +
      "Y-PSNR on the held-out probe crop. Ratio: ours ÷ esrgan-slim.",
  );
  const slim = (scale: number) => rows.find((r) => r.scale === scale && r.method === "esrgan-slim");
  report.table(
    ["scale", "method", "s / output MP", "vs esrgan-slim", "probe Y-PSNR (dB)"],
    rows.map((r) => [
      `×${r.scale}`,
      r.method,
      num(r.secondsPerMegapixel),
      num(r.secondsPerMegapixel / (slim(r.scale)?.secondsPerMegapixel ?? Number.NaN)),
      num(r.probePsnr, 2),
    ]),
    ["l", "l", "r", "r", "r"],
  );
  return rows;
}
