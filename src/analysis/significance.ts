// p-values the analyses report: Fisher's exact test (one-sided), an exact binomial test at p = 1/2, and the
// Benjamini–Hochberg and Holm adjustments (Welch's t-test is in stats.ts, beside the Student-t CDF). ln Γ comes
// from jStat; the tail sums are done here in log space so that tiny p-values stay accurate instead of cancelling
// to 0 as 1 − CDF would. Reference values in significance.test.ts are from SciPy 1.17.1.
import jStat from 'jstat';

const gammaln = (x: number): number => jStat.gammaln(x);

/** ln C(n, k). */
function lnChoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/**
 * Σ exp(lnTerm(x)) for x = from..to where the terms are unimodal in x (as pmfs of the hypergeometric and
 * binomial distributions are): stops once past the peak the terms fall below 1e-20 of the running sum.
 */
function tailSum(from: number, to: number, lnTerm: (x: number) => number): number {
  if (from > to) return 0;
  let maxL = lnTerm(from);
  let sum = 1; // scaled by exp(-maxL)
  let prev = maxL;
  for (let x = from + 1; x <= to; x++) {
    const l = lnTerm(x);
    if (l > maxL) {
      sum = sum * Math.exp(maxL - l) + 1;
      maxL = l;
    } else {
      sum += Math.exp(l - maxL);
      if (l < prev && l - maxL < -46) break; // decreasing and below e^-46 ≈ 1e-20 of the largest term
    }
    prev = l;
  }
  return Math.exp(maxL + Math.log(sum));
}

/**
 * Fisher's exact test, one-sided ("greater"), for the 2×2 table [[a, b], [c, d]]: the probability under
 * independence (hypergeometric, margins fixed) of a top-left count ≥ a. With rows = (this value, every other
 * value) and columns = (failed, passed), a small p says failures are over-represented at this value.
 */
export function fisherExactGreater(a: number, b: number, c: number, d: number): number {
  const n = a + b; // row total
  const k = a + c; // column total (failures)
  const N = a + b + c + d;
  if (N === 0 || n === 0 || k === 0) return 1;
  const lnDen = lnChoose(N, n);
  const hi = Math.min(n, k);
  const p = tailSum(a, hi, (x) => lnChoose(k, x) + lnChoose(N - k, n - x) - lnDen);
  return Math.min(1, p);
}

/** Exact two-sided binomial test of k successes in n trials against p = 1/2 (symmetric, so 2 × the smaller tail). */
export function binomialTestHalf(k: number, n: number): number {
  if (n === 0) return 1;
  const ln2n = n * Math.LN2;
  const lnPmf = (x: number): number => lnChoose(n, x) - ln2n;
  const lo = Math.min(k, n - k); // by symmetry P(X ≤ lo) = P(X ≥ n − lo)
  const tail = tailSum(0, lo, (i) => lnPmf(lo - i));
  return Math.min(1, 2 * tail);
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values) in the input order: q_(i) = min over j ≥ i of p_(j)·m/j,
 * capped at 1 (the step-up procedure; reject where q ≤ α controls the false discovery rate at α).
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const q = new Array<number>(m);
  let run = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [v, i] = order[r]!;
    run = Math.min(run, (v * m) / (r + 1));
    q[i] = run;
  }
  return q;
}

/**
 * Holm–Bonferroni adjusted p-values in the input order: the i-th smallest p times (m − i + 1), made monotone and
 * capped at 1 (rejecting where adjusted ≤ α controls the family-wise error rate at α).
 */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(m);
  let run = 0;
  order.forEach(([v, i], r) => {
    run = Math.max(run, Math.min(1, v * (m - r)));
    out[i] = run;
  });
  return out;
}
