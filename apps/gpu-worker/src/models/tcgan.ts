import { SHAPE_ATTRIBUTES, SHAPES_VOCABULARY, type TokenVocabulary } from "@ganvas/shared";
import * as tfl from "@tensorflow/tfjs-layers";
import { DISCRIMINATOR_SEED_OFFSET, dcganInitializers, glorotInitializers, type LayerInit } from "./init.ts";
import type { ModelDefinition } from "./types.ts";

/**
 * Text-conditioned DCGAN: a prompt's tokens go through a small learned text encoder (token embedding →
 * convolution over windows of 3 tokens → max over positions → dense), and the resulting condition vector
 * steers both networks: the generator reads it concatenated to the noise, the discriminator through a
 * projection (its real/fake logit gets the inner product of its image features with the condition, the
 * form of Miyato & Koyama's projection discriminator) and an auxiliary head that names the image's
 * attributes (the ACGAN idea), which gives the generator a per-attribute signal from the first steps.
 *
 * The generator and the discriminator each own an encoder: each learns the text features its own job needs,
 * and neither network's update moves the other's weights.
 */
export interface TcganConfig {
  latentDim: number;
  /** Token positions read (longer prompts are cut) and the vocabulary size, padding included. */
  maxTokens: number;
  vocabSize: number;
  /** Width of a token's learned embedding. */
  embedDim: number;
  /** Filters of the encoder's window-3 convolution. */
  encoderDim: number;
  /** Width of the condition vector (and of the discriminator's image features it is projected on). */
  condDim: number;
  /** Channels of the generator's 4×4, 8×8 and 16×16 maps. */
  generatorWidths: readonly [number, number, number];
  /** Channels of the discriminator's 16×16, 8×8 and 4×4 maps. */
  discriminatorWidths: readonly [number, number, number];
  kernelSize: number;
  /** Number of values per attribute, in SHAPE_ATTRIBUTES order: the auxiliary head's softmax groups. */
  attributeSizes: readonly number[];
  /**
   * How the generator doubles its maps: "transpose" (DCGAN's stride-2 transposed convolutions, the default) or
   * "nearest" (nearest-neighbour ×2, then a 3×3 convolution), which cannot draw the checkerboard pattern that
   * transposed convolutions leave over every image early in training.
   */
  upsampling?: "transpose" | "nearest";
  /**
   * Feed the condition to every generator resolution (4×4, 8×8, 16×16: concatenated as constant feature maps),
   * not only to the noise at the input. Attributes such as position and size are spatial; this keeps the
   * prompt in reach of the layers that draw them instead of relying on it surviving three upsamplings.
   */
  conditionEveryScale?: boolean;
  /**
   * Start of the text encoders' weights: "dcgan" (N(0, 0.02), like every other layer; the default, which the
   * first versions trained with) or "glorot", whose condition vector starts at unit scale. Encoders pretrained
   * on the captions (see text-encoder-pretrain.ts) start from Glorot: from N(0, 0.02) they learn more slowly.
   */
  encoderInit?: "dcgan" | "glorot";
  seed?: number;
}

export const SHAPES_IMAGE_SIZE = 32;

export const defaultTcganConfig: TcganConfig = {
  latentDim: 64,
  maxTokens: SHAPES_VOCABULARY.maxTokens,
  vocabSize: SHAPES_VOCABULARY.tokens.length,
  embedDim: 32,
  encoderDim: 64,
  condDim: 64,
  generatorWidths: [96, 48, 24],
  discriminatorWidths: [32, 64, 128],
  kernelSize: 4,
  attributeSizes: Object.values(SHAPE_ATTRIBUTES).map((v) => v.length),
};

type Sym = tfl.SymbolicTensor;

/**
 * Tokens (one-hot rows, flattened: [maxTokens × vocabSize]) → condition vector [condDim]. A bias-free dense
 * layer on one-hot rows is an embedding lookup that trains on wasm (the Embedding layer's gradient needs
 * UnsortedSegmentSum, which wasm lacks); the window-3 convolution sees word order ("red star on blue" ≠
 * "blue star on red"); the max over positions makes a phrase mean the same wherever it stands.
 */
function textEncoder(cfg: TcganConfig, tokens: Sym, dcgan: LayerInit, prefix: string, offset: number): Sym {
  // Past both networks' other layers, so no encoder layer shares a seed with another layer.
  const init = cfg.encoderInit === "glorot" ? glorotInitializers(cfg.seed, offset + 500) : dcgan;
  let x = tfl.layers
    .reshape({ targetShape: [cfg.maxTokens, cfg.vocabSize], name: `${prefix}_token_rows` })
    .apply(tokens) as Sym;
  x = tfl.layers
    .dense({ units: cfg.embedDim, useBias: false, kernelInitializer: init(), name: `${prefix}_embed` })
    .apply(x) as Sym;
  x = tfl.layers
    .conv1d({
      filters: cfg.encoderDim,
      kernelSize: 3,
      padding: "same",
      kernelInitializer: init(),
      name: `${prefix}_window`,
    })
    .apply(x) as Sym;
  x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as Sym;
  x = tfl.layers.globalMaxPooling1d({ name: `${prefix}_pool` }).apply(x) as Sym;
  return tfl.layers
    .dense({ units: cfg.condDim, kernelInitializer: init(), name: `${prefix}${CONDITION_LAYER}` })
    .apply(x) as Sym;
}

/** The text encoders' layer-name prefixes (generator's, discriminator's) and the name of their last layer. */
export const ENCODER_PREFIXES = { generator: "g_text", discriminator: "d_text" } as const;
export const CONDITION_LAYER = "_condition";

/** Inputs: noise [latentDim] and tokens [maxTokens × vocabSize]; output: image [32, 32, 3] in [-1, 1]. */
export function buildTextGenerator(cfg: TcganConfig): tfl.LayersModel {
  const init = dcganInitializers(cfg.seed);
  const [w4, w8, w16] = cfg.generatorWidths;
  const noise = tfl.input({ shape: [cfg.latentDim], name: "noise" });
  const tokens = tfl.input({ shape: [cfg.maxTokens * cfg.vocabSize], name: "tokens" });
  const condition = textEncoder(cfg, tokens, init, ENCODER_PREFIXES.generator, 0);
  let x = tfl.layers.concatenate().apply([noise, condition]) as Sym;
  x = tfl.layers.dense({ units: 4 * 4 * w4, useBias: false, kernelInitializer: init() }).apply(x) as Sym;
  x = tfl.layers.batchNormalization().apply(x) as Sym;
  x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as Sym;
  x = tfl.layers.reshape({ targetShape: [4, 4, w4] }).apply(x) as Sym;
  const withCondition = (maps: Sym, side: number): Sym => {
    if (!cfg.conditionEveryScale) return maps;
    let c = tfl.layers
      .reshape({ targetShape: [1, 1, cfg.condDim], name: `g_cond_${side}` })
      .apply(condition) as Sym;
    c = tfl.layers.upSampling2d({ size: [side, side], name: `g_cond_${side}_tiled` }).apply(c) as Sym;
    return tfl.layers.concatenate({ name: `g_cond_${side}_joined` }).apply([maps, c]) as Sym;
  };
  const double = (maps: Sym, filters: number, last: boolean): Sym => {
    const conv = { filters, padding: "same" as const, kernelInitializer: init() };
    const tail = last ? { activation: "tanh" as const, name: "image" } : { useBias: false };
    if (cfg.upsampling !== "nearest") {
      return tfl.layers
        .conv2dTranspose({ ...conv, ...tail, kernelSize: cfg.kernelSize, strides: 2 })
        .apply(maps) as Sym;
    }
    const resized = tfl.layers.upSampling2d({ size: [2, 2] }).apply(maps) as Sym;
    return tfl.layers.conv2d({ ...conv, ...tail, kernelSize: 3 }).apply(resized) as Sym;
  };
  let side = 4;
  for (const filters of [w8, w16]) {
    x = double(withCondition(x, side), filters, false);
    x = tfl.layers.batchNormalization().apply(x) as Sym;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as Sym;
    side *= 2;
  }
  const image = double(withCondition(x, side), 3, true);
  return tfl.model({ inputs: [noise, tokens], outputs: image, name: "text_generator" });
}

/**
 * Inputs: image [32, 32, 3] and tokens; output [1 + Σ attributeSizes]: the real/fake logit, then the
 * auxiliary attribute logits (one softmax group per attribute). No batch normalisation: the projection and
 * the auxiliary head judge each image on its own, not by its batch.
 */
export function buildTextDiscriminator(cfg: TcganConfig): tfl.LayersModel {
  const init = dcganInitializers(cfg.seed, DISCRIMINATOR_SEED_OFFSET);
  const image = tfl.input({ shape: [SHAPES_IMAGE_SIZE, SHAPES_IMAGE_SIZE, 3], name: "image" });
  const tokens = tfl.input({ shape: [cfg.maxTokens * cfg.vocabSize], name: "tokens" });
  const condition = textEncoder(cfg, tokens, init, ENCODER_PREFIXES.discriminator, DISCRIMINATOR_SEED_OFFSET);
  let x: Sym = image;
  for (const filters of cfg.discriminatorWidths) {
    x = tfl.layers
      .conv2d({ filters, kernelSize: cfg.kernelSize, strides: 2, padding: "same", kernelInitializer: init() })
      .apply(x) as Sym;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as Sym;
    x = tfl.layers.dropout({ rate: 0.2 }).apply(x) as Sym;
  }
  x = tfl.layers.flatten().apply(x) as Sym;
  let features = tfl.layers
    .dense({ units: cfg.condDim, kernelInitializer: init(), name: "d_features" })
    .apply(x) as Sym;
  features = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(features) as Sym;
  const unconditional = tfl.layers.dense({ units: 1, kernelInitializer: init() }).apply(features) as Sym;
  const projection = tfl.layers.dot({ axes: 1 }).apply([features, condition]) as Sym;
  const logit = tfl.layers.add({ name: "real_logit" }).apply([unconditional, projection]) as Sym;
  const attributes = tfl.layers
    .dense({
      units: cfg.attributeSizes.reduce((a, b) => a + b, 0),
      kernelInitializer: init(),
      name: "attribute_logits",
    })
    .apply(features) as Sym;
  const out = tfl.layers.concatenate({ name: "judgement" }).apply([logit, attributes]) as Sym;
  return tfl.model({ inputs: [image, tokens], outputs: out, name: "text_discriminator" });
}

export interface TextModelDefinition extends ModelDefinition<TcganConfig> {
  readonly vocabulary: TokenVocabulary;
  /** Attribute → its values, the order of the discriminator's and the evaluator's softmax groups. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export const shapesTcgan: TextModelDefinition = {
  name: "shapes-tcgan",
  task: "text-to-image",
  classes: [],
  latentDim: defaultTcganConfig.latentDim,
  output: { width: SHAPES_IMAGE_SIZE, height: SHAPES_IMAGE_SIZE, channels: 3 },
  valueRange: [-1, 1],
  config: defaultTcganConfig,
  vocabulary: SHAPES_VOCABULARY,
  attributes: SHAPE_ATTRIBUTES,
  buildGenerator: buildTextGenerator,
  buildDiscriminator: buildTextDiscriminator,
};

export function isTextModel(def: ModelDefinition<unknown>): def is TextModelDefinition {
  return (def as Partial<TextModelDefinition>).vocabulary !== undefined;
}
