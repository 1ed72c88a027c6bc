import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { fsHandler } from "../models/fs-handler.ts";
import type { GanState } from "./steps.ts";

type Tf = typeof tfCore;

export interface TrainingMetadata {
  model: string;
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  completed: boolean;
  started: string;
  updated: string;
  /** Training time summed over resumed sessions. */
  trainingSeconds: number;
  lastLosses: { d: number; g: number } | null;
  backend: { name: string; version: string };
  data: { name: string; images: number };
  params: { generator: number; discriminator: number };
  options: Record<string, unknown>;
  /** Text-encoder models: the checkpoints whose generator snapshots the evaluator can score, for a curve. */
  curve?: CurvePoint[];
}

/** A checkpoint on the training clock: after `seconds` of training (resumed sessions summed), step `step`. */
export interface CurvePoint {
  step: number;
  seconds: number;
}

export const METADATA_JSON = "metadata.json";

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

export async function readMetadata(dir: string): Promise<TrainingMetadata | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, METADATA_JSON), "utf8")) as TrainingMetadata;
  } catch {
    return undefined;
  }
}

export async function writeMetadata(dir: string, meta: TrainingMetadata): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeJson(join(dir, METADATA_JSON), meta);
}

/** A sample grid per epoch, kept in the state folder so a run's progress can be looked back on. */
export async function epochSamplePath(stateDir: string, epoch: number): Promise<string> {
  const dir = join(stateDir, "samples");
  await mkdir(dir, { recursive: true });
  return join(dir, `epoch-${epoch}.png`);
}

/**
 * Adam's moments are positional (matched to variables by order), so they are stored in the order getWeights()
 * returns them and restored in the same order.
 */
async function saveOptimizer(tf: Tf, optimizer: tfCore.Optimizer, path: string): Promise<void> {
  const named = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  // getWeights() hands back the live moment variables plus a fresh scalar for the step count: free only that.
  tf.dispose(named.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  const buffer = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  await writeFile(`${path}.bin.tmp`, new Uint8Array(buffer));
  await rename(`${path}.bin.tmp`, `${path}.bin`);
  await writeJson(`${path}.json`, specs);
}

async function loadOptimizer(tf: Tf, optimizer: tfCore.Optimizer, path: string): Promise<void> {
  const specs = JSON.parse(await readFile(`${path}.json`, "utf8")) as tfCore.io.WeightsManifestEntry[];
  const bin = await readFile(`${path}.bin`);
  const map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs);
  await optimizer.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name] as tfCore.Tensor })));
  // setWeights copies each value into a new variable.
  tf.dispose(Object.values(map));
}

/** Where a run that ships an average of its generator (ema.ts) keeps the generator itself. */
export const TRAINED_GENERATOR = "generator";

/**
 * The generator goes to `outDir` (what ships and what the job runner loads); the discriminator and both
 * optimizers go to `stateDir`, needed only to resume. With `shipped` (the generator's weight average), that
 * goes to `outDir` instead and the generator being trained to `stateDir`.
 */
export async function saveCheckpoint(
  tf: Tf,
  state: Pick<GanState, "generator" | "discriminator" | "dOptimizer" | "gOptimizer">,
  outDir: string,
  stateDir: string,
  shipped?: tfl.LayersModel,
): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await (shipped ?? state.generator).save(fsHandler(outDir));
  const trained = join(stateDir, TRAINED_GENERATOR);
  // A stale copy would be resumed from instead of outDir's.
  if (shipped) await state.generator.save(fsHandler(trained));
  else await rm(trained, { recursive: true, force: true });
  await state.discriminator.save(fsHandler(join(stateDir, "discriminator")));
  await saveOptimizer(tf, state.dOptimizer, join(stateDir, "d-optimizer"));
  await saveOptimizer(tf, state.gOptimizer, join(stateDir, "g-optimizer"));
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** `average` is outDir's generator when the run shipped an average of its generator's weights. */
export async function loadCheckpoint(
  tf: Tf,
  outDir: string,
  stateDir: string,
  optimizers: { dOptimizer: tfCore.Optimizer; gOptimizer: tfCore.Optimizer },
): Promise<Pick<GanState, "generator" | "discriminator"> & { average?: tfl.LayersModel }> {
  const trained = join(stateDir, TRAINED_GENERATOR);
  const averaged = await exists(trained);
  const generator = await tfl.loadLayersModel(fsHandler(averaged ? trained : outDir));
  const average = averaged ? await tfl.loadLayersModel(fsHandler(outDir)) : undefined;
  const discriminator = await tfl.loadLayersModel(fsHandler(join(stateDir, "discriminator")));
  await loadOptimizer(tf, optimizers.dOptimizer, join(stateDir, "d-optimizer"));
  await loadOptimizer(tf, optimizers.gOptimizer, join(stateDir, "g-optimizer"));
  return { generator, discriminator, ...(average ? { average } : {}) };
}
