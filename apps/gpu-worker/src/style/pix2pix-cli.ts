import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseCommandArgs, positiveInt } from "../cli-args.ts";
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

function number(name: string, value: string, max = Number.POSITIVE_INFINITY): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new Error(`--${name} must be a number from 0 to ${max}, got "${value}".\n${USAGE}`);
  }
  return n;
}

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
      out: { type: "string" },
      state: { type: "string" },
      resume: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      limit: { type: "string" },
      data: { type: "string" },
      backend: { type: "string" },
      "no-samples": { type: "boolean", default: false },
      "no-card": { type: "boolean", default: false },
    },
    strict: true,
  });
  const style = values.style;
  if (!(PAIRED_STYLES as readonly string[]).includes(style)) {
    throw new Error(`--style must be one of ${PAIRED_STYLES.join(", ")}, got "${style}".\n${USAGE}`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}".\n${USAGE}`);
  const d = PIX2PIX_DEFAULTS;
  const int = (name: keyof typeof values, fallback: number) =>
    positiveInt(name, values[name] as string | undefined, USAGE) ?? fallback;
  const depth = int("depth", d.config.depth);
  // 64 px training images: six halvings would leave a 1×1 bottleneck.
  if (depth > 6) throw new Error(`--depth must be at most 6, got ${depth}.\n${USAGE}`);
  return {
    style: style as PairedStyle,
    epochs: int("epochs", d.epochs),
    batchSize: int("batch", d.batchSize),
    learningRate: values.lr === undefined ? d.learningRate : number("lr", values.lr, 1),
    decayFrom:
      values["decay-from"] === undefined ? d.decayFrom : number("decay-from", values["decay-from"], 1),
    lambda: values.lambda === undefined ? d.lambda : number("lambda", values.lambda),
    strippedShare: values.stripped === undefined ? d.strippedShare : number("stripped", values.stripped, 1),
    config: {
      filters: int("filters", d.config.filters),
      maxFilters: int("max-filters", d.config.maxFilters),
      depth,
      discriminatorFilters: int("d-filters", d.config.discriminatorFilters),
      discriminatorLayers: int("d-layers", d.config.discriminatorLayers),
    },
    seed,
    outDir: values.out ?? join("models", "style-transfer", "pix2pix", "1", style),
    stateDir: values.state ?? join(".ganvas", "train", "pix2pix", style),
    resume: values.resume,
    limit: positiveInt("limit", values.limit, USAGE),
    dataDir: values.data,
    backend: values.backend,
    samples: !values["no-samples"],
    card: !values["no-card"],
  };
}

/** `ganvas-worker pix2pix-train …`: progress on stderr, a one-line JSON summary on stdout. */
export async function pix2pixTrainCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parsePix2PixTrainArgs, argv);
  if (options === undefined) return 2;
  const { metadata, stepsPerSecond } = await trainPix2Pix(options);
  process.stdout.write(
    `${JSON.stringify({
      out: options.outDir,
      style: options.style,
      step: metadata.step,
      stepsPerSecond: Number(stepsPerSecond.toFixed(3)),
      losses: metadata.lastPix2PixLosses,
      heldOut: metadata.heldOut,
    })}\n`,
  );
  return 0;
}
