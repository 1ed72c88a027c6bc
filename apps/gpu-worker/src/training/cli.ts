import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  TRAIN_FLAGS,
  trainerCommand,
  trainFlagOptions,
  upsamplingFlag,
} from "../cli-args.ts";
import { isModelName, MODELS } from "../models/registry.ts";
import { isTextModel } from "../models/tcgan.ts";
import { type TrainOptions, train } from "./run.ts";

const USAGE = `usage: ganvas-worker train --model <name> [--epochs N | --steps N] [--batch 64] [--out DIR]
                           [--state DIR] [--resume] [--seed N] [--limit N] [--backend NAME] [--no-samples]
                           [--warmup N] [--aux-weight W] [--snapshot-every N] [--upsampling transpose|nearest]
                           [--condition-every-scale] [--pretrain-encoder N] [--augment] [--width-scale K]
                           [--projection] [--mode-seeking W] [--anneal N] [--ema DECAY]
                           [--d-lr R] [--g-lr R]
  --aux-weight   class models: ACGAN auxiliary class loss weight for a fresh run (0 = plain conditional GAN);
                 text models: weight of the attribute loss in the generator's loss (default 1)
  --width-scale  class models, fresh run: multiply both networks' channel widths by K (default 1)
  --projection   class models, fresh run: a projection discriminator (the label scores D's image features)
                 instead of the label as an extra input channel
  --mode-seeking  text models: weight of a mode-seeking term in the generator's loss, which rewards different
                 images for different noise under one caption (default 0 = off)
  --anneal      class models: the run's last N steps lower both learning rates linearly to zero (default 0);
                 with --resume, N counts back from the new --steps
  --ema          class models: ship an exponential moving average of the generator's weights with this decay
                 (e.g. 0.999; the trained generator stays in the state folder); 0 = ship the generator itself;
                 a resumed run keeps its decay unless given one
  --d-lr, --g-lr  class models: the discriminator's / generator's Adam learning rate (default 2e-4 each; a
                 faster D is the two time-scale update rule); a resumed run keeps its rates unless given others
  --augment      class models: differentiable augmentation (shift, cutout) of every image the discriminator sees
  --upsampling, --condition-every-scale  text models, fresh run: nearest-neighbour upsampling in the generator;
                 the prompt's condition fed to every generator resolution
  --pretrain-encoder  text models, fresh run: first train each network's text encoder N steps to name what
                 captions say, then freeze it (0 = the encoders learn only through the GAN's losses)
  --snapshot-every  class models: keep a generator snapshot every N steps for \`eval --curve\` (default 300, 0 = none)
models: ${Object.keys(MODELS).join(", ")} (shapes-tcgan draws its captioned images per step: an epoch is 150 steps)`;

/** Flags that shape only one kind of trainer; the other kind would ignore them without a word. */
const ONLY_FOR = {
  class: ["width-scale", "projection", "augment", "snapshot-every", "anneal", "ema", "d-lr", "g-lr"],
  text: ["mode-seeking", "pretrain-encoder", "warmup", "upsampling", "condition-every-scale"],
} as const;

/**
 * Flags that build the networks or their first steps (and, for class models, the class loss recorded in their
 * config): a resumed run keeps what it was started with.
 */
const FRESH_ONLY = {
  class: ["width-scale", "projection", "aux-weight"],
  text: ["pretrain-encoder", "warmup", "upsampling", "condition-every-scale"],
} as const;

/** Rejects a flag the chosen model's trainer would silently ignore, naming the models it does apply to. */
function checkApplicable(model: keyof typeof MODELS, values: Record<string, unknown>): void {
  const kind = isTextModel(MODELS[model]) ? "text" : "class";
  const other = kind === "text" ? "class" : "text";
  const given = (flag: string) => values[flag] !== undefined && values[flag] !== false;
  const misplaced = ONLY_FOR[other].find(given);
  if (misplaced !== undefined) {
    const models = Object.values(MODELS)
      .filter((d) => isTextModel(d) === (other === "text"))
      .map((d) => d.name);
    throw new Error(
      `--${misplaced} applies to ${other} models (${models.join(", ")}), not to ${model}.\n${USAGE}`,
    );
  }
  const fresh = values.resume === true ? FRESH_ONLY[kind].find(given) : undefined;
  if (fresh !== undefined) {
    throw new Error(
      `--${fresh} shapes a fresh run only: a resumed run keeps the networks it was started with. Drop --${fresh} or --resume.`,
    );
  }
}

/** A decay of 1 would never move from the first weights. */
function emaDecayFlag(value: string | undefined): number | undefined {
  const decay = nonNegativeNumber("ema", value, USAGE, 1);
  if (decay === 1)
    throw new Error(`--ema must be below 1 (0.999 averages over about 1,000 steps).\n${USAGE}`);
  return decay;
}

export function parseTrainArgs(argv: string[]): TrainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", default: "fashion-cdcgan" },
      epochs: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string", default: "64" },
      ...TRAIN_FLAGS,
      warmup: { type: "string" },
      "pretrain-encoder": { type: "string" },
      "aux-weight": { type: "string" },
      augment: { type: "boolean" },
      projection: { type: "boolean" },
      "mode-seeking": { type: "string" },
      "width-scale": { type: "string" },
      anneal: { type: "string" },
      ema: { type: "string" },
      "d-lr": { type: "string" },
      "g-lr": { type: "string" },
      "snapshot-every": { type: "string" },
      upsampling: { type: "string" },
      "condition-every-scale": { type: "boolean" },
    },
    strict: true,
  });
  const model = values.model;
  if (!isModelName(model)) {
    throw new Error(`Unknown model "${model}": choose one of ${Object.keys(MODELS).join(", ")}.\n${USAGE}`);
  }
  checkApplicable(model, values);
  const common = trainFlagOptions(values, USAGE, {
    outDir: join(".ganvas", "runs", model),
    // Resume state is bulky and local to a run; .ganvas/ is ignored by git.
    stateDir: join(".ganvas", "train", model),
  });
  return {
    model,
    epochs: positiveInt("epochs", values.epochs, USAGE) ?? 1,
    steps: positiveInt("steps", values.steps, USAGE),
    batchSize: positiveInt("batch", values.batch, USAGE),
    ...common,
    warmupSteps: nonNegativeInt("warmup", values.warmup, USAGE),
    encoderPretrainSteps: nonNegativeInt("pretrain-encoder", values["pretrain-encoder"], USAGE),
    auxWeight: nonNegativeNumber("aux-weight", values["aux-weight"], USAGE, 100),
    augment: values.augment,
    projection: values.projection,
    modeSeekingWeight: nonNegativeNumber("mode-seeking", values["mode-seeking"], USAGE, 100),
    widthScale: positiveNumber("width-scale", values["width-scale"], USAGE, 16),
    annealSteps: nonNegativeInt("anneal", values.anneal, USAGE),
    emaDecay: emaDecayFlag(values.ema),
    ...(values["d-lr"] !== undefined || values["g-lr"] !== undefined
      ? {
          learningRates: {
            d: positiveNumber("d-lr", values["d-lr"], USAGE, 0.1),
            g: positiveNumber("g-lr", values["g-lr"], USAGE, 0.1),
          },
        }
      : {}),
    snapshotEvery: nonNegativeInt("snapshot-every", values["snapshot-every"], USAGE),
    ...(values.upsampling !== undefined || values["condition-every-scale"]
      ? {
          generator: {
            upsampling: upsamplingFlag(values.upsampling, USAGE),
            conditionEveryScale: values["condition-every-scale"] ?? false,
          },
        }
      : {}),
  };
}

/**
 * `ganvas-worker train …`. Returns the exit code and also sets process.exitCode, so a caller that only
 * awaits it still exits non-zero on bad arguments; training failures throw.
 */
export function trainCommand(argv: string[]): Promise<number> {
  return trainerCommand(parseTrainArgs, argv, train, (metadata) => ({
    epoch: metadata.epoch,
    losses: metadata.lastLosses,
  }));
}
