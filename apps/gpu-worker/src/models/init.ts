import * as tfl from "@tensorflow/tfjs-layers";

/** Where a discriminator's seeds start, past any generator's layer count, so the two never share weights. */
export const DISCRIMINATOR_SEED_OFFSET = 1000;

/**
 * DCGAN's N(0, 0.02) weight start (Radford et al. 2015; pix2pix and CycleGAN keep it). Each call gives the
 * next layer a fresh seed (seed + offset, then + 1, …), so layers do not share weights and a seeded build is
 * reproducible; without a seed every layer draws its own random start.
 */
export function dcganInitializers(seed: number | undefined, offset = 0) {
  let n = offset;
  return () =>
    tfl.initializers.randomNormal({
      mean: 0,
      stddev: 0.02,
      seed: seed === undefined ? undefined : seed + n++,
    });
}

/** Glorot-uniform starts, seeded the same way (each call the next seed). */
export function glorotInitializers(seed: number | undefined, offset = 0) {
  let n = offset;
  return () => tfl.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed + n++ });
}

export type LayerInit = () => ReturnType<typeof tfl.initializers.glorotUniform>;
