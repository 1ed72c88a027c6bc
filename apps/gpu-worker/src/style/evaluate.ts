import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Tf } from "../backend/select.ts";
import {
  DEFAULT_STYLE_CLASSIFIER,
  type DomainSets,
  type StyleClassifierConfig,
  type StyleClassifierInfo,
  targetProbabilities,
} from "./classifier.ts";
import { stylise } from "./cyclegan-samples.ts";
import { edgeSsim } from "./evaluate-metrics.ts";
import { cropImage, type FloatImage, gridCrops, isUnpairedStyle, loadUnpairedData } from "./photo-data.ts";

/**
 * The style evaluator: for each style generator of a version, (1) how often its outputs of held-out inputs
 * land in the target style, judged by that style's domain classifier; (2) how much content survives, as SSIM
 * between the Sobel edge maps of input and output; (3) the time per megapixel on this backend.
 */

export const TARGETS = { styleAccuracy: 0.9, edgeSsim: 0.5 } as const;

/** Everything needed to judge one style: the classifier's data and the held-out inputs to stylise. */
export interface StyleEvalData {
  style: string;
  sets: DomainSets;
  /** Fixed held-out crops of each side, for the classifier's own accuracy. */
  heldOutCrops: { source: FloatImage[]; target: FloatImage[] };
  /** Held-out inputs, whole, to run the generator on. */
  inputs: FloatImage[];
  /**
   * Paired styles: the true output of each input (same order). Their edge SSIM against the inputs is what a
   * perfect translation would score, the reference the generator's edge SSIM is read against.
   */
  references?: FloatImage[];
  /** Side of the crops the classifier judges. */
  crop: number;
  /** The judge's settings for this style. */
  judge: StyleClassifierConfig;
}

/** Held-out crops per image for the classifier's own accuracy. */
const CROPS_PER_IMAGE = 24;

/** The photo ↔ style data of an unpaired style, split as photo-data.ts splits it. */
export async function unpairedEvalData(style: string, options: { root?: string; limit?: number } = {}) {
  if (!isUnpairedStyle(style)) throw new Error(`"${style}" is not an unpaired style.`);
  const data = await loadUnpairedData(style, { root: options.root, limit: options.limit });
  const crop = 64;
  const result: StyleEvalData = {
    style,
    sets: {
      source: {
        name: "photos",
        train: [...data.trainPhotos, ...data.judgePhotos],
        heldOut: data.heldOutPhotos,
      },
      target: { name: style, train: data.trainStyle, heldOut: data.heldOutStyle },
    },
    heldOutCrops: {
      source: gridCrops(data.heldOutPhotos, crop, CROPS_PER_IMAGE),
      // Overlapping (a quarter crop apart): the painting's held-out strip is only a little wider than one crop.
      target: gridCrops(data.heldOutStyle, crop, CROPS_PER_IMAGE, crop / 4),
    },
    inputs: [...data.heldOutPhotos],
    crop,
    // Facets and flat shading, not colours, make low-poly: its judge sees crops with shuffled channels.
    judge: { ...DEFAULT_STYLE_CLASSIFIER, crop, permuteChannels: style === "low-poly" },
  };
  return result;
}

/** The largest top-left crop whose sides are multiples of `multiple`. */
export function fitToMultiple(image: FloatImage, multiple: number): FloatImage {
  const w = image.width - (image.width % multiple);
  const h = image.height - (image.height % multiple);
  return w === image.width && h === image.height ? image : cropImage(image, 0, 0, w, h);
}

export interface ImageScore {
  name: string;
  width: number;
  height: number;
  seconds: number;
  edgeSsim: number;
  /** Fraction of this output's crops judged to be in the target style. */
  styleRate: number;
}

export interface StyleScore {
  style: string;
  inputs: number;
  outputCrops: number;
  /** Fraction of all output crops judged to be in the target style. Target ≥ 0.9. */
  styleAccuracy: number;
  /** The same for the unchanged inputs: how often the judge calls a plain input stylised (should be ~0). */
  inputStyleRate: number;
  /** Mean edge-map SSIM of input vs output. Target ≥ 0.5. */
  edgeSsim: number;
  edgeSsimMin: number;
  /** Paired styles: mean edge SSIM of the true outputs against the inputs (see StyleEvalData.references). */
  referenceEdgeSsim?: number;
  /** Generator seconds per megapixel over the inputs, after one warm-up call. */
  secondsPerMegapixel: number;
  megapixels: number;
  perImage: ImageScore[];
}

/** Runs the generator over the held-out inputs and scores the outputs. */
export async function scoreStyle(
  tf: Tf,
  generator: tfl.LayersModel,
  classifier: tfl.LayersModel,
  data: StyleEvalData,
  multiple: number,
): Promise<{ score: StyleScore; inputs: FloatImage[]; outputs: FloatImage[] }> {
  const inputs = data.inputs.map((i) => fitToMultiple(i, multiple));
  if (inputs.length === 0) throw new Error(`No held-out inputs for ${data.style}.`);
  // The first call compiles kernels and allocates; timing it would charge set-up to every megapixel.
  await stylise(tf, generator, inputs[0] as FloatImage);
  const perImage: ImageScore[] = [];
  const outputs: FloatImage[] = [];
  let outputHits = 0;
  let outputCrops = 0;
  let inputHits = 0;
  let inputCrops = 0;
  let seconds = 0;
  let megapixels = 0;
  for (const input of inputs) {
    const began = performance.now();
    const output = await stylise(tf, generator, input);
    const s = (performance.now() - began) / 1000;
    outputs.push(output);
    const crops = gridCrops([output], data.crop, Number.POSITIVE_INFINITY);
    const probs = await targetProbabilities(tf, classifier, crops);
    const hits = probs.filter((p) => p > 0.5).length;
    const inProbs = await targetProbabilities(
      tf,
      classifier,
      gridCrops([input], data.crop, Number.POSITIVE_INFINITY),
    );
    inputHits += inProbs.filter((p) => p > 0.5).length;
    inputCrops += inProbs.length;
    outputHits += hits;
    outputCrops += crops.length;
    seconds += s;
    megapixels += (input.width * input.height) / 1e6;
    perImage.push({
      name: input.name,
      width: input.width,
      height: input.height,
      seconds: s,
      edgeSsim: edgeSsim(input, output),
      styleRate: crops.length === 0 ? Number.NaN : hits / crops.length,
    });
  }
  const ssims = perImage.map((p) => p.edgeSsim);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const references = data.references?.map((r, i) =>
    edgeSsim(inputs[i] as FloatImage, fitToMultiple(r, multiple)),
  );
  return {
    score: {
      style: data.style,
      inputs: inputs.length,
      outputCrops,
      styleAccuracy: outputHits / Math.max(1, outputCrops),
      inputStyleRate: inputHits / Math.max(1, inputCrops),
      edgeSsim: mean(ssims),
      edgeSsimMin: Math.min(...ssims),
      ...(references === undefined ? {} : { referenceEdgeSsim: mean(references) }),
      secondsPerMegapixel: seconds / megapixels,
      megapixels,
      perImage,
    },
    inputs,
    outputs,
  };
}

/** The style folders of a version directory: sub-folders holding a model.json. */
export async function styleDirs(versionDir: string): Promise<string[]> {
  const entries = await readdir(versionDir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const files = await readdir(join(versionDir, e.name));
    if (files.includes("model.json")) out.push(e.name);
  }
  return out.sort();
}

/** A style folder's metadata.json, or an empty object. */
export async function readStyleMetadata(dir: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(dir, "metadata.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export interface StyleCardEntry {
  training: Record<string, unknown>;
  classifier: StyleClassifierInfo & { dir: string };
  score: StyleScore;
  targets: { styleAccuracy: { target: number; met: boolean }; edgeSsim: { target: number; met: boolean } };
}

export interface StyleModelCard {
  model: string;
  task: "style-transfer";
  modelDir: string;
  /** Plain numbers per style, as the registry lists them: "<style>.styleAccuracy" and so on. */
  metrics: Record<string, number>;
  evaluation: { date: string; backend: string; wallSeconds: number; targets: typeof TARGETS };
  styles: Record<string, StyleCardEntry>;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function cardMetrics(styles: Record<string, StyleCardEntry>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [style, e] of Object.entries(styles)) {
    metrics[`${style}.styleAccuracy`] = round(e.score.styleAccuracy);
    // The judge's verdict on the unchanged inputs: the floor a style accuracy should be read against.
    metrics[`${style}.inputStyleRate`] = round(e.score.inputStyleRate);
    metrics[`${style}.edgeSsim`] = round(e.score.edgeSsim);
    if (e.score.referenceEdgeSsim !== undefined)
      metrics[`${style}.referenceEdgeSsim`] = round(e.score.referenceEdgeSsim);
    metrics[`${style}.secondsPerMegapixel`] = round(e.score.secondsPerMegapixel, 3);
    metrics[`${style}.classifierAccuracy`] = round(e.classifier.heldOut.accuracy);
  }
  return metrics;
}

/** The summary table for the terminal. */
export function formatStyleTable(styles: Record<string, StyleCardEntry>): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const header = [
    "style",
    "style acc",
    "input→style",
    "edge SSIM (min)",
    "true output's",
    "s/MP",
    "judge acc",
    "targets",
  ];
  const rows = Object.entries(styles).map(([style, e]) => [
    style,
    pct(e.score.styleAccuracy),
    pct(e.score.inputStyleRate),
    `${e.score.edgeSsim.toFixed(3)} (${e.score.edgeSsimMin.toFixed(3)})`,
    e.score.referenceEdgeSsim?.toFixed(3) ?? "–",
    e.score.secondsPerMegapixel.toFixed(2),
    pct(e.classifier.heldOut.accuracy),
    e.targets.styleAccuracy.met && e.targets.edgeSsim.met ? "met" : "not met",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}
