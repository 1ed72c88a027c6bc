import * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { ModelDefinition } from "../models/types.ts";

/**
 * SRGAN-family super-resolution: an EDSR/SRGAN generator (conv head, residual blocks without batch norm, a
 * long skip, one pixel-shuffle ×2 stage per factor of 2) plus a global bilinear skip of the input, so the
 * network learns only the detail bicubic-like interpolation misses; and a strided conv discriminator whose
 * global average pooling lets it judge any patch size.
 */
export interface SrConfig {
  /** 2 or 4 (powers of two: one shuffle stage per factor 2). */
  scale: 2 | 4;
  filters: number;
  blocks: number;
  /** Residual scaling (EDSR): keeps deep stacks stable without batch norm. */
  residualScale: number;
  /**
   * Channels after each ×2 shuffle stage (default: `filters` for every stage). Later stages run on 4× and
   * 16× the pixels, so narrowing them is where ×4 inference time goes down most.
   */
  upFilters?: readonly number[];
  /** Discriminator channels per stage; each stage halves the size. */
  discriminatorWidths: readonly number[];
  /** HR training patch side. */
  patchSize: number;
  seed?: number;
}

/**
 * Pixel shuffle (depthToSpace, NHWC, DCR order as tf.depthToSpace) built from reshape + transpose: the wasm
 * backend has a DepthToSpace kernel but tfjs-core registers no DepthToSpace gradient, so tf.depthToSpace cannot
 * be trained through; reshape and transpose have gradients on every backend. Output equals tf.depthToSpace.
 */
export class PixelShuffle extends tfl.layers.Layer {
  static readonly className = "GanvasPixelShuffle";
  readonly scale: number;

  constructor(args: { scale: number; name?: string }) {
    super({ name: args.name });
    this.scale = args.scale;
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
    const r = this.scale;
    const mul = (v: number | null | undefined) => (v == null ? null : v * r);
    return [s[0] ?? null, mul(s[1]), mul(s[2]), s[3] == null ? null : (s[3] as number) / (r * r)];
  }

  override call(inputs: tfCore.Tensor | tfCore.Tensor[]): tfCore.Tensor {
    return tfCore.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tfCore.Tensor) : inputs;
      return pixelShuffle(x as tfCore.Tensor4D, this.scale);
    });
  }

  override getConfig(): tfCore.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}
tfCore.serialization.registerClass(PixelShuffle);

/**
 * Bilinear upscaling with half-pixel centres (what image libraries do). tfjs' UpSampling2D samples without
 * them, which shifts the picture by a quarter pixel at ×2; a misaligned skip would cost the network capacity.
 */
export class UpsampleBilinear extends tfl.layers.Layer {
  static readonly className = "GanvasUpsampleBilinear";
  readonly scale: number;

  constructor(args: { scale: number; name?: string }) {
    super({ name: args.name });
    this.scale = args.scale;
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
    const mul = (v: number | null | undefined) => (v == null ? null : v * this.scale);
    return [s[0] ?? null, mul(s[1]), mul(s[2]), s[3] ?? null];
  }

  override call(inputs: tfCore.Tensor | tfCore.Tensor[]): tfCore.Tensor {
    return tfCore.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfCore.Tensor4D;
      const [, h, w] = x.shape;
      return tfCore.image.resizeBilinear(x, [h * this.scale, w * this.scale], false, true);
    });
  }

  override getConfig(): tfCore.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}
tfCore.serialization.registerClass(UpsampleBilinear);

export function pixelShuffle(x: tfCore.Tensor4D, r: number): tfCore.Tensor4D {
  const [b, h, w, c] = x.shape;
  const out = c / (r * r);
  return tfCore
    .reshape(tfCore.transpose(tfCore.reshape(x, [b, h, w, r, r, out]), [0, 1, 3, 2, 4, 5]), [
      b,
      h * r,
      w * r,
      out,
    ])
    .clone() as tfCore.Tensor4D;
}

function init(seed: number | undefined) {
  let n = 0;
  // He-normal for ReLU stacks; scaled down by residualScale inside blocks.
  return () => tfl.initializers.heNormal({ seed: seed === undefined ? undefined : seed + n++ });
}

const conv = (
  filters: number,
  kernelInitializer: ReturnType<typeof tfl.initializers.heNormal>,
  name?: string,
  kernel = 3,
) => tfl.layers.conv2d({ filters, kernelSize: kernel, padding: "same", kernelInitializer, name });

/** Input: LR RGB [h, w, 3] in 0–1, any size; output: [h·scale, w·scale, 3] in ≈0–1 (clamp when saving). */
export function buildSrGenerator(cfg: SrConfig): tfl.LayersModel {
  const next = init(cfg.seed);
  const input = tfl.input({ shape: [null, null, 3], name: "lr" });
  const head = conv(cfg.filters, next(), "head").apply(input) as tfl.SymbolicTensor;
  let x = head;
  for (let i = 0; i < cfg.blocks; i++) {
    let y = conv(cfg.filters, next(), `block${i}_a`).apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.reLU().apply(y) as tfl.SymbolicTensor;
    y = conv(cfg.filters, next(), `block${i}_b`).apply(y) as tfl.SymbolicTensor;
    if (cfg.residualScale !== 1) {
      y = tfl.layers
        .rescaling({ scale: cfg.residualScale, offset: 0, name: `block${i}_scale` })
        .apply(y) as tfl.SymbolicTensor;
    }
    x = tfl.layers.add().apply([x, y]) as tfl.SymbolicTensor;
  }
  x = conv(cfg.filters, next(), "body_tail").apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.add({ name: "long_skip" }).apply([head, x]) as tfl.SymbolicTensor;
  for (let s = cfg.scale, i = 0; s > 1; s /= 2, i++) {
    const width = cfg.upFilters?.[i] ?? cfg.filters;
    x = conv(width * 4, next(), `up${i}_conv`).apply(x) as tfl.SymbolicTensor;
    x = new PixelShuffle({ scale: 2, name: `up${i}_shuffle` }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  }
  const detail = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: "same", kernelInitializer: "zeros", name: "tail" })
    .apply(x) as tfl.SymbolicTensor;
  const base = new UpsampleBilinear({ scale: cfg.scale, name: "base" }).apply(input) as tfl.SymbolicTensor;
  const output = tfl.layers.add({ name: "sr" }).apply([base, detail]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: `sr_x${cfg.scale}_generator` });
}

/** Input: HR RGB [patch, patch, 3] in 0–1 (any size ≥ 2^stages); output: one real/fake logit. */
export function buildSrDiscriminator(cfg: SrConfig): tfl.LayersModel {
  const next = init(cfg.seed === undefined ? undefined : cfg.seed + 1000);
  const input = tfl.input({ shape: [null, null, 3], name: "hr" });
  let x = input;
  cfg.discriminatorWidths.forEach((width, i) => {
    x = tfl.layers
      .conv2d({ filters: width, kernelSize: 3, padding: "same", kernelInitializer: next() })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers
      .conv2d({
        filters: width,
        kernelSize: 4,
        strides: 2,
        padding: "same",
        kernelInitializer: next(),
        name: `d${i}`,
      })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const logit = tfl.layers
    .dense({ units: 1, kernelInitializer: next(), name: "logit" })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logit, name: "sr_discriminator" });
}

function srDefinition(name: string, cfg: SrConfig): ModelDefinition<SrConfig> {
  return {
    name,
    task: "super-resolution",
    classes: [],
    latentDim: 0,
    output: { width: cfg.patchSize, height: cfg.patchSize, channels: 3 },
    valueRange: [0, 1],
    config: cfg,
    buildGenerator: buildSrGenerator,
    buildDiscriminator: buildSrDiscriminator,
  };
}

const base = { filters: 32, blocks: 6, residualScale: 0.2, discriminatorWidths: [32, 64, 96, 128] } as const;

/** The SR models, one line each; models/registry.ts can spread this in once the worker serves SR. */
export const SR_MODELS = {
  "sr-x2": srDefinition("sr-x2", { ...base, scale: 2, patchSize: 96 }),
  "sr-x4": srDefinition("sr-x4", { ...base, scale: 4, patchSize: 128, upFilters: [32, 16] }),
} as const satisfies Record<string, ModelDefinition<SrConfig>>;

export type SrModelName = keyof typeof SR_MODELS;

export function isSrModelName(name: string): name is SrModelName {
  return Object.hasOwn(SR_MODELS, name);
}
