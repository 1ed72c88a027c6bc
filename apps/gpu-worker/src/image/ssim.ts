/**
 * Mean SSIM (Wang et al. 2004: Gaussian window, σ 1.5, K1 0.01, K2 0.03, "valid" windows only) of two
 * planes of one size with values in [0, `range`]; identical planes give exactly 1. One implementation for
 * every evaluator: super-resolution scores luma (MATLAB's convention), style transfer edge maps.
 */
export function ssimPlane(
  x: Float64Array,
  y: Float64Array,
  width: number,
  height: number,
  range: number,
  window = 11,
): number {
  const k = gaussian(window, 1.5);
  const mx = filterValid(x, width, height, k);
  const my = filterValid(y, width, height, k);
  const xx = filterValid(
    x.map((v) => v * v),
    width,
    height,
    k,
  );
  const yy = filterValid(
    y.map((v) => v * v),
    width,
    height,
    k,
  );
  const xy = filterValid(
    x.map((v, i) => v * (y[i] ?? 0)),
    width,
    height,
    k,
  );
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i] ?? 0;
    const uy = my[i] ?? 0;
    const vx = (xx[i] ?? 0) - ux * ux;
    const vy = (yy[i] ?? 0) - uy * uy;
    const cxy = (xy[i] ?? 0) - ux * uy;
    sum += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return sum / mx.length;
}

function gaussian(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i] ?? 0;
  }
  return k.map((v) => v / sum);
}

/** Separable 'valid' filtering, as MATLAB's filter2(w, x, 'valid') with a symmetric separable window. */
function filterValid(p: Float64Array, width: number, height: number, k: Float64Array): Float64Array {
  const n = k.length;
  const w = width - n + 1;
  const h = height - n + 1;
  const mid = new Float64Array(w * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (k[i] ?? 0) * (p[y * width + x + i] ?? 0);
      mid[y * w + x] = s;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (k[i] ?? 0) * (mid[(y + i) * w + x] ?? 0);
      out[y * w + x] = s;
    }
  }
  return out;
}
