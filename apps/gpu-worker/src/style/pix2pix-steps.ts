import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { trainableVariables } from "../training/steps.ts";

type Tf = typeof tfCore;

/** Everything one pix2pix step touches; the loop owns it, the step only updates it. */
export interface Pix2PixState {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  gOptimizer: tfCore.Optimizer;
  dOptimizer: tfCore.Optimizer;
}

export interface Pix2PixLosses {
  /** The discriminator's BCE on (source, target) and (source, G(source)), halved as in the paper. */
  d: number;
  /** Non-saturating generator loss: BCE of D(source, G(source)) against "real". */
  adversarial: number;
  /** Mean |G(source) − target| in [-1, 1] units, before λ. */
  l1: number;
  /** The generator's total objective: adversarial + λ·l1. */
  g: number;
}

function bce(tf: Tf, logits: tfCore.Tensor, label: 0 | 1): tfCore.Scalar {
  const labels = label === 1 ? tf.onesLike(logits) : tf.zerosLike(logits);
  return tf.losses.sigmoidCrossEntropy(labels, logits) as tfCore.Scalar;
}

/**
 * One pix2pix step: the generator's update (adversarial + λ·L1), then the discriminator's on real pairs and on
 * the pairs the generator just made. The generator runs once: its output is kept for the discriminator's turn,
 * outside that turn's tape, so no gradient reaches the generator from it.
 */
export function pix2pixStep(
  tf: Tf,
  state: Pix2PixState,
  source: tfCore.Tensor4D,
  target: tfCore.Tensor4D,
  lambda: number,
): Pix2PixLosses {
  let fake: tfCore.Tensor | undefined;
  try {
    return tf.tidy(() => {
      let adversarial = Number.NaN;
      let l1 = Number.NaN;
      const g = state.gOptimizer.minimize(
        () => {
          const out = state.generator.apply(source, { training: true }) as tfCore.Tensor;
          fake = tf.keep(out);
          const logits = state.discriminator.apply([source, out], { training: true }) as tfCore.Tensor;
          const adv = bce(tf, logits, 1);
          const dist = tf.mean(tf.abs(tf.sub(out, target))) as tfCore.Scalar;
          adversarial = adv.dataSync()[0] ?? Number.NaN;
          l1 = dist.dataSync()[0] ?? Number.NaN;
          return tf.add(adv, tf.mul(dist, lambda)) as tfCore.Scalar;
        },
        true,
        trainableVariables(state.generator),
      );
      const generated = fake as tfCore.Tensor;
      const d = state.dOptimizer.minimize(
        () => {
          const real = state.discriminator.apply([source, target], { training: true }) as tfCore.Tensor;
          const made = state.discriminator.apply([source, generated], { training: true }) as tfCore.Tensor;
          return tf.mul(tf.add(bce(tf, real, 1), bce(tf, made, 0)), 0.5) as tfCore.Scalar;
        },
        true,
        trainableVariables(state.discriminator),
      );
      return {
        d: d?.dataSync()[0] ?? Number.NaN,
        adversarial,
        l1,
        g: g?.dataSync()[0] ?? Number.NaN,
      };
    });
  } finally {
    // tf.keep protects it from every enclosing tidy: it is freed here, once both turns are done.
    fake?.dispose();
  }
}

/** The paper's schedule: the base rate for the first part of training, then linearly down to zero. */
export function pix2pixLearningRate(base: number, step: number, total: number, decayFrom: number): number {
  const start = Math.floor(total * decayFrom);
  if (step < start || total <= start) return base;
  return base * Math.max(0, 1 - (step - start) / (total - start));
}
