import type * as tfCore from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

type Tf = typeof tfCore;

/**
 * An exponential moving average of the generator's weights, the copy that ships (Yazıcı et al. 2019, "The
 * Unusual Effectiveness of Averaging in GAN Training"; StyleGAN and BigGAN ship theirs the same way). At a
 * constant learning rate the generator keeps circling the equilibrium with its discriminator; the average sits
 * nearer its centre than any one point of the circle. Batch norm's moving statistics are averaged with the rest.
 */
export interface WeightAverage {
  readonly model: tfl.LayersModel;
  /** Folds the generator's current weights in, after optimizer update number `updates` (0-based, resumes counted). */
  update(updates: number): void;
  dispose(): void;
}

/**
 * TensorFlow's ExponentialMovingAverage warm-up: the decay starts low and climbs to `decay`, so the average of a
 * fresh run is not mostly its random initial weights for the first thousand steps.
 */
export function decayAt(decay: number, updates: number): number {
  return Math.min(decay, (1 + updates) / (10 + updates));
}

/** An exact copy of a layers model (same topology, names and weights) through an in-memory save. */
async function copyModel(tf: Tf, model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tfCore.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  if (saved === undefined) throw new Error("Copying a model: its save wrote nothing.");
  return tfl.loadLayersModel(tf.io.fromMemory(saved));
}

/** `average` starts as the given model (a resumed average) or, without one, as a copy of `source`. */
export async function weightAverage(
  tf: Tf,
  source: tfl.LayersModel,
  decay: number,
  average?: tfl.LayersModel,
): Promise<WeightAverage> {
  const model = average ?? (await copyModel(tf, source));
  const from = source.weights;
  const to = model.weights;
  const mismatch = from.findIndex(
    (w, i) =>
      to[i] === undefined || w.shape.join() !== to[i]?.shape.join() || w.originalName !== to[i]?.originalName,
  );
  if (mismatch >= 0 || from.length !== to.length) {
    throw new Error(
      `The averaged generator's weights do not match the generator's (${from[mismatch]?.originalName ?? "count"}): resume with --ema 0 to start the average afresh.`,
    );
  }
  return {
    model,
    update(updates) {
      const d = decayAt(decay, updates);
      tf.tidy(() => {
        from.forEach((w, i) => {
          const avg = to[i] as (typeof to)[number];
          avg.write(tf.add(tf.mul(avg.read(), d), tf.mul(w.read(), 1 - d)));
        });
      });
    },
    dispose: () => model.dispose(),
  };
}
