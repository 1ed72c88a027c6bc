import { type TokenVocabulary, tokenize, tokenRows } from "@ganvas/shared";
import type * as tfCore from "@tensorflow/tfjs-core";
import {
  ATTRIBUTE_NAMES,
  SHAPE_IMAGE_SIZE,
  SHAPE_PIXELS,
  type ShapeBatch,
  shapeBatch,
} from "../data/shapes.ts";
import type { TextBatch } from "./text-steps.ts";

type Tf = typeof tfCore;

/**
 * The seed of step `step`'s batch (`role` 0 for D, 1 for G): a resumed run draws what an unbroken one would.
 * Negative steps are the warm-up's batches.
 */
export function batchSeed(runSeed: number, step: number, role: 0 | 1): number {
  return (Math.imul(runSeed, 1_000_003) + 2 * step + role) >>> 0;
}

/** A rendered, captioned batch as tensors: images in [-1, 1], token rows, one-hot targets and the mask. */
export function shapeTensors(
  tf: Tf,
  batch: ShapeBatch,
  vocab: TokenVocabulary,
  sizes: readonly number[],
): TextBatch {
  const { count } = batch;
  const width = vocab.maxTokens * vocab.tokens.length;
  const tokens = new Float32Array(count * width);
  const targetWidth = sizes.reduce((a, b) => a + b, 0);
  const targets = new Float32Array(count * targetWidth);
  const mask = new Float32Array(count * ATTRIBUTE_NAMES.length);
  batch.samples.forEach((s, i) => {
    tokens.set(tokenRows(vocab, tokenize(vocab, s.caption).ids), i * width);
    let offset = i * targetWidth;
    ATTRIBUTE_NAMES.forEach((name, k) => {
      targets[offset + s.attributes[name]] = 1;
      offset += sizes[k] ?? 0;
      mask[i * ATTRIBUTE_NAMES.length + k] = s.mentioned[name] ? 1 : 0;
    });
  });
  const images = new Float32Array(count * SHAPE_PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = (batch.pixels[i] ?? 0) / 127.5 - 1;
  return {
    images: tf.tensor4d(images, [count, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 3]),
    tokens: tf.tensor2d(tokens, [count, width]),
    targets: tf.tensor2d(targets, [count, targetWidth]),
    mask: tf.tensor2d(mask, [count, ATTRIBUTE_NAMES.length]),
  };
}

export function drawTextBatch(
  tf: Tf,
  vocab: TokenVocabulary,
  sizes: readonly number[],
  count: number,
  seed: number,
): TextBatch {
  return shapeTensors(tf, shapeBatch(count, seed), vocab, sizes);
}

export function disposeTextBatch(tf: Tf, b: TextBatch): void {
  tf.dispose([b.images, b.tokens, b.targets, b.mask]);
}
