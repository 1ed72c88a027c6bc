import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select.ts";
import { parseCommandArgs } from "../cli-args.ts";
import { MODEL_JSON } from "../models/fs-handler.ts";
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
import { isSrModelName, SR_MODELS } from "./model.ts";
import { type SrTrainOptions, trainSr } from "./train.ts";

const EVAL_USAGE = `usage: ganvas-worker sr-eval [--scale 2|4] [--model-dir DIR] [--methods bicubic,esrgan-slim,esrgan-medium,ours]
                             [--images a.png,b.jpg] [--tile 128] [--overlap 16] [--backend NAME] [--out FILE.json]`;

function int(name: string, value: string | undefined, fallback: number, usage: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got "${value}".\n${usage}`);
  return n;
}

export interface SrEvalOptions {
  scale: 2 | 4;
  modelDir: string;
  methods: string[];
  images: string[];
  tile: number;
  overlap: number;
  backend?: string;
  out?: string;
}

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
  return {
    scale,
    modelDir: values["model-dir"] ?? join("models", "super-resolution", `sr-x${scale}`, "1"),
    methods,
    images: values.images?.split(",").map((s) => s.trim()) ?? [...EVAL_IMAGES],
    tile: int("tile", values.tile, 128, EVAL_USAGE) || 128,
    overlap: int("overlap", values.overlap, 16, EVAL_USAGE),
    backend: values.backend,
    out: values.out,
  };
}

/** `ganvas-worker sr-eval …`: the side-by-side table on stderr, the full JSON on stdout (and --out). */
export async function srEvalCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseSrEvalArgs, argv);
  if (options === undefined) return 2;
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const tiles = { tile: options.tile, overlap: options.overlap };
  const images = await loadEvalSet(options.scale, { names: options.images });
  const upscalers: Upscaler[] = [];
  for (const m of options.methods) {
    if (m === "bicubic") upscalers.push(bicubicUpscaler(options.scale));
    else if (m === "ours") {
      if (existsSync(join(options.modelDir, MODEL_JSON))) {
        upscalers.push(await loadOurs(tf, options.modelDir, options.scale, tiles));
      } else {
        process.stderr.write(
          `sr-eval: no checkpoint in ${options.modelDir}, skipping "ours" (train with sr-train).\n`,
        );
      }
    } else upscalers.push(await loadEsrgan(tf, m as EsrganName, options.scale, tiles));
  }
  process.stderr.write(
    `sr-eval ×${options.scale}: ${images.length} held-out images, ${upscalers.map((u) => u.name).join(", ")} on ${backendName}\n`,
  );
  try {
    const results = await evaluateUpscalers(upscalers, images, options.scale, (method, s) =>
      process.stderr.write(
        `  ${method} ${s.image}: PSNR ${s.psnr.toFixed(2)} dB, SSIM ${s.ssim.toFixed(4)}, ${s.seconds.toFixed(2)} s\n`,
      ),
    );
    process.stderr.write(`${formatTable(results)}\n`);
    const report = {
      scale: options.scale,
      backend: { name: backendName, version },
      tiles,
      date: new Date().toISOString(),
      results,
    };
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (options.out !== undefined) {
      await mkdir(dirname(options.out), { recursive: true });
      await writeFile(options.out, json);
    }
    process.stdout.write(json);
  } finally {
    for (const u of upscalers) u.dispose();
  }
  return 0;
}

const TRAIN_USAGE = `usage: ganvas-worker sr-train --model sr-x2|sr-x4 [--pretrain-steps 2000] [--gan-steps 0] [--batch 16]
                              [--patch PX] [--lr 1e-4] [--adv-weight 5e-3] [--min-patch-std 8] [--checkpoint-every 200] [--out DIR]
                              [--state DIR] [--resume] [--seed N] [--limit N] [--data DIR] [--backend NAME] [--no-samples]`;

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
      "adv-weight": { type: "string", default: "5e-3" },
      "min-patch-std": { type: "string", default: "8" },
      "checkpoint-every": { type: "string", default: "200" },
      out: { type: "string" },
      state: { type: "string" },
      resume: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      limit: { type: "string" },
      data: { type: "string" },
      backend: { type: "string" },
      "no-samples": { type: "boolean", default: false },
    },
    strict: true,
  });
  const model = values.model;
  if (!isSrModelName(model)) {
    throw new Error(
      `Unknown model "${model}": choose one of ${Object.keys(SR_MODELS).join(", ")}.\n${TRAIN_USAGE}`,
    );
  }
  const positive = (name: string, v: string | undefined, fallback: number) => {
    const n = int(name, v, fallback, TRAIN_USAGE);
    if (n < 1) throw new Error(`--${name} must be at least 1.\n${TRAIN_USAGE}`);
    return n;
  };
  const num = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}".`);
    return n;
  };
  const pretrainSteps = int("pretrain-steps", values["pretrain-steps"], 2000, TRAIN_USAGE);
  const ganSteps = int("gan-steps", values["gan-steps"], 0, TRAIN_USAGE);
  if (pretrainSteps + ganSteps < 1)
    throw new Error(`Nothing to do: give --pretrain-steps or --gan-steps.\n${TRAIN_USAGE}`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}".`);
  return {
    model,
    pretrainSteps,
    ganSteps,
    batchSize: positive("batch", values.batch, 16),
    patchSize: values.patch === undefined ? undefined : positive("patch", values.patch, 96),
    learningRate: num("lr", values.lr),
    advWeight: num("adv-weight", values["adv-weight"]),
    minPatchStd: num("min-patch-std", values["min-patch-std"]),
    checkpointEvery: positive("checkpoint-every", values["checkpoint-every"], 200),
    seed,
    outDir: values.out ?? join("models", "super-resolution", model, "1"),
    stateDir: values.state ?? join(".ganvas", "train", model),
    resume: values.resume,
    limit: values.limit === undefined ? undefined : positive("limit", values.limit, 1),
    dataDir: values.data,
    backend: values.backend,
    samples: !values["no-samples"],
  };
}

/** `ganvas-worker sr-train …`: progress on stderr, a one-line JSON summary on stdout. */
export async function srTrainCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseSrTrainArgs, argv);
  if (options === undefined) return 2;
  const { metadata, stepsPerSecond } = await trainSr(options);
  process.stdout.write(
    `${JSON.stringify({ out: options.outDir, step: metadata.step, phase: metadata.phase, stepsPerSecond: Number(stepsPerSecond.toFixed(3)), losses: metadata.lastSrLosses, sample: metadata.sample })}\n`,
  );
  return 0;
}
