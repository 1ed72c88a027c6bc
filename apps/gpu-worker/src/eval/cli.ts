import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TEMPERATURE_RANGE } from "@ganvas/shared";
import { nonNegativeNumber, parseCommandArgs, positiveInt } from "../cli-args.ts";
import { isModelName, MODELS } from "../models/registry.ts";
import { isTextModel } from "../models/tcgan.ts";
import type { TrainingMetadata } from "../training/checkpoint.ts";
import { formatCard } from "./card.ts";
import { type EvalOptions, evaluateModel, JUDGES, MODEL_CARD } from "./evaluate.ts";
import { evaluateShapesModel, formatShapesCard } from "./shapes-evaluate.ts";

const USAGE = `usage: ganvas-worker eval --model-dir DIR [--per-class 100] [--seed 1] [--classifier-dir DIR]
                          [--classifier-epochs N] [--retrain] [--backend NAME] [--no-card] [--curve --state DIR]
                          [--temperature 0.1–1 --no-card]
  --classifier-dir  default: the model's data set's judge (${Object.values(JUDGES)
    .map((j) => j.dir)
    .join(", ")})
       text-encoder models (picked by the folder's metadata.json): [--prompts 1000]
  --curve scores the generator snapshots the trainer kept in its state folder: prompt accuracy against training time.`;

export interface EvalCommandOptions extends EvalOptions {
  prompts?: number;
}

export function parseEvalArgs(argv: string[]): EvalCommandOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      "model-dir": { type: "string" },
      "per-class": { type: "string" },
      seed: { type: "string" },
      "classifier-dir": { type: "string" },
      "classifier-epochs": { type: "string" },
      retrain: { type: "boolean", default: false },
      backend: { type: "string" },
      "no-card": { type: "boolean", default: false },
      prompts: { type: "string" },
      curve: { type: "boolean", default: false },
      state: { type: "string" },
      temperature: { type: "string" },
    },
    strict: true,
  });
  const { min, max } = TEMPERATURE_RANGE;
  const temperature = nonNegativeNumber("temperature", values.temperature, USAGE, max);
  if (temperature !== undefined && temperature < min)
    throw new Error(`--temperature must be between ${min} and ${max}, got ${temperature}.\n${USAGE}`);
  if (temperature !== undefined && !values["no-card"])
    throw new Error(
      `--temperature needs --no-card: the model card describes the default temperature, 1.\n${USAGE}`,
    );
  const modelDir = values["model-dir"];
  if (!modelDir) throw new Error(`--model-dir is required.\n${USAGE}`);
  if (values.curve && !values.state)
    throw new Error(`--curve needs --state DIR (the training state folder).\n${USAGE}`);
  return {
    modelDir,
    perClass: positiveInt("per-class", values["per-class"], USAGE),
    seed: positiveInt("seed", values.seed, USAGE),
    classifierDir: values["classifier-dir"],
    classifierEpochs: positiveInt("classifier-epochs", values["classifier-epochs"], USAGE),
    retrain: values.retrain,
    backend: values.backend,
    writeCard: !values["no-card"],
    prompts: positiveInt("prompts", values.prompts, USAGE),
    curveStateDir: values.curve ? values.state : undefined,
    temperature,
  };
}

/** `ganvas-worker eval …`: prints the table and writes model-card.json next to the generator. */
export async function evalCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseEvalArgs, argv);
  if (options === undefined) return 2;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const metadata = await readModelMetadata(options.modelDir);
  const def = metadata && isModelName(metadata.model) ? MODELS[metadata.model] : undefined;
  if (metadata && def && isTextModel(def)) {
    const card = await evaluateShapesModel({
      modelDir: options.modelDir,
      metadata,
      classifierDir: options.classifierDir,
      retrain: options.retrain,
      prompts: options.prompts,
      seed: options.seed,
      curveStateDir: options.curveStateDir,
      temperature: options.temperature,
      backend: options.backend,
      writeCard: options.writeCard,
      log,
    });
    process.stdout.write(formatShapesCard(card));
    if (options.writeCard !== false) process.stdout.write(`wrote ${options.modelDir}/${MODEL_CARD}\n`);
    return 0;
  }
  const card = await evaluateModel({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(formatCard(card));
  if (options.writeCard !== false) process.stdout.write(`wrote ${options.modelDir}/${MODEL_CARD}\n`);
  return 0;
}

async function readModelMetadata(dir: string): Promise<TrainingMetadata | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "metadata.json"), "utf8")) as TrainingMetadata;
  } catch {
    // The class-model evaluator reports a missing metadata.json with its own message.
    return undefined;
  }
}
