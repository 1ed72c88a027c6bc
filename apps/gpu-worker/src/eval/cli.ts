import { parseArgs } from "node:util";
import { parseCommandArgs, positiveInt } from "../cli-args.ts";
import { formatCard } from "./card.ts";
import { DEFAULT_CLASSIFIER_DIR, type EvalOptions, evaluateModel, MODEL_CARD } from "./evaluate.ts";

const USAGE = `usage: ganvas-worker eval --model-dir DIR [--per-class 100] [--seed 1] [--classifier-dir ${DEFAULT_CLASSIFIER_DIR}]
                          [--classifier-epochs 2] [--retrain] [--backend NAME] [--no-card]`;

export function parseEvalArgs(argv: string[]): EvalOptions {
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
    },
    strict: true,
  });
  const modelDir = values["model-dir"];
  if (!modelDir) throw new Error(`--model-dir is required.\n${USAGE}`);
  return {
    modelDir,
    perClass: positiveInt("per-class", values["per-class"], USAGE),
    seed: positiveInt("seed", values.seed, USAGE),
    classifierDir: values["classifier-dir"],
    classifierEpochs: positiveInt("classifier-epochs", values["classifier-epochs"], USAGE),
    retrain: values.retrain,
    backend: values.backend,
    writeCard: !values["no-card"],
  };
}

/** `ganvas-worker eval …`: prints the table and writes model-card.json next to the generator. */
export async function evalCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseEvalArgs, argv);
  if (options === undefined) return 2;
  const card = await evaluateModel({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(formatCard(card));
  if (options.writeCard !== false) process.stdout.write(`wrote ${options.modelDir}/${MODEL_CARD}\n`);
  return 0;
}
