import * as tfl from "@tensorflow/tfjs-layers";

/** Where a discriminator's seeds start, past any generator's layer count, so the two never share weights. */
export const DISCRIMINATOR_SEED_OFFSET = 1000;

export type LayerInit = () => ReturnType<typeof tfl.initializers.glorotUniform>;

/**
 * Each call gives the next layer a fresh seed (seed + offset, then + 1, …), so layers do not share weights and
 * a seeded build is reproducible; without a seed every layer draws its own random start.
 */
function seededSequence(
  seed: number | undefined,
  offset: number,
  make: (seed: number | undefined) => ReturnType<LayerInit>,
): LayerInit {
  let n = offset;
  return () => make(seed === undefined ? undefined : seed + n++);
}

/** DCGAN's N(0, 0.02) weight start (Radford et al. 2015; pix2pix and CycleGAN keep it), seeded per layer. */
export function dcganInitializers(seed: number | undefined, offset = 0): LayerInit {
  return seededSequence(seed, offset, (s) =>
    tfl.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: s }),
  );
}

/** Glorot-uniform starts, seeded per layer the same way. */
export function glorotInitializers(seed: number | undefined, offset = 0): LayerInit {
  return seededSequence(seed, offset, (s) => tfl.initializers.glorotUniform({ seed: s }));
}
