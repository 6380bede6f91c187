// Bucket statistics (docs/design.md): exact merging of moments, R type-7 percentiles, and the relative-error
// sketch used to merge percentiles across rollup rows.
//
// Sketch: a DDSketch-style log histogram (Masson et al., VLDB 2019) that also keeps the sum of each bin. A value
// v > 0 falls in bin j = ceil(log_gamma(v)), gamma = (1 + ALPHA) / (1 - ALPHA), i.e. (gamma^(j-1), gamma^j]. Bins of
// several rows merge by adding counts and sums, so merging is exact; the only error is the bin width. An order
// statistic is estimated by the mean of its bin: both lie in the same bin, so the relative error is below
// gamma - 1 = 0.80 % for ALPHA = 0.4 % (and zero when a bin holds one repeated value, such as a 5000 ms timeout).
// Percentiles follow R type 7: with h = (N - 1) q, the estimate interpolates the estimates of order statistics
// floor(h) and floor(h) + 1, so it stays within 0.8 % of the exact type-7 value for values of one sign, inside the
// contract's 1 %. Keys are integers ordered like the values: 0 for 0, KEY_OFFSET + j for positive values and
// -(KEY_OFFSET + j) for negative ones; KEY_OFFSET keeps every finite double, subnormals included, on its side.

export const SKETCH_ALPHA = 0.004;
export const SKETCH_GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
/** Bound on the relative error of a merged percentile. */
export const SKETCH_RELATIVE_ERROR = SKETCH_GAMMA - 1;
/** 1 / ln(gamma): the sketch key of v > 0 is KEY_OFFSET + ceil(ln(v) * INV_LN_GAMMA) (store/duckdb/sketch-sql.ts computes it in SQL). */
export const INV_LN_GAMMA = 1 / Math.log(SKETCH_GAMMA);
export const KEY_OFFSET = 200_000;

export function sketchKey(v: number): number {
  if (v > 0) return KEY_OFFSET + Math.ceil(Math.log(v) * INV_LN_GAMMA);
  if (v < 0) return -(KEY_OFFSET + Math.ceil(Math.log(-v) * INV_LN_GAMMA));
  return 0;
}

export const QUANTILES = [0.5, 0.95, 0.99] as const;

/**
 * R type-7 quantile of `n` ascending values (n > 0), given the value at each 0-based rank it asks for: the one at
 * floor((n - 1) q), and the next one unless that is the last.
 */
export function type7(n: number, q: number, at: (rank: number) => number): number {
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const x = at(lo);
  if (lo + 1 >= n) return x;
  return x + (h - lo) * (at(lo + 1) - x);
}

/** R type-7 quantile of ascending `sorted` values. */
export function quantileType7(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : type7(sorted.length, q, (i) => sorted[i]!);
}

/**
 * Type-7 quantile from a sketch: `binLo`/`binHi` are the means of the bins holding order statistics floor(h) and
 * floor(h)+1 (0-based), `n` the count. The extreme order statistics are the exact min and max.
 */
export function sketchQuantile(
  q: number,
  n: number,
  binLo: number,
  binHi: number | null,
  min: number,
  max: number,
): number {
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const at = (rank: number, mean: number): number => {
    if (rank <= 0) return min;
    if (rank >= n - 1) return max;
    return Math.min(max, Math.max(min, mean));
  };
  const x = at(lo, binLo);
  if (lo + 1 >= n || binHi === null) return x;
  return x + (h - lo) * (at(lo + 1, binHi) - x);
}

/** Moments of a set of values: count, sum, M2 (sum of squared deviations from the mean), min, max. */
export interface Moments {
  n: number;
  sum: number;
  m2: number;
  min: number | null;
  max: number | null;
}

export const EMPTY_MOMENTS: Moments = { n: 0, sum: 0, m2: 0, min: null, max: null };

/** Chan et al.'s pairwise merge: exact up to float rounding, and stable (no sum-of-squares cancellation). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const delta = b.sum / b.n - a.sum / a.n;
  return {
    n,
    sum: a.sum + b.sum,
    m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n,
    min: Math.min(a.min!, b.min!),
    max: Math.max(a.max!, b.max!),
  };
}

export interface Stats {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Population standard deviation. */
  stddev: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Present (true) when the percentiles come from merged sketches, within 1 % of the exact values. */
  approximate?: true;
}

export function statsFrom(m: Moments, p: { p50: number | null; p95: number | null; p99: number | null }): Stats {
  if (m.n === 0) {
    return { count: 0, mean: null, min: null, max: null, stddev: null, p50: null, p95: null, p99: null };
  }
  // Values near the double range can make the sum or the variance overflow: such a figure is null (as JSON writes
  // a non-finite number), never Infinity or NaN.
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    count: m.n,
    mean: finite(m.sum / m.n),
    min: m.min,
    max: m.max,
    stddev: finite(Math.sqrt(Math.max(0, m.m2) / m.n)),
    p50: p.p50,
    p95: p.p95,
    p99: p.p99,
  };
}
