import * as tfl from "@tensorflow/tfjs-layers";
import { DISCRIMINATOR_SEED_OFFSET, dcganInitializers } from "../models/init.ts";
import { patchGanLogits } from "./cyclegan-model.ts";

/**
 * pix2pix (Isola et al. 2017), scaled down to train on a CPU: a U-Net generator (4×4 stride-2 convolutions
 * down; up, a nearest-neighbour ×2 resize and a 3×3 convolution, each decoder level concatenated with the
 * encoder level of the same size, the last one with the input itself) and a PatchGAN discriminator that
 * judges (input, output) pairs patch by patch. Both are fully convolutional: the generator takes any h × w
 * that is a multiple of 2^depth.
 *
 * Resize + convolution rather than the paper's transposed convolutions: with those, the discriminator kept
 * finding their checkerboard pattern and the generator answered with more of it (a first 6-epoch run here
 * ended in noise). The input skip at full resolution keeps the outline and flat colours cheap to copy.
 *
 * Batch normalisation rather than the paper's batch-1 "instance-like" use of it: training runs batches of
 * several pairs, and serving uses the moving statistics, so the generator is a fixed per-pixel function of its
 * receptive field. That keeps tiled inference faithful to the untiled pass, which instance statistics (one
 * mean per tile) would not be. The discriminator, which never serves, uses instance norm: each image judged on
 * its own, not through statistics shared with the rest of an all-real or all-fake batch.
 */
export interface Pix2PixConfig {
  /** Generator channels after the first conv; doubled per level up to `maxFilters` (paper: 64, 512). */
  filters: number;
  maxFilters: number;
  /** Stride-2 levels; inputs must be a multiple of 2^depth (paper: 8 at 256 px). */
  depth: number;
  /** Discriminator channels of its first conv; doubled per layer (paper: 64). */
  discriminatorFilters: number;
  /** Stride-2 discriminator convs before the two stride-1 ones (paper: 3, a 70×70 receptive field). */
  discriminatorLayers: number;
  seed?: number;
}

export const DEFAULT_PIX2PIX_CONFIG: Pix2PixConfig = {
  filters: 32,
  maxFilters: 128,
  depth: 4,
  discriminatorFilters: 32,
  discriminatorLayers: 2,
};

/** Sides a generator of this depth accepts: each level halves them. */
export function pix2pixMultiple(cfg: Pick<Pix2PixConfig, "depth">): number {
  return 2 ** cfg.depth;
}

type T = tfl.SymbolicTensor;

const norm = (x: T, name: string) =>
  tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name }).apply(x) as T;

/** Input: RGB [h, w, 3] in [-1, 1], h and w multiples of 2^depth; output: the same shape in [-1, 1] (tanh). */
export function buildPix2PixGenerator(cfg: Pix2PixConfig, name = "pix2pix_generator"): tfl.LayersModel {
  const init = dcganInitializers(cfg.seed);
  const width = (level: number) => Math.min(cfg.filters * 2 ** level, cfg.maxFilters);
  const input = tfl.input({ shape: [null, null, 3], name: "image" });
  const skips: T[] = [];
  let x = input as T;
  for (let i = 0; i < cfg.depth; i++) {
    x = tfl.layers
      .conv2d({
        filters: width(i),
        kernelSize: 4,
        strides: 2,
        padding: "same",
        // Batch norm's shift makes the bias redundant; the first layer has no norm (paper).
        useBias: i === 0,
        kernelInitializer: init(),
        name: `down${i}`,
      })
      .apply(x) as T;
    if (i > 0) x = norm(x, `down${i}_norm`);
    x = tfl.layers.leakyReLU({ alpha: 0.2, name: `down${i}_act` }).apply(x) as T;
    skips.push(x);
  }
  const up = (t: T, name: string) => tfl.layers.upSampling2d({ size: [2, 2], name }).apply(t) as T;
  for (let i = cfg.depth - 2; i >= 0; i--) {
    x = tfl.layers
      .conv2d({
        filters: width(i),
        kernelSize: 3,
        padding: "same",
        useBias: false,
        kernelInitializer: init(),
        name: `up${i}`,
      })
      .apply(up(x, `up${i}_resize`)) as T;
    x = tfl.layers.reLU({ name: `up${i}_act` }).apply(norm(x, `up${i}_norm`)) as T;
    x = tfl.layers.concatenate({ name: `skip${i}` }).apply([x, skips[i] as T]) as T;
  }
  x = tfl.layers.concatenate({ name: "skip_input" }).apply([up(x, "out_resize"), input]) as T;
  x = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: "same", kernelInitializer: init(), name: "out" })
    .apply(x) as T;
  const output = tfl.layers.activation({ activation: "tanh", name: "styled" }).apply(x) as T;
  return tfl.model({ inputs: input, outputs: output, name });
}

/**
 * Inputs: the source image and a candidate (real target or generated), both RGB [h, w, 3] in [-1, 1]; output:
 * one real/fake logit per overlapping patch. Conditioning on the source is what makes it pix2pix: a plausible
 * Noto glyph is not enough, it must be the glyph of this emoji.
 */
export function buildPix2PixDiscriminator(
  cfg: Pix2PixConfig,
  name = "pix2pix_discriminator",
): tfl.LayersModel {
  const source = tfl.input({ shape: [null, null, 3], name: "source" });
  const candidate = tfl.input({ shape: [null, null, 3], name: "candidate" });
  const pair = tfl.layers.concatenate({ name: "pair" }).apply([source, candidate]) as T;
  const logits = patchGanLogits(pair, {
    filters: cfg.discriminatorFilters,
    layers: cfg.discriminatorLayers,
    init: dcganInitializers(cfg.seed, DISCRIMINATOR_SEED_OFFSET),
    biasUnderNorm: false,
  });
  return tfl.model({ inputs: [source, candidate], outputs: logits, name });
}
