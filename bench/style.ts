import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { JobSpec } from "@ganvas/shared";
import sharp from "sharp";
import { selectBackend } from "../apps/gpu-worker/src/backend/select.ts";
import { DEFAULT_MODELS_DIR } from "../apps/gpu-worker/src/runtime/config.ts";
import { imageToImageRunner } from "../apps/gpu-worker/src/runtime/image-to-image.ts";
import { STYLE_TILES, styleTransferTransform } from "../apps/gpu-worker/src/runtime/style-transfer.ts";
import { runtimeOrder, tfjsOnGpu } from "../apps/gpu-worker/src/serving/runtimes.ts";
import type { Report } from "./lib/report.ts";
import { median, num, times } from "./lib/stats.ts";

/**
 * Style transfer: seconds per megapixel of every shipped style generator
 * (`models/style-transfer/<name>/1/<style>/`), each through the worker's own image-to-image runner as a job
 * runs it: decode the input, the tiled generator (styleTransferTransform), encode the PNG.
 *
 * Baseline: the same runner with an identity transform, i.e. the job's decode + PNG encode of the same image
 * only, in the same process and rounds. That is the floor every style-transfer job pays whatever the model,
 * so the ratio is what the generator itself multiplies a job's time by. (A sharp resize would measure a
 * different, heavily optimised native operation that no job runs, and would say little about our model.)
 *
 * The input is a real photo committed with the models: the first held-out photo of the starry-night sample
 * grid (a 96 px crop, photo column, first row), upscaled with Lanczos to `side` × `side`, so the bench runs
 * on a fresh clone without the training data. One warm-up pass per style first (generator loaded, kernels
 * compiled for every tile shape), then rounds interleaved across styles so a busy neighbour slows all alike.
 */
export interface StyleBenchOptions {
  report: Report;
  /** Side of the square input in pixels; default 640 (0.41 MP, 3 × 3 tiles). */
  side?: number;
  rounds?: number;
  modelsDir?: string;
}

export interface StyleBenchRow {
  model: string;
  style: string;
  /** The serving runtime: TensorFlow.js on the worker's backend, or the fastest present (what jobs get). */
  runtime: string;
  secondsPerMegapixel: number;
}

/** The sample grid the photo is cut from: tiles of 96 px with a 4 px gap, column 1 the input photos. */
const SOURCE = join("style-transfer", "cyclegan", "1", "starry-night", "samples.png");
const CELL = { left: 4, top: 4, width: 96, height: 96 };

/** `[name@version, style]` for every style folder with a generator in each model's newest version, sorted. */
export function shippedStyles(modelsDir: string): { model: string; style: string }[] {
  const root = join(modelsDir, "style-transfer");
  const out: { model: string; style: string }[] = [];
  if (!existsSync(root)) return out;
  for (const name of readdirSync(root).sort()) {
    // What a request naming the model alone gets: its newest version.
    const newest = Math.max(0, ...readdirSync(join(root, name)).map(Number).filter(Number.isInteger));
    const version = join(root, name, String(newest));
    if (newest === 0 || !existsSync(version)) continue;
    for (const style of readdirSync(version).sort()) {
      if (existsSync(join(version, style, "model.json"))) out.push({ model: `${name}@${newest}`, style });
    }
  }
  return out;
}

export async function benchStyle(options: StyleBenchOptions): Promise<StyleBenchRow[]> {
  const { name, version } = await selectBackend();
  const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
  const side = options.side ?? 640;
  const rounds = options.rounds ?? 2;
  const input = new Uint8Array(
    await sharp(join(modelsDir, SOURCE))
      .extract(CELL)
      .resize(side, side, { kernel: "lanczos3" })
      .png()
      .toBuffer(),
  );
  const styles = shippedStyles(modelsDir);
  if (styles.length === 0) throw new Error(`no style generators under ${join(modelsDir, "style-transfer")}`);
  const spec = (s: { model: string; style: string }): JobSpec => ({
    task: "style-transfer",
    model: s.model,
    params: { style: s.style },
    input: "0".repeat(64),
  });
  const readInput = async () => input;
  // The transform loads each generator once and keeps it, as the worker does; the bench process ends soon
  // after, and the three generators' weights are a few MiB.
  // Each style on TensorFlow.js and on the runtime the worker picks (fastest present), so the table shows
  // what serving gains as well as what jobs cost.
  const fastest = runtimeOrder(tfjsOnGpu(name))[0] ?? "tfjs";
  const runtimes = [...new Set(["tfjs", fastest])];
  const styled = new Map(
    runtimes.map((runtime) => [
      runtime,
      imageToImageRunner(
        readInput,
        styleTransferTransform(modelsDir, STYLE_TILES, { runtime, tfjsBackend: name }),
      ),
    ]),
  );
  const floor = imageToImageRunner(readInput, async (image) => image);
  const BASELINE = "baseline";
  const combos = styles.flatMap((s) => runtimes.map((runtime) => ({ ...s, runtime })));
  const keyOf = (c: { model: string; style: string; runtime: string }) =>
    `${c.model} ${c.style} ${c.runtime}`;
  const runs = [
    { key: BASELINE, run: () => floor([spec(styles[0] as { model: string; style: string })]) },
    ...combos.map((c) => ({ key: keyOf(c), run: () => (styled.get(c.runtime) ?? floor)([spec(c)]) })),
  ];
  const seconds = new Map<string, number[]>(runs.map((r) => [r.key, []]));
  for (const r of runs) await r.run(); // warm-up
  for (let i = 0; i < rounds; i++) {
    for (const r of runs) {
      const t = performance.now();
      const [out] = await r.run();
      seconds.get(r.key)?.push((performance.now() - t) / 1000);
      if (out?.[0]?.width !== side) throw new Error(`${r.key}: output is not ${side} px wide`);
    }
  }
  const mp = (side * side) / 1e6;
  const perMp = (key: string) => median(seconds.get(key) ?? []) / mp;
  const base = perMp(BASELINE);
  const rows: StyleBenchRow[] = combos.map((c) => ({ ...c, secondsPerMegapixel: perMp(keyOf(c)) }));

  const { report } = options;
  report.heading("Style transfer: time per megapixel, per style");
  report.note(
    `Every shipped style generator through the worker's image-to-image runner (decode, styleTransferTransform ` +
      `tiled at ${STYLE_TILES.tile} px + ${STYLE_TILES.overlap} px overlap, PNG encode), on TensorFlow.js ${name} ` +
      `(tfjs ${version}) and on the serving runtime the worker picks here (${fastest}); input: a real photo from the committed starry-night sample grid, upscaled to ` +
      `${side}×${side} (${num(mp, 2)} MP). Median of ${rounds} interleaved rounds after a warm-up pass. ` +
      "Baseline: the same runner with an identity transform (decode + PNG encode only, the I/O floor every " +
      "style job pays), same image, same rounds.",
  );
  report.table(
    ["style", "model", "runtime", "s / MP", "s per image", "× baseline"],
    [
      ...rows.map((r) => [
        r.style,
        r.model,
        r.runtime === "tfjs" ? `tfjs-${name}` : r.runtime,
        num(r.secondsPerMegapixel, 3),
        num(r.secondsPerMegapixel * mp, 3),
        times(r.secondsPerMegapixel / base, 0),
      ]),
      ["baseline: decode + encode only", "", "", num(base, 3), num(base * mp, 3), "1×"],
    ],
    ["l", "l", "l", "r", "r", "r"],
  );
  return rows;
}
