import { describe, expect, it } from "vitest";
import {
  frechetDistance,
  type Gaussian,
  gaussianOf,
  matMul,
  meanPairwiseDistance,
  sqrtSymmetric,
  symmetricEigen,
} from "../src/eval/linalg.ts";

/** Deterministic standard normals (Box–Muller over a small LCG). */
function normals(count: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

const spd = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);

describe("matrix square root", () => {
  it("eigen-decomposes a symmetric matrix: V diag(λ) Vᵀ = A", () => {
    const { values, vectors } = symmetricEigen(spd, 3);
    const rebuilt = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 3; k++)
          rebuilt[i * 3 + j] =
            (rebuilt[i * 3 + j] ?? 0) +
            (vectors[i * 3 + k] ?? 0) * (values[k] ?? 0) * (vectors[j * 3 + k] ?? 0);
    for (const [i, v] of rebuilt.entries()) expect(v).toBeCloseTo(spd[i] ?? 0, 10);
  });

  it("squares back to a small SPD matrix and is symmetric", () => {
    const root = sqrtSymmetric(spd, 3);
    const square = matMul(root, root, 3);
    for (const [i, v] of square.entries()) expect(v).toBeCloseTo(spd[i] ?? 0, 10);
    expect(root[1]).toBeCloseTo(root[3] ?? 0, 12);
    expect(sqrtSymmetric(Float64Array.from([9, 0, 0, 16]), 2)).toEqual(Float64Array.from([3, 0, 0, 4]));
  });
});

describe("Fréchet distance", () => {
  it("is ≈ 0 for identical sets", () => {
    const dim = 8;
    const g = gaussianOf(normals(500 * dim, 1), 500, dim);
    expect(frechetDistance(g, g)).toBeLessThan(1e-8);
  });

  it("matches the closed form for Gaussians differing by a shift and a scale", () => {
    // N(μ, I) vs N(0, s²I): ‖μ‖² + d(1 + s² − 2s) = ‖μ‖² + d(1 − s)².
    const dim = 4;
    const identity = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) identity[i * dim + i] = 1;
    const a: Gaussian = { dim, count: 0, mean: Float64Array.from([1, 2, 0, -1]), cov: identity };
    const b: Gaussian = { dim, count: 0, mean: new Float64Array(dim), cov: identity.map((v) => v * 2.25) };
    expect(frechetDistance(a, b)).toBeCloseTo(6 + dim * 0.25, 10);
  });

  it("estimates a shifted Gaussian's distance from samples", () => {
    const dim = 4;
    const n = 20_000;
    const x = normals(n * dim, 7);
    const y = normals(n * dim, 11).map((v, i) => v + (i % dim === 0 ? 3 : 0));
    expect(frechetDistance(gaussianOf(x, n, dim), gaussianOf(y, n, dim))).toBeCloseTo(9, 0);
  });

  it("uses general covariances: matches tr formula for commuting diagonal covariances", () => {
    const a: Gaussian = { dim: 2, count: 0, mean: new Float64Array(2), cov: Float64Array.from([4, 0, 0, 1]) };
    const b: Gaussian = { dim: 2, count: 0, mean: new Float64Array(2), cov: Float64Array.from([1, 0, 0, 9]) };
    // (2 − 1)² + (1 − 3)² = 5
    expect(frechetDistance(a, b)).toBeCloseTo(5, 10);
  });
});

describe("meanPairwiseDistance", () => {
  it("is 0 for identical rows and the distance for two", () => {
    expect(meanPairwiseDistance([1, 1, 1, 1], 2, 2)).toBe(0);
    expect(meanPairwiseDistance([0, 0, 3, 4], 2, 2)).toBe(5);
  });
});
