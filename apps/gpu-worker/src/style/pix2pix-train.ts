import { dirname, join } from "node:path";
import type * as tfCore from "@tensorflow/tfjs-core";
import { selectBackend } from "../backend/select.ts";
import {
  epochSamplePath,
  loadCheckpoint,
  readMetadata,
  saveCheckpoint,
  type TrainingMetadata,
  writeMetadata,
} from "../training/checkpoint.ts";
import {
  recordedOptions,
  resumeFrom,
  type TrainerOptions,
  TrainingLoop,
  type TrainResult,
} from "../training/loop.ts";
import { rng } from "../training/random.ts";
import { disposeGan } from "../training/steps.ts";
import { type EmojiPair, loadEmojiPairs } from "./emoji-data.ts";
import {
  type PairedScores,
  scorePairs,
  secondsPerMegapixel,
  writePairedCard,
  writePairSamples,
} from "./pix2pix-card.ts";
import {
  buildPix2PixDiscriminator,
  buildPix2PixGenerator,
  DEFAULT_PIX2PIX_CONFIG,
  type Pix2PixConfig,
  pix2pixMultiple,
} from "./pix2pix-model.ts";
import { type Pix2PixLosses, type Pix2PixState, pix2pixLearningRate, pix2pixStep } from "./pix2pix-steps.ts";

type Tf = typeof tfCore;

/** The paired styles pix2pix is trained on. */
export const PAIRED_STYLES = ["noto-emoji"] as const;
export type PairedStyle = (typeof PAIRED_STYLES)[number];

export interface Pix2PixTrainOptions extends TrainerOptions {
  style: PairedStyle;
  epochs: number;
  learningRate: number;
  /** Fraction of the steps after which the learning rate decays linearly to zero. */
  decayFrom: number;
  /** Weight of the L1 term (paper: 100). */
  lambda: number;
  /** Share of training inputs given with their alpha dropped instead of flattened on white. */
  strippedShare: number;
  config: Pix2PixConfig;
  dataDir?: string;
  /** Write the version's model card (held-out scores, timing) once training is complete. */
  card?: boolean;
}

/**
 * Batch 4: a step costs about linearly in the batch on one CPU core, so smaller batches buy more updates for
 * the same time; 4 keeps batch norm's statistics usable.
 */
export const PIX2PIX_DEFAULTS = {
  epochs: 6,
  batchSize: 4,
  learningRate: 2e-4,
  decayFrom: 0.5,
  lambda: 100,
  strippedShare: 0.25,
  config: DEFAULT_PIX2PIX_CONFIG,
} as const;

export interface Pix2PixMetadata extends TrainingMetadata {
  style: PairedStyle;
  /** The generator contract shared by every style: NHWC RGB in [-1, 1], sides a multiple of this. */
  multiple: number;
  valueRange: [number, number];
  direction: "twemoji→noto";
  lastPix2PixLosses: Pix2PixLosses | null;
  /** Held-out scores at the last checkpoint. */
  heldOut: PairedScores | null;
  learningRate: number;
}

/** Held-out pairs shown in the sample grids: fixed, never trained on. */
const SAMPLE_PAIRS = 8;

/** Sample pairs spread evenly over the held-out split (sorted like emoji.json: faces, animals, … flags). */
function samplePairs(heldOut: readonly EmojiPair[]): EmojiPair[] {
  const n = Math.min(SAMPLE_PAIRS, heldOut.length);
  return Array.from({ length: n }, (_, i) => heldOut[Math.floor((i * heldOut.length) / n)] as EmojiPair);
}

/** The batch of step `step`: each epoch is a fresh permutation from rng(seed, epoch), so a resume sees the same. */
function batchAt(
  train: readonly EmojiPair[],
  step: number,
  batch: number,
  seed: number,
  strippedShare: number,
) {
  const perEpoch = Math.floor(train.length / batch);
  const epoch = Math.floor(step / perEpoch);
  const next = rng(seed * 7919 + epoch);
  const order = train.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const flip = rng(seed * 1000003 + step);
  const first = train[0] as EmojiPair;
  const { width, height } = first.input;
  const per = width * height * 3;
  const source = new Float32Array(batch * per);
  const target = new Float32Array(batch * per);
  for (let b = 0; b < batch; b++) {
    const p = train[order[(step % perEpoch) * batch + b] as number] as EmojiPair;
    // A mirrored pair is still a valid pair: a free doubling of a small data set.
    const mirror = flip() < 0.5;
    const input = flip() < strippedShare ? p.inputStripped : p.input;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const from = (y * width + (mirror ? width - 1 - x : x)) * 3;
        const to = b * per + (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          source[to + c] = input.data[from + c] ?? 0;
          target[to + c] = p.target.data[from + c] ?? 0;
        }
      }
    }
  }
  const shape: [number, number, number, number] = [batch, height, width, 3];
  return { source, target, shape };
}

function setLearningRate(optimizer: tfCore.Optimizer, lr: number): void {
  // Adam reads its (protected) learningRate on every update, so assigning it is how a schedule is applied.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** The pix2pix loop: one checkpoint, sample grid and held-out score per epoch; the model card at the end. */
export async function trainPix2Pix(options: Pix2PixTrainOptions): Promise<TrainResult<Pix2PixMetadata>> {
  const { tf, name: backendName, version } = await selectBackend(options.backend);
  const data = await loadEmojiPairs({ cacheDir: options.dataDir, limit: options.limit });
  if (data.train.length < options.batchSize) throw new Error(`Only ${data.train.length} training pairs.`);
  const samples = samplePairs(data.heldOut);
  const config = { ...options.config, seed: options.seed };
  const multiple = pix2pixMultiple(config);
  const optimizers = {
    gOptimizer: tf.train.adam(options.learningRate, 0.5, 0.999),
    dOptimizer: tf.train.adam(options.learningRate, 0.5, 0.999),
  };
  const previous = await resumeFrom<Pix2PixMetadata>(options);
  const state: Pix2PixState = previous
    ? { ...(await loadCheckpoint(tf, options.outDir, options.stateDir, optimizers)), ...optimizers }
    : {
        generator: buildPix2PixGenerator(config),
        discriminator: buildPix2PixDiscriminator(config),
        ...optimizers,
      };

  const perEpoch = Math.floor(data.train.length / options.batchSize);
  const total = perEpoch * options.epochs;
  const loop = new TrainingLoop({
    tf,
    previous,
    losses: previous?.lastPix2PixLosses ?? null,
    totals: (losses) => ({ d: losses.d, g: losses.g }),
    totalSteps: total,
    stepsPerEpoch: perEpoch,
    progress: options.progress,
    header:
      `pix2pix ${options.style}: ${backendName} backend, ${data.train.length} pairs (${data.heldOut.length} held out), ` +
      `batch ${options.batchSize}, ${perEpoch} steps/epoch, ${total} steps, ` +
      `${state.generator.countParams()} generator params, ${state.discriminator.countParams()} discriminator params`,
    advice: "lower --lr or resume from the last checkpoint.",
  });
  let heldOut: PairedScores | null = previous?.heldOut ?? null;
  const meta = (seconds?: number): Pix2PixMetadata => ({
    ...loop.metadata(seconds),
    model: `pix2pix/${options.style}`,
    lastPix2PixLosses: loop.losses,
    heldOut,
    learningRate: pix2pixLearningRate(options.learningRate, loop.step, total, options.decayFrom),
    style: options.style,
    multiple,
    valueRange: [-1, 1],
    direction: "twemoji→noto",
    backend: { name: backendName, version },
    data: { name: "Twemoji → Noto Color Emoji (64×64, paired by code point)", images: data.train.length },
    params: { generator: state.generator.countParams(), discriminator: state.discriminator.countParams() },
    options: recordedOptions(options, {
      dataDir: undefined,
      config,
      heldOutPairs: data.heldOut.length,
      heldOutRule: "sha256(code points)[0] < 26",
    }),
  });
  try {
    await loop.run({
      step: (step) => {
        const lr = pix2pixLearningRate(options.learningRate, step, total, options.decayFrom);
        setLearningRate(state.gOptimizer, lr);
        setLearningRate(state.dOptimizer, lr);
        const { source, target, shape } = batchAt(
          data.train,
          step,
          options.batchSize,
          options.seed,
          options.strippedShare,
        );
        const s = tf.tensor4d(source, shape);
        const t = tf.tensor4d(target, shape);
        try {
          return pix2pixStep(tf, state, s, t, options.lambda);
        } finally {
          tf.dispose([s, t]);
        }
      },
      checkpoint: async () => {
        await saveCheckpoint(tf, state, options.outDir, options.stateDir);
        heldOut = await scorePairs(tf, state.generator, data.heldOut);
        if (options.samples !== false) {
          const write = (path: string) => writePairSamples(tf, state.generator, samples, path);
          await write(join(options.outDir, "samples.png"));
          await write(await epochSamplePath(options.stateDir, loop.epoch));
        }
        await writeMetadata(options.outDir, meta());
        const losses = loop.losses;
        loop.log(
          `checkpoint: step ${loop.step}/${total}` +
            (losses
              ? `, D ${losses.d.toFixed(3)} adv ${losses.adversarial.toFixed(3)} L1 ${losses.l1.toFixed(4)}`
              : "") +
            `, held-out L1 ${heldOut.l1.toFixed(4)} PSNR ${heldOut.psnr.toFixed(2)} dB ` +
            `(input as is: ${heldOut.identityL1.toFixed(4)}, ${heldOut.identityPsnr.toFixed(2)} dB)`,
        );
      },
    });
    if (options.card !== false) await writeCard(tf, state, options, data.heldOut, heldOut, loop.log);
  } finally {
    loop.stop();
    disposeGan(state);
  }
  return loop.result(meta);
}

/** The version-level card and sample grid: the style folder's parent is the version (`pix2pix/1/`). */
async function writeCard(
  tf: Tf,
  state: Pix2PixState,
  options: Pix2PixTrainOptions,
  heldOutPairs: readonly EmojiPair[],
  scored: PairedScores | null,
  log: (line: string) => void,
): Promise<void> {
  const heldOut = scored ?? (await scorePairs(tf, state.generator, heldOutPairs));
  const alphaDropped = await scorePairs(tf, state.generator, heldOutPairs, "inputStripped");
  const spm = await secondsPerMegapixel(tf, state.generator);
  const training = (await readMetadata(options.outDir)) as Pix2PixMetadata;
  const versionDir = dirname(options.outDir);
  await writePairedCard(versionDir, options.style, {
    training: {
      steps: training.step,
      epochs: training.epoch,
      wallSeconds: training.trainingSeconds,
      backend: training.backend,
      params: training.params,
      data: training.data,
      completed: training.completed,
    },
    heldOut,
    heldOutAlphaDropped: alphaDropped,
    secondsPerMegapixel: spm,
  });
  await writePairSamples(tf, state.generator, samplePairs(heldOutPairs), join(versionDir, "samples.png"));
  log(
    `card: ${join(versionDir, "model-card.json")}: held-out L1 ${heldOut.l1.toFixed(4)}, PSNR ${heldOut.psnr.toFixed(2)} dB ` +
      `over ${heldOut.pairs} pairs (alpha dropped: ${alphaDropped.l1.toFixed(4)}, ${alphaDropped.psnr.toFixed(2)} dB); ` +
      `${spm.toFixed(3)} s per megapixel (${tf.getBackend()})`,
  );
}
