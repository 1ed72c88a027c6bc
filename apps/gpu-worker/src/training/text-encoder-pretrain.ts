import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { CONDITION_LAYER } from "../models/tcgan.ts";
import { trainableVariables } from "./steps.ts";
import { attributeLoss, supervisedSteps, type TextBatch } from "./text-steps.ts";

type Tf = typeof tfCore;

export const ENCODER_PRETRAIN_LEARNING_RATE = 1e-3;

/**
 * Teaches one network's text encoder what captions say before the adversarial game starts: the encoder and a
 * throwaway linear head learn to name the attributes each caption mentions (cross-entropy per attribute,
 * unmentioned ones masked out). Then the encoder is frozen, so the condition vector keeps meaning "red",
 * "left", "large" while the networks around it learn to draw and judge.
 *
 * Why: trained only through the GAN's losses the encoder never got there. Even plain L2 regression from
 * caption to image, with this generator, had learnt backgrounds and nothing else after 200 steps (shape
 * colour, size and position at chance; by eye, still so after 1,500), while the same generator fed the
 * attributes as one-hots learned colour, size and position to 88–99% in 400 steps. The pretrained encoder
 * closes that gap (see models/README.md).
 * Reed et al. (2016) also train their text encoder before, and apart from, the GAN.
 *
 * `model`'s second input must be the token rows (true of the text generator and discriminator).
 */
export function pretrainTextEncoder(
  tf: Tf,
  model: tfl.LayersModel,
  prefix: string,
  sizes: readonly number[],
  steps: number,
  draw: (k: number) => TextBatch,
): number {
  const tokens = model.inputs[1];
  if (tokens === undefined) throw new Error(`${model.name} has no token input.`);
  const condition = model.getLayer(`${prefix}${CONDITION_LAYER}`).output as tfl.SymbolicTensor;
  const head = tfl.layers.dense({ units: sizes.reduce((a, b) => a + b, 0), name: `${prefix}_pretrain_head` });
  const namer = tfl.model({ inputs: tokens, outputs: head.apply(condition) as tfl.SymbolicTensor });
  const last = supervisedSteps(tf, {
    optimizer: tf.train.adam(ENCODER_PRETRAIN_LEARNING_RATE, 0.5),
    variables: trainableVariables(namer),
    steps,
    draw,
    loss: (batch) =>
      attributeLoss(
        tf,
        namer.apply(batch.tokens, { training: true }) as tfCore.Tensor,
        batch.targets,
        sizes,
        batch.mask,
      ),
  });
  for (const layer of model.layers) if (layer.name.startsWith(`${prefix}_`)) layer.trainable = false;
  return last;
}
