import * as tfl from "@tensorflow/tfjs-layers";
import { glorotInitializers } from "./init.ts";
import { SHAPES_IMAGE_SIZE } from "./tcgan.ts";

/** Where the teacher's seeds start, past the generator's and the discriminator's layers. */
export const TEACHER_SEED_OFFSET = 2000;

export interface AttributeTeacherConfig {
  /** 4×4 stride-2 convolutions, one per entry. */
  filters: readonly number[];
  hidden: number;
  attributeSizes: readonly number[];
  seed: number;
}

export const defaultTeacherFilters = [32, 64, 128] as const;

/**
 * A training-only attribute classifier for the text-conditioned GAN (`train --teacher N`): image → one
 * logit group per attribute, with a trunk of its own, trained on real images only, at a rate the
 * discriminator could not take. It never ships and never judges: the evaluator's classifier is another
 * network (3×3 ReLU convolutions) trained on other images.
 *
 * Why a trunk of its own: inside D, the attribute head shares layers with the real/fake judgement and learns at
 * D's pace; it named real outlines at 29% after 1,800 steps, so the generator had no teacher for them for
 * hours. Alone, at 2e-3 and without dropout, a network this size names most outlines within a few hundred
 * steps (models/README.md, shapes-tcgan).
 */
export function buildAttributeTeacher(cfg: AttributeTeacherConfig): tfl.LayersModel {
  const init = glorotInitializers(cfg.seed, TEACHER_SEED_OFFSET);
  const image = tfl.input({ shape: [SHAPES_IMAGE_SIZE, SHAPES_IMAGE_SIZE, 3], name: "image" });
  let x = image;
  for (const filters of cfg.filters) {
    x = tfl.layers
      .conv2d({ filters, kernelSize: 4, strides: 2, padding: "same", kernelInitializer: init() })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  }
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({ units: cfg.hidden, activation: "relu", kernelInitializer: init() })
    .apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({
      units: cfg.attributeSizes.reduce((a, b) => a + b, 0),
      kernelInitializer: init(),
      name: "teacher_logits",
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: logits, name: "attribute_teacher" });
}
