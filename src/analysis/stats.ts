// Statistical tests the analyses share, as pure functions. simple-statistics gives the moments, medians and the
// MAD; jStat gives the Student-t and normal CDFs that simple-statistics lacks (its tTest returns only t). Each
// function names its definition; stats.test.ts checks them against SciPy.
import jStat from 'jstat';
import * as ss from 'simple-statistics';

/** Two-sided p-value of a standard normal statistic. Uses the lower tail so that tiny p-values keep precision. */
export function normalTwoSided(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 1 : 0;
  return Math.min(1, 2 * jStat.normal.cdf(-Math.abs(z), 0, 1));
}

/** Two-sided p-value of a Student-t statistic with `df` degrees of freedom. */
export function tTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return 1;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
}

export interface LinearFit {
  /** y per unit of x. */
  slope: number;
  intercept: number;
  r2: number;
  /** Two-sided p-value of the slope (t = slope / SE, n − 2 degrees of freedom); 1 when it cannot be computed. */
  p: number;
  stderr: number;
}

/**
 * Ordinary least squares y = intercept + slope·x. x is centred before summing: epoch days are large and squaring
 * them uncentred loses digits. Same slope, p and SE as scipy.stats.linregress.
 */
export function linearFit(x: readonly number[], y: readonly number[]): LinearFit {
  const n = x.length;
  const mx = ss.mean(x as number[]);
  const my = ss.mean(y as number[]);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0, p: 1, stderr: Number.NaN };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const sse = Math.max(0, syy - slope * sxy);
  const r2 = syy === 0 ? 0 : 1 - sse / syy;
  if (n < 3) return { slope, intercept, r2, p: 1, stderr: Number.NaN };
  const stderr = Math.sqrt(sse / (n - 2) / sxx);
  const p = stderr === 0 ? (slope === 0 ? 1 : 0) : tTwoSided(slope / stderr, n - 2);
  return { slope, intercept, r2, p, stderr };
}

export interface MannKendall {
  /** Σ sign(y_j − y_i) over i < j. */
  s: number;
  /** Var(S) with the tie correction: [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 over groups of t tied values. */
  varS: number;
  z: number;
  /** Two-sided p-value from the normal approximation. */
  p: number;
  /** Kendall's tau-a: S / (n(n−1)/2). */
  tau: number;
}

/**
 * Mann–Kendall trend test (Mann 1945, Kendall 1975) on values in time order. With `continuity` (the default, as in
 * R's Kendall::MannKendall and pymannkendall) z = (S − sign(S)) / √Var(S); without it z = S / √Var(S), which is
 * what scipy.stats.kendalltau(range(n), y, method='asymptotic') reports. O(n²): callers bound n.
 */
export function mannKendall(y: readonly number[], continuity = true): MannKendall {
  const n = y.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const yi = y[i]!;
    for (let j = i + 1; j < n; j++) s += Math.sign(y[j]! - yi);
  }
  let ties = 0;
  const counts = new Map<number, number>();
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const t of counts.values()) if (t > 1) ties += t * (t - 1) * (2 * t + 5);
  const varS = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  const num = continuity ? s - Math.sign(s) : s;
  const z = varS > 0 ? num / Math.sqrt(varS) : 0;
  return { s, varS, z, p: varS > 0 ? normalTwoSided(z) : 1, tau: n > 1 ? s / ((n * (n - 1)) / 2) : 0 };
}

/**
 * Theil–Sen slope: the median of the pairwise slopes (y_j − y_i) / (x_j − x_i). O(n²) time: callers bound n. The
 * slopes go into one typed array and the median is selected in place (a month of hourly points is 260,000 slopes:
 * pushing them into an array and sorting a copy took 30 ms a series).
 */
export function senSlope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const slopes = scratch((n * (n - 1)) / 2);
  let m = 0;
  for (let i = 0; i < n - 1; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    for (let j = i + 1; j < n; j++) {
      const dx = x[j]! - xi;
      if (dx !== 0) slopes[m++] = (y[j]! - yi) / dx;
    }
  }
  return m ? medianInPlace(slopes, m) + 0 : 0; // + 0: a median of -0 reads 0
}

let scratchBuffer = new Float64Array(0);

/** A reusable buffer of at least `n` doubles (one allocation instead of one per series: less garbage to collect). */
function scratch(n: number): Float64Array {
  if (scratchBuffer.length < n) scratchBuffer = new Float64Array(Math.max(n, 2 * scratchBuffer.length));
  return scratchBuffer;
}

/** The median of a[0..n) (mean of the two middle values for even n); reorders a. */
export function medianInPlace(a: Float64Array, n: number): number {
  const k = (n - 1) >> 1;
  selectInPlace(a, 0, n - 1, k);
  if (n % 2 === 1) return a[k]!;
  // The upper middle value is the smallest of the part above k.
  let next = Infinity;
  for (let i = k + 1; i < n; i++) if (a[i]! < next) next = a[i]!;
  return (a[k]! + next) / 2;
}

/** Hoare's selection: afterwards a[k] is the k-th smallest of a[lo..hi], smaller ones before it, larger after. */
function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    // Median of three as the pivot keeps sorted and reversed input linear.
    const mid = (lo + hi) >> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z)); // the median of the three
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

export interface TwoSample {
  statistic: number;
  p: number;
  df?: number;
}

export interface SampleMoments {
  n: number;
  mean: number;
  /** Sample variance (divisor n − 1). */
  variance: number;
}

export interface WelchResult {
  t: number | null;
  df: number | null;
  /** Two-sided. */
  p_value: number | null;
}

/**
 * Welch's unequal-variance t-test from moments: t = (m1 − m2) / √(v1/n1 + v2/n2) with the Welch–Satterthwaite
 * degrees of freedom; two-sided p from the Student-t CDF. Null when a side has fewer than 2 values. When both
 * variances are 0, equal means give p = 1 and different means p = 0 (no overlap at all).
 */
export function welchTTest(x: SampleMoments, y: SampleMoments): WelchResult {
  if (x.n < 2 || y.n < 2) return { t: null, df: null, p_value: null };
  const sx = x.variance / x.n;
  const sy = y.variance / y.n;
  const se2 = sx + sy;
  if (se2 === 0) return { t: null, df: null, p_value: x.mean === y.mean ? 1 : 0 };
  const t = (x.mean - y.mean) / Math.sqrt(se2);
  const df = (se2 * se2) / ((sx * sx) / (x.n - 1) + (sy * sy) / (y.n - 1));
  return { t, df, p_value: tTwoSided(t, df) };
}

/** welchTTest on two samples of ≥ 2 values each; with no spread on either side t is ±∞ (0 for equal means). */
export function welchTest(a: readonly number[], b: readonly number[]): TwoSample {
  // sampleVariance throws below 2 values, so welchTTest's null for that case never arises here.
  const ma: SampleMoments = { n: a.length, mean: ss.mean(a as number[]), variance: ss.sampleVariance(a as number[]) };
  const mb: SampleMoments = { n: b.length, mean: ss.mean(b as number[]), variance: ss.sampleVariance(b as number[]) };
  const r = welchTTest(ma, mb);
  if (r.t === null || r.df === null) {
    // No spread on either side: p is 1 (equal means) or 0.
    return {
      statistic: r.p_value === 1 ? 0 : Math.sign(ma.mean - mb.mean) * Infinity,
      p: r.p_value!,
      df: a.length + b.length - 2,
    };
  }
  return { statistic: r.t, p: r.p_value!, df: r.df };
}

/**
 * Mann–Whitney U test (two-sided), normal approximation with the tie correction and a continuity correction of
 * 0.5, as scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True). `statistic` is U of `a`.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): TwoSample {
  const n1 = a.length;
  const n2 = b.length;
  const all = [...a.map((v) => [v, 0] as const), ...b.map((v) => [v, 1] as const)].sort((x, y) => x[0] - y[0]);
  const n = all.length;
  let r1 = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]![0] === all[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]![1] === 0) r1 += rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (!(sigma > 0)) return { statistic: u1, p: 1 };
  const d = u1 - mu;
  const z = Math.max(Math.abs(d) - 0.5, 0) / sigma;
  return { statistic: u1, p: normalTwoSided(z) };
}

/** Cohen's d with the pooled sample standard deviation; 0 when both samples are constant and equal. */
export function cohenD(a: readonly number[], b: readonly number[]): number {
  const pooled = Math.sqrt(
    ((a.length - 1) * ss.sampleVariance(a as number[]) + (b.length - 1) * ss.sampleVariance(b as number[])) /
      (a.length + b.length - 2),
  );
  const diff = ss.mean(a as number[]) - ss.mean(b as number[]);
  if (pooled === 0) return diff === 0 ? 0 : Math.sign(diff) * Infinity;
  return diff / pooled;
}

export interface RobustScale {
  median: number;
  /** σ estimate: 1.4826·MAD, or 1.2533·mean absolute deviation when the MAD is 0 (more than half the values tie). */
  sigma: number;
}

/** Median and a robust σ (Iglewicz & Hoaglin; the mean-absolute-deviation fallback follows notes §3). */
export function robustScale(x: readonly number[]): RobustScale {
  const median = ss.median(x as number[]);
  const mad = ss.medianAbsoluteDeviation(x as number[]);
  if (mad > 0) return { median, sigma: 1.4826 * mad };
  let sum = 0;
  for (const v of x) sum += Math.abs(v - median);
  return { median, sigma: 1.2533 * (sum / x.length) };
}

/** Trailing moving average over `w` values (fewer at the start). */
export function movingAverage(y: readonly number[], w: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    sum += y[i]!;
    if (i >= w) sum -= y[i - w]!;
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

/**
 * How surprising k failures out of n are when the failure probability is p, as a one-sided normal z: the binomial
 * tail P(X ≥ k) (or P(X ≤ k) for `low`) through the regularised incomplete beta function, I_p(k, n − k + 1) and
 * I_{1−p}(n − k, k + 1), which stays precise for tiny tails, then z = Φ⁻¹(1 − tail). 0 when k is on the other side.
 */
export function binomialTailZ(k: number, n: number, p: number, side: 'high' | 'low'): number {
  if (n <= 0) return 0;
  let tail: number;
  if (side === 'high') tail = k <= 0 ? 1 : p <= 0 ? 0 : p >= 1 ? 1 : jStat.ibeta(p, k, n - k + 1);
  else tail = k >= n ? 1 : p >= 1 ? 0 : p <= 0 ? 1 : jStat.ibeta(1 - p, n - k, k + 1);
  if (tail >= 0.5) return 0;
  if (tail <= 1e-300) return 37.5; // Φ⁻¹(1 − 1e-300) ≈ 37.0: beyond it the tail has no digits left
  return -jStat.normal.inv(tail, 0, 1);
}
