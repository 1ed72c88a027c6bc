import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

type Tf = typeof tfCore;

/** Everything one training step touches; the loop owns it, the steps only update it. */
export interface GanState {
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  dOptimizer: tfCore.Optimizer;
  gOptimizer: tfCore.Optimizer;
  latentDim: number;
  numClasses: number;
}

export interface DiscriminatorLosses {
  /** realLoss + fakeLoss. */
  loss: number;
  realLoss: number;
  fakeLoss: number;
}

/** DCGAN's settings: a lower β1 keeps Adam's momentum from chasing the opponent's last move. */
export function createOptimizers(tf: Tf): { dOptimizer: tfCore.Optimizer; gOptimizer: tfCore.Optimizer } {
  return { dOptimizer: tf.train.adam(2e-4, 0.5), gOptimizer: tf.train.adam(2e-4, 0.5) };
}

/** One-sided smoothing: real targets of 0.9 keep D from growing overconfident; fakes stay at 0. */
export const REAL_LABEL = 0.9;

function trainableVariables(model: tfl.LayersModel): tfCore.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tfCore.Variable);
}

function logits(model: tfl.LayersModel, inputs: tfCore.Tensor[]): tfCore.Tensor {
  return model.apply(inputs, { training: true }) as tfCore.Tensor;
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
  const [loss, realLoss, fakeLoss] = tf.tidy(() => {
    const batch = realImages.shape[0];
    const { noise, labels } = sampleConditions(tf, state, batch);
    // Generated outside minimize() so the tape does not record the generator's forward pass.
    const fakes = logits(state.generator, [noise, labels]);
    let parts: tfCore.Scalar[] = [];
    const total = state.dOptimizer.minimize(
      () => {
        const real = tf.losses.sigmoidCrossEntropy(
          tf.fill([batch, 1], REAL_LABEL),
          logits(state.discriminator, [realImages, realLabels]),
        );
        const fake = tf.losses.sigmoidCrossEntropy(
          tf.zeros([batch, 1]),
          logits(state.discriminator, [fakes, labels]),
        );
        parts = [tf.keep(real) as tfCore.Scalar, tf.keep(fake) as tfCore.Scalar];
        return tf.add(real, fake) as tfCore.Scalar;
      },
      true,
      trainableVariables(state.discriminator),
    );
    return [total ?? tf.scalar(Number.NaN), ...parts];
  });
  const values = [loss, realLoss, fakeLoss].map((t) => (t ? (t.dataSync()[0] ?? Number.NaN) : Number.NaN));
  tf.dispose([loss, realLoss, fakeLoss].filter((t) => t !== undefined));
  const [l = Number.NaN, r = Number.NaN, f = Number.NaN] = values;
  return { loss: l, realLoss: r, fakeLoss: f };
}

/** Non-saturating loss: G maximises log D(G(z)) rather than minimising log(1 − D(G(z))). */
export function generatorStep(tf: Tf, state: GanState, batch: number): { loss: number } {
  const loss = tf.tidy(() => {
    const { noise, labels } = sampleConditions(tf, state, batch);
    const cost = state.gOptimizer.minimize(
      () => {
        const fakes = logits(state.generator, [noise, labels]);
        return tf.losses.sigmoidCrossEntropy(
          tf.ones([batch, 1]),
          logits(state.discriminator, [fakes, labels]),
        );
      },
      true,
      trainableVariables(state.generator),
    );
    return cost ?? tf.scalar(Number.NaN);
  });
  const value = loss.dataSync()[0] ?? Number.NaN;
  loss.dispose();
  return { loss: value };
}
