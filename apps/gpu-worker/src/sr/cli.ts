import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { shippedModel } from "@ganvas/shared";
import { selectBackend } from "../backend/select.ts";
import {
  nonNegativeInt,
  nonNegativeNumber,
  parseCommandArgs,
  positiveInt,
  TRAIN_FLAGS,
  trainerCommand,
  trainFlagOptions,
} from "../cli-args.ts";
import { MODEL_JSON } from "../models/fs-handler.ts";
import {
  SR_CARD,
  SR_VERSION_SAMPLES,
  type SrEvalReport,
  srSampleRows,
  writeGrid,
  writeSrCard,
} from "./card.ts";
import { EVAL_IMAGES, loadEvalSet } from "./data.ts";
import {
  bicubicUpscaler,
  ESRGAN_PACKAGES,
  type EsrganName,
  evaluateUpscalers,
  formatTable,
  loadEsrgan,
  loadOurs,
  type Upscaler,
} from "./evaluate.ts";
import type { RgbImage } from "./image.ts";
import { isSrModelName, SR_MODELS } from "./model.ts";
import { type SrTrainOptions, trainSr } from "./train.ts";

const EVAL_USAGE = `usage: ganvas-worker sr-eval [--scale 2|4] [--model-dir DIR] [--methods bicubic,esrgan-slim,esrgan-medium,ours]
                             [--images a.png,b.jpg] [--tile 128] [--overlap 16] [--backend NAME] [--out FILE.json]
       ganvas-worker sr-eval --card VERSION_DIR [--reports A.json,B.json] [--images …] [--tile 128] [--overlap 16] [--backend NAME]
  --card evaluates ×2 and ×4 (VERSION_DIR/x2, VERSION_DIR/x4) with every method in one run and writes
  VERSION_DIR/model-card.json and VERSION_DIR/samples.png (held-out crops: bicubic · ours · HR);
  --reports x2.json,x4.json reuses earlier \`sr-eval --out\` runs instead of evaluating again.`;

export interface SrEvalOptions {
  scale: 2 | 4;
  modelDir: string;
  methods: string[];
  images: string[];
  tile: number;
  overlap: number;
  backend?: string;
  out?: string;
  /** A version folder (…/<name>/<version>): evaluate both scales and write its card and samples. */
  card?: string;
  /** With card: earlier `sr-eval --out` reports to use instead of evaluating those scales again. */
  reports?: SrEvalReport[];
}

/** Where sr-eval reads a scale's generator by default: the shipped default version. */
export const srScaleDir = (scale: number) =>
  join(
    "models",
    "super-resolution",
    "srgan",
    String(shippedModel("super-resolution", "srgan").version),
    `x${scale}`,
  );

export function parseSrEvalArgs(argv: string[]): SrEvalOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: "string", default: "2" },
      "model-dir": { type: "string" },
      methods: { type: "string", default: "bicubic,esrgan-slim,esrgan-medium,ours" },
      images: { type: "string" },
      tile: { type: "string" },
      overlap: { type: "string" },
      backend: { type: "string" },
      out: { type: "string" },
      card: { type: "string" },
      reports: { type: "string" },
    },
    strict: true,
  });
  const scale = Number(values.scale);
  if (scale !== 2 && scale !== 4)
    throw new Error(`--scale must be 2 or 4, got "${values.scale}".\n${EVAL_USAGE}`);
  const methods = values.methods.split(",").map((m) => m.trim());
  for (const m of methods) {
    if (m !== "bicubic" && m !== "ours" && !(ESRGAN_PACKAGES as readonly string[]).includes(m)) {
      throw new Error(
        `Unknown method "${m}": use bicubic, ${ESRGAN_PACKAGES.join(", ")} or ours.\n${EVAL_USAGE}`,
      );
    }
  }
  if (values.card !== undefined && (values["model-dir"] !== undefined || values.out !== undefined))
    throw new Error(
      `--card names the model folders and outputs itself: drop --model-dir/--out.\n${EVAL_USAGE}`,
    );
  return {
    scale,
    modelDir: values["model-dir"] ?? srScaleDir(scale),
    methods,
    images: values.images?.split(",").map((s) => s.trim()) ?? [...EVAL_IMAGES],
    tile: nonNegativeInt("tile", values.tile, EVAL_USAGE) || 128,
    overlap: nonNegativeInt("overlap", values.overlap, EVAL_USAGE) ?? 16,
    backend: values.backend,
    out: values.out,
    card: values.card,
    reports: values.reports
      ?.split(",")
      .map((f) => JSON.parse(readFileSync(f.trim(), "utf8")) as SrEvalReport),
  };
}

/** The held-out photos the version-level samples.png crops, and the LR side of each crop per scale. */
const SAMPLE_IMAGES = ["butterfly.jpg", "baboon.jpg", "chelsea.png"] as const;
const SAMPLE_LR_SIDE = { 2: 48, 4: 24 } as const;

async function evaluateScale(
  tf: Awaited<ReturnType<typeof selectBackend>>["tf"],
  backend: { name: string; version: string },
  options: SrEvalOptions,
  scale: 2 | 4,
  modelDir: string,
): Promise<SrEvalReport> {
  const tiles = { tile: options.tile, overlap: options.overlap };
  const images = await loadEvalSet(scale, { names: options.images });
  const upscalers: Upscaler[] = [];
  try {
    for (const m of options.methods) {
      if (m === "bicubic") upscalers.push(bicubicUpscaler(scale));
      else if (m === "ours") {
        if (existsSync(join(modelDir, MODEL_JSON))) {
          upscalers.push(await loadOurs(tf, modelDir, scale, tiles));
        } else if (options.card !== undefined) {
          throw new Error(`No generator in ${modelDir}: train it with sr-train first.`);
        } else {
          process.stderr.write(
            `sr-eval: no checkpoint in ${modelDir}, skipping "ours" (train with sr-train).\n`,
          );
        }
      } else upscalers.push(await loadEsrgan(tf, m as EsrganName, scale, tiles));
    }
    process.stderr.write(
      `sr-eval ×${scale}: ${images.length} held-out images, ${upscalers.map((u) => u.name).join(", ")} on ${backend.name}\n`,
    );
    const results = await evaluateUpscalers(upscalers, images, scale, (method, s) =>
      process.stderr.write(
        `  ${method} ${s.image}: PSNR ${s.psnr.toFixed(2)} dB, SSIM ${s.ssim.toFixed(4)}, ${s.seconds.toFixed(2)} s\n`,
      ),
    );
    process.stderr.write(`${formatTable(results)}\n`);
    return {
      scale,
      backend,
      tiles,
      date: new Date().toISOString(),
      images: images.map((i) => i.name),
      results,
    };
  } finally {
    for (const u of upscalers) u.dispose();
  }
}

/**
 * `ganvas-worker sr-eval …`: the side-by-side table on stderr, the full JSON on stdout (and --out); with
 * --card, both scales and the version's model-card.json + samples.png.
 */
export async function srEvalCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseSrEvalArgs, argv);
  if (options === undefined) return 2;
  const { tf, name, version } = await selectBackend(options.backend);
  const backend = { name, version };
  if (options.card !== undefined) {
    const dir = options.card;
    const rows: RgbImage[][] = [];
    const reports: SrEvalReport[] = [];
    for (const scale of [2, 4] as const) {
      const modelDir = join(dir, `x${scale}`);
      const saved = options.reports?.find((r) => r.scale === scale);
      reports.push(saved ?? (await evaluateScale(tf, backend, options, scale, modelDir)));
      const images = await loadEvalSet(scale, { names: SAMPLE_IMAGES });
      const ours = await loadOurs(tf, modelDir, scale, { tile: options.tile, overlap: options.overlap });
      try {
        rows.push(...(await srSampleRows(ours, images, scale, SAMPLE_LR_SIDE[scale])));
      } finally {
        ours.dispose();
      }
    }
    await writeGrid(join(dir, SR_VERSION_SAMPLES), rows);
    const card = await writeSrCard(dir, basename(dirname(dir)), Number(basename(dir)), reports);
    process.stderr.write(`sr-eval: wrote ${join(dir, SR_CARD)} and ${join(dir, SR_VERSION_SAMPLES)}\n`);
    process.stdout.write(`${JSON.stringify({ metrics: card.metrics, targets: card.targets }, null, 2)}\n`);
    return 0;
  }
  const report = await evaluateScale(tf, backend, options, options.scale, options.modelDir);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.out !== undefined) {
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, json);
  }
  process.stdout.write(json);
  return 0;
}

const TRAIN_USAGE = `usage: ganvas-worker sr-train --model sr-x2|sr-x4 [--pretrain-steps 2000] [--gan-steps 0] [--batch 16]
                              [--patch PX] [--lr 1e-4] [--lr-min LR] [--adv-weight 5e-3] [--min-patch-std 8] [--checkpoint-every 200] [--out DIR]
                              [--state DIR] [--resume] [--seed N] [--limit N] [--data DIR] [--max-sides 1600,800] [--backend NAME] [--no-samples]
  --max-sides loads each photo once per size listed (longer side, reduced with Lanczos3): smaller ones add detail per pixel.`;

export function parseSrTrainArgs(argv: string[]): SrTrainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", default: "sr-x2" },
      "pretrain-steps": { type: "string", default: "2000" },
      "gan-steps": { type: "string", default: "0" },
      batch: { type: "string", default: "16" },
      patch: { type: "string" },
      lr: { type: "string", default: "1e-4" },
      "lr-min": { type: "string" },
      "adv-weight": { type: "string", default: "5e-3" },
      "min-patch-std": { type: "string", default: "8" },
      "checkpoint-every": { type: "string", default: "200" },
      data: { type: "string" },
      "max-sides": { type: "string", default: "1600" },
      ...TRAIN_FLAGS,
    },
    strict: true,
  });
  const model = values.model;
  if (!isSrModelName(model)) {
    throw new Error(
      `Unknown model "${model}": choose one of ${Object.keys(SR_MODELS).join(", ")}.\n${TRAIN_USAGE}`,
    );
  }
  const pretrainSteps = nonNegativeInt("pretrain-steps", values["pretrain-steps"], TRAIN_USAGE);
  const ganSteps = nonNegativeInt("gan-steps", values["gan-steps"], TRAIN_USAGE);
  if (pretrainSteps + ganSteps < 1)
    throw new Error(`Nothing to do: give --pretrain-steps or --gan-steps.\n${TRAIN_USAGE}`);
  const { scale } = SR_MODELS[model].config;
  const common = trainFlagOptions(values, TRAIN_USAGE, {
    outDir: join(".ganvas", "runs", `srgan-x${scale}`),
    stateDir: join(".ganvas", "train", `srgan-x${scale}`),
  });
  return {
    model,
    pretrainSteps,
    ganSteps,
    batchSize: positiveInt("batch", values.batch, TRAIN_USAGE),
    patchSize: positiveInt("patch", values.patch, TRAIN_USAGE),
    learningRate: nonNegativeNumber("lr", values.lr, TRAIN_USAGE),
    learningRateMin: nonNegativeNumber("lr-min", values["lr-min"], TRAIN_USAGE),
    advWeight: nonNegativeNumber("adv-weight", values["adv-weight"], TRAIN_USAGE),
    minPatchStd: nonNegativeNumber("min-patch-std", values["min-patch-std"], TRAIN_USAGE),
    checkpointEvery: positiveInt("checkpoint-every", values["checkpoint-every"], TRAIN_USAGE),
    ...common,
    dataDir: values.data,
    maxSides: values["max-sides"]
      .split(",")
      .map((side) => positiveInt("max-sides", side.trim(), TRAIN_USAGE)),
  };
}

/** `ganvas-worker sr-train …`: progress on stderr, a one-line JSON summary on stdout. */
export function srTrainCommand(argv: string[]): Promise<number> {
  return trainerCommand(parseSrTrainArgs, argv, trainSr, (metadata) => ({
    phase: metadata.phase,
    losses: metadata.lastSrLosses,
    sample: metadata.sample,
  }));
}
