import { join } from "node:path";
import { parseArgs } from "node:util";
import { flagNumbers, TRAIN_FLAGS, trainerCommand, trainFlagOptions } from "../cli-args.ts";
import {
  PAIRED_STYLES,
  type PairedStyle,
  PIX2PIX_DEFAULTS,
  type Pix2PixTrainOptions,
  trainPix2Pix,
} from "./pix2pix-train.ts";

const USAGE = `usage: ganvas-worker pix2pix-train [--style noto-emoji] [--epochs 6] [--batch 4] [--lr 2e-4]
                                  [--decay-from 0.5] [--lambda 100] [--stripped 0.25] [--filters 32]
                                  [--max-filters 128] [--depth 4] [--d-filters 32] [--d-layers 2] [--out DIR]
                                  [--state DIR] [--resume] [--seed N] [--limit N] [--data DIR] [--backend NAME]
                                  [--no-samples] [--no-card]
  --stripped: share of training inputs given with their alpha dropped instead of flattened on white.
  --resume on a completed run trains nothing and rewrites the version's model card.`;

export function parsePix2PixTrainArgs(argv: string[]): Pix2PixTrainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      style: { type: "string", default: "noto-emoji" },
      epochs: { type: "string" },
      batch: { type: "string" },
      lr: { type: "string" },
      "decay-from": { type: "string" },
      lambda: { type: "string" },
      stripped: { type: "string" },
      filters: { type: "string" },
      "max-filters": { type: "string" },
      depth: { type: "string" },
      "d-filters": { type: "string" },
      "d-layers": { type: "string" },
      data: { type: "string" },
      ...TRAIN_FLAGS,
      "no-card": { type: "boolean", default: false },
    },
    strict: true,
  });
  const style = values.style;
  if (!(PAIRED_STYLES as readonly string[]).includes(style)) {
    throw new Error(`--style must be one of ${PAIRED_STYLES.join(", ")}, got "${style}".\n${USAGE}`);
  }
  const common = trainFlagOptions(values, USAGE, {
    outDir: join(".ganvas", "runs", "pix2pix", style),
    stateDir: join(".ganvas", "train", "pix2pix", style),
  });
  const d = PIX2PIX_DEFAULTS;
  const { int, num } = flagNumbers(values, USAGE);
  const depth = int("depth", d.config.depth);
  // 64 px training images: six halvings would leave a 1×1 bottleneck.
  if (depth > 6) throw new Error(`--depth must be at most 6, got ${depth}.\n${USAGE}`);
  return {
    style: style as PairedStyle,
    epochs: int("epochs", d.epochs),
    batchSize: int("batch", d.batchSize),
    learningRate: num("lr", d.learningRate, 1),
    decayFrom: num("decay-from", d.decayFrom, 1),
    lambda: num("lambda", d.lambda),
    strippedShare: num("stripped", d.strippedShare, 1),
    config: {
      filters: int("filters", d.config.filters),
      maxFilters: int("max-filters", d.config.maxFilters),
      depth,
      discriminatorFilters: int("d-filters", d.config.discriminatorFilters),
      discriminatorLayers: int("d-layers", d.config.discriminatorLayers),
    },
    ...common,
    dataDir: values.data,
    card: !values["no-card"],
  };
}

/** `ganvas-worker pix2pix-train …`: progress on stderr, a one-line JSON summary on stdout. */
export function pix2pixTrainCommand(argv: string[]): Promise<number> {
  return trainerCommand(parsePix2PixTrainArgs, argv, trainPix2Pix, (metadata, options) => ({
    style: options.style,
    losses: metadata.lastPix2PixLosses,
    heldOut: metadata.heldOut,
  }));
}
