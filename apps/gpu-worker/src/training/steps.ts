import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type Augmentation, diffAugment } from "./augment.ts";

type Tf = typeof tfCore;

/** Everything one training step touches; the loop owns it, the steps only update it. */
export interface GanState {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  dOptimizer: tfCore.Optimizer;
  gOptimizer: tfCore.Optimizer;
  latentDim: number;
  numClasses: number;
  /**
   * ACGAN: the weight of the generator's auxiliary class loss; 0 or absent when the discriminator has no
   * class head. D always learns its head at weight 1, on real images only, so it never learns G's mistakes.
   */
  auxWeight?: number;
  /** Differentiable augmentation of every image D sees, real or fake (see augment.ts); absent = none. */
  augment?: Augmentation;
}

/** What a GAN trainer owns for the whole run: freed when the run ends, however it ends. */
export function disposeGan(
  state: Pick<GanState, "generator" | "discriminator" | "dOptimizer" | "gOptimizer">,
): void {
  state.generator.dispose();
  state.discriminator.dispose();
  state.dOptimizer.dispose();
  state.gOptimizer.dispose();
}

export interface DiscriminatorLosses {
  /** realLoss + fakeLoss (+ classLoss with an auxiliary head). */
  loss: number;
  realLoss: number;
  fakeLoss: number;
  /** Cross-entropy of the auxiliary class head on real images; 0 without one. */
  classLoss: number;
}

export interface GeneratorLosses {
  /** adversarial + auxWeight · classLoss. */
  loss: number;
  adversarial: number;
  /** Cross-entropy of D's class head on the fakes against the classes asked for; 0 without a head. */
  classLoss: number;
}

/** DCGAN's learning rate, for both networks unless a run sets each. */
export const LEARNING_RATE = 2e-4;

/** Each network's Adam rate: a faster discriminator is Heusel et al.'s two time-scale update rule (2017). */
export interface LearningRates {
  d: number;
  g: number;
}

/** DCGAN's settings: a lower β1 keeps Adam's momentum from chasing the opponent's last move. */
export function createOptimizers(
  tf: Tf,
  rates: LearningRates = { d: LEARNING_RATE, g: LEARNING_RATE },
): { dOptimizer: tfCore.Optimizer; gOptimizer: tfCore.Optimizer } {
  return { dOptimizer: tf.train.adam(rates.d, 0.5), gOptimizer: tf.train.adam(rates.g, 0.5) };
}

/** tfjs optimizers read their rate on every update but expose no setter. */
export function setLearningRate(optimizer: tfCore.Optimizer, value: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = value;
}

/**
 * The rate for the update at (0-based) `step`: `rate` until the run's last `annealSteps` steps, then falling
 * linearly to zero (pix2pix's and CycleGAN's schedule). At a constant rate the two networks keep circling their
 * equilibrium, so the generator a run ends on is wherever the circling stopped; a falling rate lets it settle.
 */
export function annealedRate(step: number, totalSteps: number, annealSteps: number, rate: number): number {
  const left = totalSteps - step;
  if (annealSteps <= 0 || left >= annealSteps) return rate;
  return (rate * Math.max(0, left)) / annealSteps;
}

/** One-sided smoothing: real targets of 0.9 keep D from growing overconfident; fakes stay at 0. */
export const REAL_LABEL = 0.9;

/** The variables an optimizer may update: the models' trainable weights, in order. */
export function trainableVariables(...models: tfl.LayersModel[]): tfCore.Variable[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tfCore.Variable));
}

function logits(model: tfl.LayersModel, inputs: tfCore.Tensor[]): tfCore.Tensor {
  return model.apply(inputs, { training: true }) as tfCore.Tensor;
}

const hasClassHead = (state: GanState) => (state.auxWeight ?? 0) > 0;

/**
 * D's output split into the real/fake logit and, with an auxiliary head, the class logits. With augmentation,
 * D sees every image, real or fake, through it.
 */
function judge(tf: Tf, state: GanState, images: tfCore.Tensor, labels: tfCore.Tensor) {
  const seen = state.augment ? diffAugment(tf, images as tfCore.Tensor4D, state.augment) : images;
  const out = logits(state.discriminator, [seen, labels]);
  if (!hasClassHead(state)) return { logit: out, classes: undefined };
  return { logit: tf.slice(out, [0, 0], [-1, 1]), classes: tf.slice(out, [0, 1], [-1, -1]) };
}

function classLoss(tf: Tf, classLogits: tfCore.Tensor | undefined, oneHot: tfCore.Tensor): tfCore.Scalar {
  if (classLogits === undefined) return tf.scalar(0);
  return tf.losses.softmaxCrossEntropy(oneHot, classLogits) as tfCore.Scalar;
}

const read = (t: tfCore.Tensor | undefined) => (t ? (t.dataSync()[0] ?? Number.NaN) : Number.NaN);

/**
 * One optimizer update of `model`'s weights on a loss made of parts: `loss` returns the parts and their
 * weighted total. Returns the total, then each part, as numbers (NaN when the optimizer returned no cost);
 * every tensor the update made is freed. Each GAN step is one call, so each reports its parts the same way.
 */
export function minimizeReporting(
  tf: Tf,
  optimizer: tfCore.Optimizer,
  model: tfl.LayersModel,
  /** Parts are scalar-valued losses (tf.losses returns them typed as any rank). */
  loss: () => { total: tfCore.Scalar; parts: tfCore.Tensor[] },
): number[] {
  const kept = tf.tidy(() => {
    let parts: tfCore.Tensor[] = [];
    const total = optimizer.minimize(
      () => {
        const l = loss();
        parts = l.parts.map((t) => tf.keep(t));
        return l.total;
      },
      true,
      trainableVariables(model),
    );
    return [total ?? tf.scalar(Number.NaN), ...parts];
  });
  const values = kept.map(read);
  tf.dispose(kept);
  return values;
}

/** The models take one-hot float labels: [batch] int32 → [batch, numClasses]. */
export function oneHotLabels(tf: Tf, classes: tfCore.Tensor1D, numClasses: number): tfCore.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(classes, numClasses), "float32") as tfCore.Tensor2D);
}

function sampleConditions(tf: Tf, state: GanState, batch: number) {
  return {
    noise: tf.randomNormal([batch, state.latentDim]),
    labels: oneHotLabels(
      tf,
      tf.randomUniform([batch], 0, state.numClasses, "int32") as tfCore.Tensor1D,
      state.numClasses,
    ),
  };
}

export function discriminatorStep(
  tf: Tf,
  state: GanState,
  realImages: tfCore.Tensor4D,
  /** One-hot, [batch, numClasses]. */
  realLabels: tfCore.Tensor2D,
): DiscriminatorLosses {
  const [loss, realLoss, fakeLoss, named] = tf.tidy(() => {
    const batch = realImages.shape[0];
    const { noise, labels } = sampleConditions(tf, state, batch);
    // Generated outside minimize() so the tape does not record the generator's forward pass.
    const fakes = logits(state.generator, [noise, labels]);
    return minimizeReporting(tf, state.dOptimizer, state.discriminator, () => {
      const r = judge(tf, state, realImages, realLabels);
      const real = tf.losses.sigmoidCrossEntropy(tf.fill([batch, 1], REAL_LABEL), r.logit);
      const fake = tf.losses.sigmoidCrossEntropy(tf.zeros([batch, 1]), judge(tf, state, fakes, labels).logit);
      const named = classLoss(tf, r.classes, realLabels);
      return { total: tf.addN([real, fake, named]) as tfCore.Scalar, parts: [real, fake, named] };
    });
  });
  return {
    loss: loss ?? Number.NaN,
    realLoss: realLoss ?? Number.NaN,
    fakeLoss: fakeLoss ?? Number.NaN,
    classLoss: named ?? Number.NaN,
  };
}

/**
 * Non-saturating loss: G maximises log D(G(z)) rather than minimising log(1 − D(G(z))); with a class head,
 * plus auxWeight · the head's cross-entropy on the fakes against the classes they were asked for.
 */
export function generatorStep(tf: Tf, state: GanState, batch: number): GeneratorLosses {
  const [loss, adversarial, named] = tf.tidy(() => {
    const { noise, labels } = sampleConditions(tf, state, batch);
    return minimizeReporting(tf, state.gOptimizer, state.generator, () => {
      const fakes = logits(state.generator, [noise, labels]);
      const f = judge(tf, state, fakes, labels);
      const adversarial = tf.losses.sigmoidCrossEntropy(tf.ones([batch, 1]), f.logit);
      const named = classLoss(tf, f.classes, labels);
      const total = tf.add(adversarial, tf.mul(named, state.auxWeight ?? 0)) as tfCore.Scalar;
      return { total, parts: [adversarial, named] };
    });
  });
  return {
    loss: loss ?? Number.NaN,
    adversarial: adversarial ?? Number.NaN,
    classLoss: named ?? Number.NaN,
  };
}
