import { readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { encodeGrid, stylise } from "./cyclegan-samples.ts";
import type { EmojiPair } from "./emoji-data.ts";
import type { FloatImage } from "./photo-data.ts";

type Tf = typeof tfCore;

/** Paired-style figures on the held-out split, all on 8-bit pixels as a user sees them. */
export interface PairedScores {
  pairs: number;
  /** Mean |output − target| over pixels and channels, as a fraction of 255. */
  l1: number;
  /** Mean over images of the PSNR (dB) of output against target. */
  psnr: number;
  /** The same two for the unchanged input: what doing nothing scores, the bar the generator must clear. */
  identityL1: number;
  identityPsnr: number;
}

const to8 = (v: number) => Math.round(Math.min(255, Math.max(0, (v + 1) * 127.5)));

function compare(
  a: Float32Array,
  b: Float32Array,
  offset: number,
  length: number,
): { abs: number; psnr: number } {
  let abs = 0;
  let sq = 0;
  for (let i = 0; i < length; i++) {
    const d = to8(a[offset + i] ?? 0) - to8(b[i] ?? 0);
    abs += Math.abs(d);
    sq += d * d;
  }
  const mse = sq / length;
  // Identical images would be infinitely good; cap at the 8-bit floor of 1/12 (uniform rounding noise).
  return { abs: abs / length / 255, psnr: 10 * Math.log10((255 * 255) / Math.max(mse, 1 / 12)) };
}

/**
 * Runs the generator (inference mode) over the pairs in batches and scores it against the targets; `which`
 * picks the inputs flattened on white (default) or with their alpha dropped.
 */
export async function scorePairs(
  tf: Tf,
  generator: tfl.LayersModel,
  pairs: readonly EmojiPair[],
  which: "input" | "inputStripped" = "input",
): Promise<PairedScores> {
  if (pairs.length === 0) throw new Error("No held-out pairs to score.");
  let l1 = 0;
  let psnr = 0;
  let identityL1 = 0;
  let identityPsnr = 0;
  const batch = 32;
  for (let at = 0; at < pairs.length; at += batch) {
    const chunk = pairs.slice(at, at + batch);
    const { width, height } = (chunk[0] as EmojiPair)[which];
    const per = width * height * 3;
    const data = new Float32Array(chunk.length * per);
    for (const [i, p] of chunk.entries()) data.set(p[which].data, i * per);
    const out = tf.tidy(
      () => generator.predict(tf.tensor4d(data, [chunk.length, height, width, 3])) as tfCore.Tensor,
    );
    const values = (await out.data()) as Float32Array;
    out.dispose();
    chunk.forEach((p, i) => {
      const o = compare(values, p.target.data, i * per, per);
      const id = compare(p[which].data, p.target.data, 0, per);
      l1 += o.abs;
      psnr += o.psnr;
      identityL1 += id.abs;
      identityPsnr += id.psnr;
    });
  }
  const n = pairs.length;
  return { pairs: n, l1: l1 / n, psnr: psnr / n, identityL1: identityL1 / n, identityPsnr: identityPsnr / n };
}

/**
 * Generator seconds per megapixel on this backend: one untiled pass over a side × side image (a multiple of
 * the generator's), after a warm-up pass that compiles kernels and allocates.
 */
export async function secondsPerMegapixel(
  tf: Tf,
  generator: tfl.LayersModel,
  side = 512,
  runs = 3,
): Promise<number> {
  const input: FloatImage = {
    name: "timing",
    width: side,
    height: side,
    data: new Float32Array(side * side * 3),
  };
  for (let i = 0; i < input.data.length; i++) input.data[i] = Math.sin(i * 0.001);
  await stylise(tf, generator, input);
  const began = performance.now();
  for (let i = 0; i < runs; i++) await stylise(tf, generator, input);
  return (performance.now() - began) / 1000 / runs / ((side * side) / 1e6);
}

/** One row per pair: input (Twemoji) · output · target (Noto). */
export async function writePairSamples(
  tf: Tf,
  generator: tfl.LayersModel,
  pairs: readonly EmojiPair[],
  path: string,
): Promise<void> {
  const rows: FloatImage[][] = [];
  for (const p of pairs) rows.push([p.input, await stylise(tf, generator, p.input), p.target]);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, await encodeGrid(rows));
  await rename(tmp, path);
}

export interface PairedCardEntry {
  training: Record<string, unknown>;
  heldOut: PairedScores;
  /** The same held-out pairs given with their alpha dropped (transparent pixels black). */
  heldOutAlphaDropped: PairedScores;
  secondsPerMegapixel: number;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Writes (or updates) the version's model-card.json with one paired style's figures: `metrics` gets
 * "<style>.heldOutL1" and the like as plain numbers, and the details go under `paired.<style>`. Anything else in
 * an existing card (the style evaluator's judge figures, other styles) is kept, so the two can run in any order.
 */
export async function writePairedCard(
  versionDir: string,
  style: string,
  entry: PairedCardEntry,
): Promise<unknown> {
  const path = join(versionDir, "model-card.json");
  let card: Record<string, unknown> = {};
  try {
    card = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch {
    const version = resolve(versionDir);
    card = { model: `${basename(dirname(version))}@${basename(version)}`, task: "style-transfer" };
  }
  const metrics = { ...((card.metrics as Record<string, number> | undefined) ?? {}) };
  metrics[`${style}.heldOutL1`] = round(entry.heldOut.l1);
  metrics[`${style}.heldOutPsnr`] = round(entry.heldOut.psnr, 2);
  metrics[`${style}.identityL1`] = round(entry.heldOut.identityL1);
  metrics[`${style}.identityPsnr`] = round(entry.heldOut.identityPsnr, 2);
  metrics[`${style}.heldOutL1AlphaDropped`] = round(entry.heldOutAlphaDropped.l1);
  metrics[`${style}.heldOutPsnrAlphaDropped`] = round(entry.heldOutAlphaDropped.psnr, 2);
  // The style evaluator times the same generator; its figure, when present, is kept.
  metrics[`${style}.secondsPerMegapixel`] ??= round(entry.secondsPerMegapixel, 3);
  const paired = { ...((card.paired as Record<string, unknown> | undefined) ?? {}), [style]: entry };
  card = { ...card, metrics, paired, pairedEvaluation: { date: new Date().toISOString() } };
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(card, null, 2)}\n`);
  await rename(tmp, path);
  return card;
}
