import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseCommandArgs, positiveInt } from "../cli-args.ts";
import { CYCLEGAN_DEFAULTS, type CycleGanTrainOptions, trainCycleGan } from "./cyclegan-train.ts";
import { isUnpairedStyle, UNPAIRED_STYLES } from "./photo-data.ts";

const USAGE = `usage: ganvas-worker cyclegan-train --style starry-night|low-poly [--steps 700] [--batch 4] [--crop 64]
                                   [--short-side 256] [--lr 2e-4] [--decay-from 0.5] [--lambda 10] [--identity 0.5]
                                   [--pool 50] [--filters 16] [--blocks 4] [--d-filters 32] [--d-layers 3] [--upsampling transpose|nearest]
                                   [--checkpoint-every 100] [--out DIR] [--state DIR] [--resume] [--seed N]
                                   [--limit N] [--data DIR] [--backend NAME] [--no-samples]`;

function number(name: string, value: string, max = Number.POSITIVE_INFINITY): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new Error(`--${name} must be a number from 0 to ${max}, got "${value}".\n${USAGE}`);
  }
  return n;
}

function upsampling(value: string | undefined): "transpose" | "nearest" {
  if (value === undefined || value === "transpose" || value === "nearest") return value ?? "transpose";
  throw new Error(`--upsampling must be transpose or nearest, got "${value}".\n${USAGE}`);
}

export function parseCycleGanTrainArgs(argv: string[]): CycleGanTrainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      style: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string" },
      crop: { type: "string" },
      "short-side": { type: "string" },
      lr: { type: "string" },
      "decay-from": { type: "string" },
      lambda: { type: "string" },
      identity: { type: "string" },
      pool: { type: "string" },
      filters: { type: "string" },
      blocks: { type: "string" },
      "d-filters": { type: "string" },
      "d-layers": { type: "string" },
      upsampling: { type: "string" },
      "checkpoint-every": { type: "string" },
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
  const style = values.style;
  if (style === undefined || !isUnpairedStyle(style)) {
    throw new Error(`--style must be one of ${UNPAIRED_STYLES.join(", ")}, got "${style ?? ""}".\n${USAGE}`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}".\n${USAGE}`);
  const d = CYCLEGAN_DEFAULTS;
  const int = (name: keyof typeof values, fallback: number) =>
    positiveInt(name, values[name] as string | undefined, USAGE) ?? fallback;
  const crop = int("crop", d.crop);
  if (crop % 4 !== 0) throw new Error(`--crop must be a multiple of 4, got ${crop}.\n${USAGE}`);
  const blocks = values.blocks === undefined ? d.config.residualBlocks : number("blocks", values.blocks);
  if (!Number.isInteger(blocks)) throw new Error(`--blocks must be an integer.\n${USAGE}`);
  return {
    style,
    steps: int("steps", d.steps),
    batchSize: int("batch", d.batchSize),
    crop,
    shortSide: int("short-side", d.shortSide),
    learningRate: values.lr === undefined ? d.learningRate : number("lr", values.lr, 1),
    decayFrom:
      values["decay-from"] === undefined ? d.decayFrom : number("decay-from", values["decay-from"], 1),
    weights: {
      cycle: values.lambda === undefined ? d.weights.cycle : number("lambda", values.lambda),
      identity: values.identity === undefined ? d.weights.identity : number("identity", values.identity),
    },
    poolSize: values.pool === undefined ? d.poolSize : number("pool", values.pool),
    config: {
      generatorFilters: int("filters", d.config.generatorFilters),
      residualBlocks: blocks,
      discriminatorFilters: int("d-filters", d.config.discriminatorFilters),
      discriminatorLayers: int("d-layers", d.config.discriminatorLayers),
      upsampling: upsampling(values.upsampling),
    },
    checkpointEvery: int("checkpoint-every", d.checkpointEvery),
    seed,
    outDir: values.out ?? join("models", "style-transfer", "cyclegan", "1", style),
    stateDir: values.state ?? join(".ganvas", "train", "cyclegan", style),
    resume: values.resume,
    limit: positiveInt("limit", values.limit, USAGE),
    dataRoot: values.data,
    backend: values.backend,
    samples: !values["no-samples"],
  };
}

/** `ganvas-worker cyclegan-train …`: progress on stderr, a one-line JSON summary on stdout. */
export async function cycleGanTrainCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseCycleGanTrainArgs, argv);
  if (options === undefined) return 2;
  const { metadata, stepsPerSecond } = await trainCycleGan(options);
  process.stdout.write(
    `${JSON.stringify({
      out: options.outDir,
      style: options.style,
      step: metadata.step,
      stepsPerSecond: Number(stepsPerSecond.toFixed(3)),
      losses: metadata.lastCycleLosses,
    })}\n`,
  );
  return 0;
}
