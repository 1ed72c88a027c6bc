/**
 * TensorFlow.js's seeded `randomNormal` (float32, mean 0, standard deviation 1) in plain TypeScript, so a
 * browser can draw the very latent points a worker drew for a request without shipping TensorFlow.js.
 * tfjs-core 4.x seeds seedrandom's Alea generator with the seed's decimal string, turns its uniform numbers
 * into normal ones with Marsaglia's polar method (each accepted pair gives x, then y) and stores each value
 * in a Float32Array. The steps below are the same, operation for operation, so the floats are identical.
 */

/** Baagøe's Mash hash, as seedrandom 3 seeds Alea with it. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

/** seedrandom's `alea(seed)`: uniform numbers in [0, 1). */
export function alea(seed: string): () => number {
  const m = mash();
  let c = 1;
  let s0 = m(" ");
  let s1 = m(" ");
  let s2 = m(" ");
  s0 -= m(seed);
  if (s0 < 0) s0 += 1;
  s1 -= m(seed);
  if (s1 < 0) s1 += 1;
  s2 -= m(seed);
  if (s2 < 0) s2 += 1;
  return () => {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    return s2;
  };
}

/**
 * `count` standard normal values from `seed`, equal to `tf.randomNormal([count], 0, 1, "float32", seed)`.
 * tfjs reads a seed of 0 (or none) as "use Math.random", so pass a non-zero seed or a string.
 */
export function seededNormal(seed: number | string, count: number): Float32Array {
  const random = alea(String(seed));
  const out = new Float32Array(count);
  const mean = 0;
  const stdDev = 1;
  for (let i = 0; i < count; i += 2) {
    let v1: number;
    let v2: number;
    let s: number;
    do {
      v1 = 2 * random() - 1;
      v2 = 2 * random() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const mul = Math.sqrt((-2.0 * Math.log(s)) / s);
    out[i] = mean + stdDev * v1 * mul;
    // An odd count drops the last y, as tfjs does when it stops asking for values.
    if (i + 1 < count) out[i + 1] = mean + stdDev * v2 * mul;
  }
  return out;
}

/**
 * A text-to-image request's noise scale: 1 samples as trained, lower draws more typical images. Here, with
 * the noise it scales and no schema library, so the gallery's browser code reads the same bounds.
 */
export const TEMPERATURE_RANGE = { min: 0.1, max: 1 } as const;

/**
 * The worker's seed for a request's noise: tfjs would read seed 0 as "no seed", so 0 becomes 2³², which no
 * request can ask for (seeds are uint32). Mirrors the worker's drawNoise.
 */
export const noiseSeed = (seed: number): number => (seed === 0 ? 4_294_967_296 : seed);

/**
 * A request's latent points: `rows` × `latentDim` values, row-major, as the worker fed its generator; the
 * request's temperature scales them (1: as drawn).
 */
export function requestNoise(seed: number, rows: number, latentDim: number, temperature = 1): Float32Array {
  const noise = seededNormal(noiseSeed(seed), rows * latentDim);
  if (temperature !== 1) for (let i = 0; i < noise.length; i++) noise[i] = (noise[i] ?? 0) * temperature;
  return noise;
}
