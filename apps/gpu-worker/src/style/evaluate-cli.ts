import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../backend/select.ts";
import { parseCommandArgs } from "../cli-args.ts";
import { fsHandler } from "../models/fs-handler.ts";
import { loadOrTrainStyleClassifier } from "./classifier.ts";
import { encodeGrid } from "./cyclegan-samples.ts";
import {
  cardMetrics,
  formatStyleTable,
  readStyleMetadata,
  type StyleCardEntry,
  type StyleEvalData,
  type StyleModelCard,
  scoreStyle,
  styleDirs,
  TARGETS,
  unpairedEvalData,
} from "./evaluate.ts";
import { emojiEvalData } from "./evaluate-emoji.ts";
// Registers the custom layers the style generators are saved with.
import "./layers.ts";
import { cropImage, type FloatImage, isUnpairedStyle } from "./photo-data.ts";

const USAGE = `usage: ganvas-worker style-eval --model-dir <version dir> [--styles a,b] [--classifier-dir DIR]
                               [--retrain] [--data DIR] [--backend NAME] [--no-card]`;

export interface StyleEvalOptions {
  modelDir: string;
  styles?: string[];
  classifierDir: string;
  retrain: boolean;
  dataRoot?: string;
  backend?: string;
  card: boolean;
}

export function parseStyleEvalArgs(argv: string[]): StyleEvalOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      "model-dir": { type: "string" },
      styles: { type: "string" },
      "classifier-dir": { type: "string" },
      retrain: { type: "boolean", default: false },
      data: { type: "string" },
      backend: { type: "string" },
      "no-card": { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values["model-dir"] === undefined) throw new Error(`--model-dir is required.\n${USAGE}`);
  return {
    modelDir: values["model-dir"],
    styles: values.styles?.split(",").map((s) => s.trim()),
    classifierDir: values["classifier-dir"] ?? join("models", "eval", "style-classifier"),
    retrain: values.retrain,
    dataRoot: values.data,
    backend: values.backend,
    card: !values["no-card"],
  };
}

async function evalData(style: string, dataRoot: string | undefined): Promise<StyleEvalData> {
  if (isUnpairedStyle(style)) return unpairedEvalData(style, { root: dataRoot });
  const emoji = await emojiEvalData(style);
  if (emoji !== undefined) return emoji;
  throw new Error(`style-eval: no evaluation data for style "${style}".`);
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function centreCrop(image: FloatImage, side: number): FloatImage {
  const s = Math.min(side, image.width, image.height);
  return cropImage(image, Math.floor((image.width - s) / 2), Math.floor((image.height - s) / 2), s, s);
}

/** One row per held-out input (the first three): the input, then each style's output of it. */
async function versionSamples(
  results: { style: string; inputs: FloatImage[]; outputs: FloatImage[] }[],
): Promise<Buffer> {
  const rows: FloatImage[][] = [];
  const first = results[0];
  const shared = results.every(
    (r) => r.inputs.map((i) => i.name).join() === first?.inputs.map((i) => i.name).join(),
  );
  const groups = shared && first ? [results] : results.map((r) => [r]);
  for (const group of groups) {
    const inputs = group[0]?.inputs ?? [];
    for (let i = 0; i < Math.min(3, inputs.length); i++) {
      const side = 160;
      const row = [centreCrop(inputs[i] as FloatImage, side)];
      for (const r of group) row.push(centreCrop(r.outputs[i] as FloatImage, side));
      rows.push(row);
    }
  }
  return encodeGrid(rows);
}

/** `ganvas-worker style-eval …`: the table on stderr, the card JSON on stdout, written to the version dir. */
export async function styleEvalCommand(argv: string[]): Promise<number> {
  const options = parseCommandArgs(parseStyleEvalArgs, argv);
  if (options === undefined) return 2;
  const began = performance.now();
  const { tf, name: backendName } = await selectBackend(options.backend);
  const found = await styleDirs(options.modelDir);
  const styles = options.styles ?? found;
  for (const s of styles) {
    if (!found.includes(s)) throw new Error(`No generator for style "${s}" in ${options.modelDir}.`);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const entries: Record<string, StyleCardEntry> = {};
  const results: { style: string; inputs: FloatImage[]; outputs: FloatImage[] }[] = [];
  for (const style of styles) {
    const data = await evalData(style, options.dataRoot);
    const classifierDir = join(options.classifierDir, style);
    const { model: classifier, info } = await loadOrTrainStyleClassifier({
      tf,
      backend: backendName,
      dir: classifierDir,
      style,
      sets: data.sets,
      heldOut: data.heldOutCrops,
      config: data.judge,
      retrain: options.retrain,
      log: (line) => log(`${style}: ${line}`),
    });
    log(
      `${style}: judge held-out accuracy ${(100 * info.heldOut.accuracy).toFixed(1)}% ` +
        `(${info.heldOut.sourceCrops} ${info.source} / ${info.heldOut.targetCrops} ${info.target} crops)`,
    );
    const dir = join(options.modelDir, style);
    const generator = await tfl.loadLayersModel(fsHandler(dir));
    const training = await readStyleMetadata(dir);
    const multiple = typeof training.multiple === "number" ? training.multiple : 4;
    const { score, inputs, outputs } = await scoreStyle(tf, generator, classifier, data, multiple);
    generator.dispose();
    classifier.dispose();
    results.push({ style, inputs, outputs });
    entries[style] = {
      training: {
        steps: training.step ?? null,
        wallSeconds: training.trainingSeconds ?? null,
        backend: training.backend ?? null,
        params: training.params ?? null,
        data: training.data ?? null,
        completed: training.completed ?? null,
      },
      classifier: { ...info, dir: classifierDir },
      score,
      targets: {
        styleAccuracy: { target: TARGETS.styleAccuracy, met: score.styleAccuracy >= TARGETS.styleAccuracy },
        edgeSsim: { target: TARGETS.edgeSsim, met: score.edgeSsim >= TARGETS.edgeSsim },
      },
    };
    log(
      `${style}: style accuracy ${(100 * score.styleAccuracy).toFixed(1)}% over ${score.outputCrops} crops, ` +
        `edge SSIM ${score.edgeSsim.toFixed(3)}, ${score.secondsPerMegapixel.toFixed(2)} s/MP`,
    );
  }
  const version = resolve(options.modelDir);
  const cardPath = join(options.modelDir, "model-card.json");
  // Another evaluator (the paired one) may have written figures to this card already: keep them, add ours.
  const existing = (await readJson(cardPath)) ?? {};
  const card: StyleModelCard = {
    ...existing,
    model: `${basename(dirname(version))}@${basename(version)}`,
    task: "style-transfer",
    modelDir: options.modelDir,
    metrics: { ...((existing.metrics as Record<string, number> | undefined) ?? {}), ...cardMetrics(entries) },
    evaluation: {
      date: new Date().toISOString(),
      backend: backendName,
      wallSeconds: Math.round((performance.now() - began) / 100) / 10,
      targets: TARGETS,
    },
    styles: { ...((existing.styles as Record<string, StyleCardEntry> | undefined) ?? {}), ...entries },
  };
  log(formatStyleTable(entries));
  const json = `${JSON.stringify(card, null, 2)}\n`;
  if (options.card) {
    await writeFile(cardPath, json);
    // The version's sample grid is ours to write for unpaired versions; a paired trainer writes its own.
    const samplesPath = join(options.modelDir, "samples.png");
    if (styles.every(isUnpairedStyle) || !existsSync(samplesPath)) {
      await writeFile(samplesPath, await versionSamples(results));
    }
  }
  process.stdout.write(json);
  return 0;
}
