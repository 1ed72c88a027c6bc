import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { SHAPE_IMAGE_SIZE } from "../data/shapes.ts";
import { disposeTextBatch } from "./text-batch.ts";
import { attributeLoss, type TextBatch } from "./text-steps.ts";

type Tf = typeof tfCore;

/**
 * Classifier guidance for the text GAN. A small attribute classifier, the "teacher", learns on real captioned
 * images before the first adversarial step and is then frozen; G's loss adds its cross-entropy on the
 * attributes each caption names. Why: D's own attribute head learns under the adversarial objective, with
 * dropout and at GAN learning rates; in shapes-tcgan@1 it still named real shapes at chance after 1,000 steps,
 * so G had nobody to tell it which shape it drew. Supervised and alone, the teacher names them within a few
 * hundred steps, and being frozen it cannot be talked into G's mistakes.
 *
 * It is not the evaluator's judge: its own layers (5×5 kernels, no dense features layer), its own seeds and
 * its own batches, so prompt accuracy is still measured by a classifier the generator never saw.
 */
export interface TeacherOptions {
  steps: number;
  learningRate: number;
  batchSize: number;
}

/** What the trainer's metadata keeps of its teacher. */
export interface TeacherReport {
  steps: number;
  seconds: number;
  loss: number;
  /** Per attribute, on a batch it never trained on. */
  heldOutAccuracy: Record<string, number>;
}

/** Kept in the training state folder, so a resumed run uses the same teacher. */
export const TEACHER_DIR = "teacher";
/** 600 steps name every attribute of held-out images at 92–100% (shape is the hardest) in ~2 CPU minutes. */
export const TEACHER_STEPS = 600;
/** Supervised and alone: ten times the GAN's rates, since there is no opponent to keep pace with. */
export const TEACHER_LEARNING_RATE = 2e-3;
/** As much pull as D's own attribute head, which it does not replace: D's head keeps learning with D. */
export const TEACHER_WEIGHT = 1;

export function buildTeacher(attributeSizes: readonly number[], seed: number): tfl.LayersModel {
  let n = 0;
  const init = () => tfl.initializers.heNormal({ seed: seed + n++ });
  const image = tfl.input({ shape: [SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 3], name: "image" });
  let x: tfl.SymbolicTensor = image;
  for (const [filters, kernelSize] of [
    [32, 5],
    [64, 5],
    [96, 3],
  ] as const) {
    x = tfl.layers
      .conv2d({ filters, kernelSize, strides: 2, padding: "same", kernelInitializer: init() })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.1 }).apply(x) as tfl.SymbolicTensor;
  }
  // Flattened, not pooled: position is one of the attributes.
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({
      units: attributeSizes.reduce((a, b) => a + b, 0),
      kernelInitializer: init(),
      name: "attribute_logits",
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: logits, name: "teacher" });
}

/** Share of rows whose argmax matches the target, per attribute group. */
export function attributeAccuracy(
  tf: Tf,
  logits: tfCore.Tensor,
  targets: tfCore.Tensor,
  sizes: readonly number[],
): number[] {
  return tf.tidy(() => {
    let offset = 0;
    return sizes.map((n) => {
      const hit = tf.equal(
        tf.argMax(tf.slice(logits, [0, offset], [-1, n]), -1),
        tf.argMax(tf.slice(targets, [0, offset], [-1, n]), -1),
      );
      offset += n;
      return tf.mean(tf.cast(hit, "float32")).dataSync()[0] ?? 0;
    });
  });
}

/**
 * Trains the teacher on `options.steps` real batches (`draw(k)`, k = 0…), then reports its accuracy per
 * attribute on one more batch it never trained on, `draw(steps)`.
 */
export function trainTeacher(
  tf: Tf,
  teacher: tfl.LayersModel,
  sizes: readonly number[],
  options: TeacherOptions,
  draw: (k: number) => TextBatch,
  onProgress?: (k: number, loss: number) => void,
): { loss: number; heldOutAccuracy: number[] } {
  const optimizer = tf.train.adam(options.learningRate);
  const variables = teacher.trainableWeights.map((w) => w.read() as tfCore.Variable);
  let last = Number.NaN;
  for (let k = 0; k < options.steps; k++) {
    const batch = draw(k);
    const loss = tf.tidy(
      () =>
        optimizer.minimize(
          () =>
            attributeLoss(
              tf,
              teacher.apply(batch.images, { training: true }) as tfCore.Tensor,
              batch.targets,
              sizes,
            ),
          true,
          variables,
        ) ?? tf.scalar(Number.NaN),
    );
    last = loss.dataSync()[0] ?? Number.NaN;
    loss.dispose();
    disposeTextBatch(tf, batch);
    onProgress?.(k + 1, last);
  }
  optimizer.dispose();
  const heldOut = draw(options.steps);
  const logits = teacher.predict(heldOut.images) as tfCore.Tensor;
  const heldOutAccuracy = attributeAccuracy(tf, logits, heldOut.targets, sizes);
  logits.dispose();
  disposeTextBatch(tf, heldOut);
  return { loss: last, heldOutAccuracy };
}
