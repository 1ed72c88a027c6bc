import { join } from "node:path";
import { parseArgs } from "node:util";
import { flagNumbers, TRAIN_FLAGS, trainerCommand, trainFlagOptions, upsamplingFlag } from "../cli-args.ts";
import { CYCLEGAN_DEFAULTS, type CycleGanTrainOptions, trainCycleGan } from "./cyclegan-train.ts";
import { isUnpairedStyle, UNPAIRED_STYLES } from "./photo-data.ts";

const USAGE = `usage: ganvas-worker cyclegan-train --style starry-night|low-poly [--steps 700] [--batch 4] [--crop 64]
                                   [--short-side 256] [--lr 2e-4] [--decay-from 0.5] [--lambda 10] [--identity 0.5] [--edge 0]
                                   [--pool 50] [--filters 16] [--blocks 4] [--d-filters 32] [--d-layers 3] [--upsampling transpose|nearest]
                                   [--checkpoint-every 100] [--out DIR] [--state DIR] [--resume] [--seed N]
                                   [--limit N] [--data DIR] [--backend NAME] [--no-samples]`;

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
      edge: { type: "string" },
      pool: { type: "string" },
      filters: { type: "string" },
      blocks: { type: "string" },
      "d-filters": { type: "string" },
      "d-layers": { type: "string" },
      upsampling: { type: "string" },
      "checkpoint-every": { type: "string" },
      data: { type: "string" },
      ...TRAIN_FLAGS,
    },
    strict: true,
  });
  const style = values.style;
  if (style === undefined || !isUnpairedStyle(style)) {
    throw new Error(`--style must be one of ${UNPAIRED_STYLES.join(", ")}, got "${style ?? ""}".\n${USAGE}`);
  }
  const common = trainFlagOptions(values, USAGE, {
    outDir: join(".ganvas", "runs", "cyclegan", style),
    stateDir: join(".ganvas", "train", "cyclegan", style),
  });
  const d = CYCLEGAN_DEFAULTS;
  const { int, num } = flagNumbers(values, USAGE);
  const crop = int("crop", d.crop);
  if (crop % 4 !== 0) throw new Error(`--crop must be a multiple of 4, got ${crop}.\n${USAGE}`);
  const blocks = num("blocks", d.config.residualBlocks);
  if (!Number.isInteger(blocks)) throw new Error(`--blocks must be an integer.\n${USAGE}`);
  return {
    style,
    steps: int("steps", d.steps),
    batchSize: int("batch", d.batchSize),
    crop,
    shortSide: int("short-side", d.shortSide),
    learningRate: num("lr", d.learningRate, 1),
    decayFrom: num("decay-from", d.decayFrom, 1),
    weights: {
      cycle: num("lambda", d.weights.cycle),
      identity: num("identity", d.weights.identity),
      edge: num("edge", d.weights.edge),
    },
    poolSize: num("pool", d.poolSize),
    config: {
      generatorFilters: int("filters", d.config.generatorFilters),
      residualBlocks: blocks,
      discriminatorFilters: int("d-filters", d.config.discriminatorFilters),
      discriminatorLayers: int("d-layers", d.config.discriminatorLayers),
      upsampling: upsamplingFlag(values.upsampling, USAGE),
    },
    checkpointEvery: int("checkpoint-every", d.checkpointEvery),
    ...common,
    dataRoot: values.data,
  };
}

/** `ganvas-worker cyclegan-train …`: progress on stderr, a one-line JSON summary on stdout. */
export function cycleGanTrainCommand(argv: string[]): Promise<number> {
  return trainerCommand(parseCycleGanTrainArgs, argv, trainCycleGan, (metadata, options) => ({
    style: options.style,
    losses: metadata.lastCycleLosses,
  }));
}
