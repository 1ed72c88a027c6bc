import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseCommandArgs, positiveInt } from "../cli-args.ts";
import { isModelName, MODELS } from "../models/registry.ts";
import { type TrainOptions, train } from "./run.ts";

const USAGE = `usage: ganvas-worker train --model <name> [--epochs N | --steps N] [--batch 64] [--out DIR]
                           [--state DIR] [--resume] [--seed N] [--limit N] [--backend NAME] [--no-samples]
                           [--warmup N] [--aux-weight W] [--snapshot-every N]
  --aux-weight   class models: ACGAN auxiliary class loss weight for a fresh run (0 = plain conditional GAN)
  --snapshot-every  class models: keep a generator snapshot every N steps for \`eval --curve\` (default 300, 0 = none)
models: ${Object.keys(MODELS).join(", ")} (shapes-tcgan draws its captioned images per step: an epoch is 150 steps)`;

function weight(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100)
    throw new Error(`--aux-weight must be a number from 0 to 100, got "${value}".\n${USAGE}`);
  return n;
}

export function parseTrainArgs(argv: string[]): TrainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", default: "fashion-cdcgan" },
      epochs: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string", default: "64" },
      out: { type: "string" },
      state: { type: "string" },
      resume: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      limit: { type: "string" },
      backend: { type: "string" },
      "no-samples": { type: "boolean", default: false },
      warmup: { type: "string" },
      "aux-weight": { type: "string" },
      "snapshot-every": { type: "string" },
    },
    strict: true,
  });
  const model = values.model;
  if (!isModelName(model)) {
    throw new Error(`Unknown model "${model}": choose one of ${Object.keys(MODELS).join(", ")}.\n${USAGE}`);
  }
  const task = MODELS[model].task;
  const outDir = values.out ?? join("models", task, model, "1");
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}".`);
  return {
    model,
    epochs: positiveInt("epochs", values.epochs, USAGE) ?? 1,
    steps: positiveInt("steps", values.steps, USAGE),
    batchSize: positiveInt("batch", values.batch, USAGE) ?? 64,
    seed,
    outDir,
    // Resume state is bulky and local to a run; .ganvas/ is ignored by git.
    stateDir: values.state ?? join(".ganvas", "train", model),
    resume: values.resume,
    limit: positiveInt("limit", values.limit, USAGE),
    backend: values.backend,
    samples: !values["no-samples"],
    warmupSteps: values.warmup === "0" ? 0 : positiveInt("warmup", values.warmup, USAGE),
    auxWeight: weight(values["aux-weight"]),
    snapshotEvery:
      values["snapshot-every"] === "0" ? 0 : positiveInt("snapshot-every", values["snapshot-every"], USAGE),
  };
}

/**
 * `ganvas-worker train …`. Returns the exit code and also sets process.exitCode, so a caller that only
 * awaits it still exits non-zero on bad arguments; training failures throw.
 */
export async function trainCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseTrainArgs, argv);
  if (options === undefined) return 2;
  const { metadata, stepsPerSecond } = await train(options);
  process.stdout.write(
    `${JSON.stringify({ out: options.outDir, step: metadata.step, epoch: metadata.epoch, stepsPerSecond: Number(stepsPerSecond.toFixed(3)), losses: metadata.lastLosses })}\n`,
  );
  return 0;
}
