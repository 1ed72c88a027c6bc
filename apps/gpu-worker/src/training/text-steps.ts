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
  /** adversarial + auxWeight · attributeLoss. */
  loss: number;
  adversarial: number;
  /** Cross-entropy of the discriminator's attribute head on fakes, over the attributes the captions name. */
  attributeLoss: number;
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
 * Non-saturating loss (G maximises log D(G(z, t)), which keeps gradients alive while D still wins), plus
 * the auxiliary head's cross-entropy on the attributes the captions name.
 */
export function textGeneratorStep(tf: Tf, state: TextGanState, wanted: TextBatch): TextGeneratorLosses {
  const [loss, adversarial, aux] = tf.tidy(() => {
    const batch = wanted.tokens.shape[0];
    const noise = tf.randomNormal([batch, state.latentDim]);
    return minimizeReporting(tf, state.gOptimizer, state.generator, () => {
      const fakes = state.generator.apply([noise, wanted.tokens], { training: true }) as tfCore.Tensor;
      const f = judge(tf, state.discriminator, fakes, wanted.tokens);
      const adversarial = tf.losses.sigmoidCrossEntropy(tf.ones([batch, 1]), f.logit);
      const aux = attributeLoss(tf, f.attributes, wanted.targets, state.attributeSizes, wanted.mask);
      return {
        total: tf.add(adversarial, tf.mul(aux, state.auxWeight)) as tfCore.Scalar,
        parts: [adversarial, aux],
      };
    });
  });
  return {
    loss: loss ?? Number.NaN,
    adversarial: adversarial ?? Number.NaN,
    attributeLoss: aux ?? Number.NaN,
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
