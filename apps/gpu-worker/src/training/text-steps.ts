import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { minimizeReporting, REAL_LABEL } from "./steps.ts";
import { disposeTextBatch } from "./text-batch.ts";

type Tf = typeof tfCore;

/**
 * One step's worth of captioned images as tensors: what the text-conditioned discriminator and generator
 * steps read. `targets` is every attribute one-hot, concatenated in attribute order; `mask` says which
 * attributes the caption names (the generator is only held to those).
 */
export interface TextBatch {
  images: tfCore.Tensor4D;
  tokens: tfCore.Tensor2D;
  targets: tfCore.Tensor2D;
  mask: tfCore.Tensor2D;
}

export interface TextGanState {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  dOptimizer: tfCore.Optimizer;
  gOptimizer: tfCore.Optimizer;
  latentDim: number;
  /** Values per attribute: the discriminator's auxiliary softmax groups. */
  attributeSizes: readonly number[];
  /** Weight of the auxiliary attribute loss next to the adversarial one, in G's loss and in D's. */
  auxWeight: number;
  discriminatorAuxWeight: number;
  /** Weight of the mode-seeking term in G's loss (0 or absent: off); see modeSeekingLoss. */
  modeSeekingWeight?: number;
}

export interface TextDiscriminatorLosses {
  /** realLoss + fakeLoss + discriminatorAuxWeight · attributeLoss. */
  loss: number;
  realLoss: number;
  fakeLoss: number;
  /** Cross-entropy of the auxiliary head on real images, summed over attributes. */
  attributeLoss: number;
}

export interface TextGeneratorLosses {
  /** adversarial + auxWeight · attributeLoss (+ modeSeekingWeight · modeSeeking). */
  loss: number;
  adversarial: number;
  /** Cross-entropy of the discriminator's attribute head on fakes, over the attributes the captions name. */
  attributeLoss: number;
  /** The mode-seeking term, 1 / (image distance ÷ noise distance); NaN when it is off. */
  modeSeeking: number;
}

function judge(tf: Tf, d: tfl.LayersModel, images: tfCore.Tensor, tokens: tfCore.Tensor) {
  const out = d.apply([images, tokens], { training: true }) as tfCore.Tensor2D;
  return { logit: tf.slice(out, [0, 0], [-1, 1]), attributes: tf.slice(out, [0, 1], [-1, -1]) };
}

/**
 * Σ over attributes of the batch-mean cross-entropy of that attribute's softmax group; with a mask, rows
 * whose caption does not name the attribute count zero.
 */
export function attributeLoss(
  tf: Tf,
  logits: tfCore.Tensor,
  targets: tfCore.Tensor,
  sizes: readonly number[],
  mask?: tfCore.Tensor,
): tfCore.Scalar {
  const batch = logits.shape[0] ?? 1;
  let offset = 0;
  let total: tfCore.Tensor = tf.scalar(0);
  sizes.forEach((n, k) => {
    const l = tf.slice(logits, [0, offset], [-1, n]);
    const t = tf.slice(targets, [0, offset], [-1, n]);
    let ce = tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(l)), -1));
    if (mask) ce = tf.mul(ce, tf.reshape(tf.slice(mask, [0, k], [-1, 1]), [-1]));
    total = tf.add(total, tf.div(tf.sum(ce), batch));
    offset += n;
  });
  return total as tfCore.Scalar;
}

/**
 * D learns: real (image, caption) → real (target 0.9, one-sided smoothing), G's image for the same caption →
 * fake, and names the attributes of real images (auxiliary head, trained on real images only so it never
 * learns from the generator's mistakes).
 */
export function textDiscriminatorStep(tf: Tf, state: TextGanState, real: TextBatch): TextDiscriminatorLosses {
  const [loss, realLoss, fakeLoss, aux] = tf.tidy(() => {
    const batch = real.images.shape[0];
    const noise = tf.randomNormal([batch, state.latentDim]);
    // Generated outside minimize() so the tape does not record the generator's forward pass.
    const fakes = state.generator.apply([noise, real.tokens], { training: true }) as tfCore.Tensor;
    return minimizeReporting(tf, state.dOptimizer, state.discriminator, () => {
      const r = judge(tf, state.discriminator, real.images, real.tokens);
      const f = judge(tf, state.discriminator, fakes, real.tokens);
      const realLoss = tf.losses.sigmoidCrossEntropy(tf.fill([batch, 1], REAL_LABEL), r.logit);
      const fakeLoss = tf.losses.sigmoidCrossEntropy(tf.zeros([batch, 1]), f.logit);
      const aux = attributeLoss(tf, r.attributes, real.targets, state.attributeSizes);
      const total = tf.addN([realLoss, fakeLoss, tf.mul(aux, state.discriminatorAuxWeight)]) as tfCore.Scalar;
      return { total, parts: [realLoss, fakeLoss, aux] };
    });
  });
  return {
    loss: loss ?? Number.NaN,
    realLoss: realLoss ?? Number.NaN,
    fakeLoss: fakeLoss ?? Number.NaN,
    attributeLoss: aux ?? Number.NaN,
  };
}

/**
 * Mode-seeking regularisation (Mao et al., 2019, "MSGAN"): for pairs of noise vectors under the same caption,
 * the ratio of the images' mean absolute distance to the noise vectors' one, averaged over the pairs; the loss is
 * its inverse. A conditional generator may learn to ignore its noise and draw one image per caption; this term
 * makes that expensive. `images` and `noise` hold the pairs as their first and second halves.
 */
export function modeSeekingLoss(tf: Tf, images: tfCore.Tensor, noise: tfCore.Tensor2D): tfCore.Scalar {
  const half = (noise.shape[0] ?? 0) / 2;
  const rowMeanAbs = (t: tfCore.Tensor) => {
    const [a, b] = tf.split(t, 2, 0) as [tfCore.Tensor, tfCore.Tensor];
    return tf.mean(tf.reshape(tf.abs(tf.sub(a, b)), [half, -1]), 1);
  };
  const ratio = tf.mean(tf.div(rowMeanAbs(images), rowMeanAbs(noise)));
  // The small epsilon bounds the loss where two images coincide.
  return tf.div(1, tf.add(ratio, 1e-5)) as tfCore.Scalar;
}

/** The batch's first ⌊n/2⌋ captions twice over: the second half pairs with the first for the mode-seeking term. */
function pairedCaptions(tf: Tf, wanted: TextBatch): Omit<TextBatch, "images"> {
  const half = Math.floor((wanted.tokens.shape[0] ?? 0) / 2);
  const twice = <T extends tfCore.Tensor2D>(t: T) => {
    const first = tf.slice(t, [0, 0], [half, -1]);
    return tf.concat([first, first], 0) as T;
  };
  return { tokens: twice(wanted.tokens), targets: twice(wanted.targets), mask: twice(wanted.mask) };
}

/**
 * Non-saturating loss (G maximises log D(G(z, t)), which keeps gradients alive while D still wins), plus
 * the auxiliary head's cross-entropy on the attributes the captions name, plus (when weighted) the
 * mode-seeking term on pairs of images of one caption.
 */
export function textGeneratorStep(tf: Tf, state: TextGanState, wanted: TextBatch): TextGeneratorLosses {
  const seekingWeight = state.modeSeekingWeight ?? 0;
  const seeking = seekingWeight > 0 && wanted.tokens.shape[0] >= 2;
  const [loss, adversarial, aux, modeSeeking] = tf.tidy(() => {
    const rows = seeking ? pairedCaptions(tf, wanted) : wanted;
    const batch = rows.tokens.shape[0];
    const noise = tf.randomNormal([batch, state.latentDim]) as tfCore.Tensor2D;
    return minimizeReporting(tf, state.gOptimizer, state.generator, () => {
      const fakes = state.generator.apply([noise, rows.tokens], { training: true }) as tfCore.Tensor;
      const f = judge(tf, state.discriminator, fakes, rows.tokens);
      const adversarial = tf.losses.sigmoidCrossEntropy(tf.ones([batch, 1]), f.logit);
      const aux = attributeLoss(tf, f.attributes, rows.targets, state.attributeSizes, rows.mask);
      const total = tf.add(adversarial, tf.mul(aux, state.auxWeight)) as tfCore.Scalar;
      if (!seeking) return { total, parts: [adversarial, aux] };
      const ms = modeSeekingLoss(tf, fakes, noise);
      return {
        total: tf.add(total, tf.mul(ms, seekingWeight)) as tfCore.Scalar,
        parts: [adversarial, aux, ms],
      };
    });
  });
  return {
    loss: loss ?? Number.NaN,
    adversarial: adversarial ?? Number.NaN,
    attributeLoss: aux ?? Number.NaN,
    modeSeeking: modeSeeking ?? Number.NaN,
  };
}

/**
 * A supervised phase before the adversarial one: `steps` optimizer steps on `loss` of freshly drawn batches
 * (each disposed after its step). Returns the last step's loss. The optimizer is disposed at the end.
 */
export function supervisedSteps(
  tf: Tf,
  o: {
    optimizer: tfCore.Optimizer;
    variables: tfCore.Variable[];
    steps: number;
    draw: (k: number) => TextBatch;
    loss: (batch: TextBatch) => tfCore.Scalar;
  },
): number {
  let last = Number.NaN;
  for (let k = 0; k < o.steps; k++) {
    const batch = o.draw(k);
    const loss = tf.tidy(
      () => o.optimizer.minimize(() => o.loss(batch), true, o.variables) ?? tf.scalar(Number.NaN),
    );
    last = loss.dataSync()[0] ?? Number.NaN;
    loss.dispose();
    disposeTextBatch(tf, batch);
  }
  o.optimizer.dispose();
  return last;
}
