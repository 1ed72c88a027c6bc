import * as tfl from "@tensorflow/tfjs-layers";
import { DISCRIMINATOR_SEED_OFFSET, dcganInitializers, type LayerInit } from "../models/init.ts";
import { InstanceNormalization, ReflectionPadding2D } from "./layers.ts";

/**
 * CycleGAN (Zhu et al. 2017) networks, scaled down to train on a CPU: the ResNet generator (reflection pad,
 * 7×7 conv, two stride-2 downsamplings, residual blocks, two stride-2 transposed convolutions, 7×7 conv, tanh)
 * and the PatchGAN discriminator (4×4 convs, stride 2 then 1, instance norm, leaky ReLU, one logit per patch).
 * Both are fully convolutional: a generator takes any h × w that is a multiple of GENERATOR_MULTIPLE.
 */
export interface CycleGanConfig {
  /** Generator channels after the first conv; doubled at each downsampling (paper: 64). */
  generatorFilters: number;
  /** Residual blocks at the bottleneck (paper: 6 at 128 px, 9 at 256 px). */
  residualBlocks: number;
  /** Discriminator channels of its first conv; doubled per stride-2 layer (paper: 64). */
  discriminatorFilters: number;
  /** Stride-2 discriminator layers (paper: 3, a 70×70 receptive field). */
  discriminatorLayers: number;
  /**
   * How the generator upsamples: "transpose" (the paper's stride-2 transposed convolutions) or "nearest"
   * (nearest-neighbour ×2, then a 3×3 convolution), which cannot draw the checkerboard pattern transposed
   * convolutions leave while training is short (Odena et al. 2016). Default "transpose".
   */
  upsampling?: "transpose" | "nearest";
  seed?: number;
}

/** Two stride-2 downsamplings: inputs must be a multiple of 4 on each side. */
export const GENERATOR_MULTIPLE = 4;
/** And at least 8: reflection padding needs a 2-pixel bottleneck (see CycleGanMetadata.minSide). */
export const GENERATOR_MIN_SIDE = 8;

export const DEFAULT_CYCLEGAN_CONFIG: CycleGanConfig = {
  generatorFilters: 16,
  residualBlocks: 4,
  discriminatorFilters: 32,
  discriminatorLayers: 3,
};

type T = tfl.SymbolicTensor;

/** Input: RGB [h, w, 3] in [-1, 1], h and w multiples of 4; output: the same shape, in [-1, 1] (tanh). */
export function buildCycleGanGenerator(cfg: CycleGanConfig, name = "cyclegan_generator"): tfl.LayersModel {
  const init = dcganInitializers(cfg.seed);
  const f = cfg.generatorFilters;
  const conv = (
    x: T,
    filters: number,
    kernel: number,
    strides: number,
    layer: string,
    padding: "same" | "valid",
  ) =>
    tfl.layers
      .conv2d({ filters, kernelSize: kernel, strides, padding, kernelInitializer: init(), name: layer })
      .apply(x) as T;
  // Instance norm's shift makes a conv bias redundant; the paper keeps it, and it costs nothing here.
  const norm = (x: T, layer: string) => new InstanceNormalization({ name: layer }).apply(x) as T;
  const relu = (x: T) => tfl.layers.reLU().apply(x) as T;
  const pad = (x: T, p: number, layer: string) =>
    new ReflectionPadding2D({ padding: p, name: layer }).apply(x) as T;

  const input = tfl.input({ shape: [null, null, 3], name: "image" });
  let x = relu(norm(conv(pad(input, 3, "head_pad"), f, 7, 1, "head", "valid"), "head_norm"));
  x = relu(norm(conv(x, f * 2, 3, 2, "down0", "same"), "down0_norm"));
  x = relu(norm(conv(x, f * 4, 3, 2, "down1", "same"), "down1_norm"));
  for (let i = 0; i < cfg.residualBlocks; i++) {
    let y = relu(norm(conv(pad(x, 1, `res${i}_pad_a`), f * 4, 3, 1, `res${i}_a`, "valid"), `res${i}_norm_a`));
    y = norm(conv(pad(y, 1, `res${i}_pad_b`), f * 4, 3, 1, `res${i}_b`, "valid"), `res${i}_norm_b`);
    x = tfl.layers.add({ name: `res${i}` }).apply([x, y]) as T;
  }
  for (const [i, filters] of [f * 2, f].entries()) {
    if (cfg.upsampling === "nearest") {
      x = tfl.layers.upSampling2d({ size: [2, 2], name: `up${i}_resize` }).apply(x) as T;
      x = conv(pad(x, 1, `up${i}_pad`), filters, 3, 1, `up${i}`, "valid");
    } else {
      x = tfl.layers
        .conv2dTranspose({
          filters,
          kernelSize: 3,
          strides: 2,
          padding: "same",
          kernelInitializer: init(),
          name: `up${i}`,
        })
        .apply(x) as T;
    }
    x = relu(norm(x, `up${i}_norm`));
  }
  x = conv(pad(x, 3, "tail_pad"), 3, 7, 1, "tail", "valid");
  const output = tfl.layers.activation({ activation: "tanh", name: "styled" }).apply(x) as T;
  return tfl.model({ inputs: input, outputs: output, name });
}

/**
 * The PatchGAN body both style discriminators share: 4×4 convs (stride 2 for the first `layers`, then one at
 * stride 1, as in the paper), instance norm after all but the first, leaky ReLU, then one logit per
 * overlapping patch. `biasUnderNorm: false` drops the biases instance norm would cancel anyway.
 */
export function patchGanLogits(
  x: T,
  opts: { filters: number; layers: number; init: LayerInit; biasUnderNorm: boolean },
): T {
  for (let i = 0; i <= opts.layers; i++) {
    x = tfl.layers
      .conv2d({
        filters: opts.filters * 2 ** Math.min(i, 3),
        kernelSize: 4,
        strides: i < opts.layers ? 2 : 1,
        padding: "same",
        useBias: i === 0 || opts.biasUnderNorm,
        kernelInitializer: opts.init(),
        name: `d${i}`,
      })
      .apply(x) as T;
    // No normalisation on the first layer (paper).
    if (i > 0) x = new InstanceNormalization({ name: `d${i}_norm` }).apply(x) as T;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as T;
  }
  return tfl.layers
    .conv2d({
      filters: 1,
      kernelSize: 4,
      padding: "same",
      kernelInitializer: opts.init(),
      name: "patch_logits",
    })
    .apply(x) as T;
}

/** Input: RGB [h, w, 3] in [-1, 1]; output: a map of real/fake logits, one per overlapping patch. */
export function buildPatchDiscriminator(cfg: CycleGanConfig, name = "patch_discriminator"): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3], name: "image" });
  const logits = patchGanLogits(input, {
    filters: cfg.discriminatorFilters,
    layers: cfg.discriminatorLayers,
    init: dcganInitializers(cfg.seed, DISCRIMINATOR_SEED_OFFSET),
    biasUnderNorm: true,
  });
  return tfl.model({ inputs: input, outputs: logits, name });
}
