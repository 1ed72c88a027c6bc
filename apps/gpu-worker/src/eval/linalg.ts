/**
 * The statistics behind the Fréchet distance, in plain float64 TypeScript: feature dimensions are small (64), so a
 * Jacobi eigen-decomposition is exact enough and keeps the result independent of the TensorFlow.js backend.
 * Matrices are row-major `Float64Array`s of size n × n.
 */

export interface Gaussian {
  dim: number;
  mean: Float64Array;
  /** Sample covariance (divided by count − 1), row-major dim × dim. */
  cov: Float64Array;
  count: number;
}

/** Mean and covariance of `count` row-major feature vectors of width `dim`. */
export function gaussianOf(features: ArrayLike<number>, count: number, dim: number): Gaussian {
  if (count < 2)
    throw new Error(`A covariance needs at least 2 samples, got ${count}: evaluate more images.`);
  if (features.length !== count * dim)
    throw new Error(`Expected ${count}×${dim} features, got ${features.length} values.`);
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++)
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (features[r * dim + j] as number);
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < dim; j++) centred[j] = (features[r * dim + j] as number) - (mean[j] as number);
    for (let i = 0; i < dim; i++) {
      const ci = centred[i] as number;
      if (ci === 0) continue;
      for (let j = i; j < dim; j++)
        cov[i * dim + j] = (cov[i * dim + j] as number) + ci * (centred[j] as number);
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = (cov[i * dim + j] as number) / (count - 1);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  }
  return { dim, mean, cov, count };
}

export function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k] as number;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++)
        out[i * n + j] = (out[i * n + j] as number) + aik * (b[k * n + j] as number);
    }
  }
  return out;
}

export function trace(a: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i] as number;
  return t;
}

/**
 * Cyclic Jacobi eigenvalue method for a symmetric matrix: returns eigenvalues and the eigenvectors as the
 * columns of `vectors` (row-major), so that a = V · diag(values) · Vᵀ. Quadratically convergent; stops when the
 * off-diagonal mass is negligible against the diagonal.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const at = (i: number, j: number) => m[i * n + j] as number;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += at(i, i) * at(i, i);
      for (let j = i + 1; j < n; j++) off += at(i, j) * at(i, j);
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // Rotate rows/columns p and q of m (m ← Jᵀ m J) and accumulate V ← V J.
        for (let k = 0; k < n; k++) {
          const mkp = at(k, p);
          const mkq = at(k, q);
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = at(p, k);
          const mqk = at(q, k);
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = at(i, i);
  return { values, vectors: v };
}

/**
 * Principal square root of a symmetric positive semi-definite matrix, V · diag(√λ) · Vᵀ. Eigenvalues that
 * rounding made slightly negative are clamped to 0.
 */
export function sqrtSymmetric(a: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(0, values[k] as number));
    if (root === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = (vectors[i * n + k] as number) * root;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++)
        out[i * n + j] = (out[i * n + j] as number) + vik * (vectors[j * n + k] as number);
    }
  }
  return out;
}

/**
 * Fréchet distance between two Gaussians, ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½). The inner product
 * Σ₁^½ Σ₂ Σ₁^½ is symmetric PSD, so its root comes from the same symmetric eigen-solver (tr((Σ₁Σ₂)^½) equals it).
 */
export function frechetDistance(a: Gaussian, b: Gaussian): number {
  if (a.dim !== b.dim) throw new Error(`Feature widths differ: ${a.dim} vs ${b.dim}.`);
  const n = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < n; i++) meanTerm += ((a.mean[i] as number) - (b.mean[i] as number)) ** 2;
  const rootA = sqrtSymmetric(a.cov, n);
  const inner = matMul(matMul(rootA, b.cov, n), rootA, n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = ((inner[i * n + j] as number) + (inner[j * n + i] as number)) / 2;
      inner[i * n + j] = s;
      inner[j * n + i] = s;
    }
  }
  const cross = trace(sqrtSymmetric(inner, n), n);
  return Math.max(0, meanTerm + trace(a.cov, n) + trace(b.cov, n) - 2 * cross);
}

/** Mean Euclidean distance over all unordered pairs of `count` row-major vectors of width `dim`. */
export function meanPairwiseDistance(rows: ArrayLike<number>, count: number, dim: number): number {
  if (count < 2) return 0;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      let d = 0;
      for (let k = 0; k < dim; k++) d += ((rows[i * dim + k] as number) - (rows[j * dim + k] as number)) ** 2;
      sum += Math.sqrt(d);
    }
  }
  return sum / ((count * (count - 1)) / 2);
}
