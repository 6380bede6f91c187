// Change points in the mean of a series: binary segmentation (Scott & Knott 1974; among the best on the TCPD
// benchmark, notes §3) with a penalised normal cost and a confirmation test in the style of Hunter/Otava.
//
// In a segment, the best split is the one that lowers the sum of squared deviations most. It is kept when
//   1. the gain / σ² exceeds the penalty 3·ln(n) (a modified BIC; σ from the MAD of first differences, so a step
//      does not inflate it),
//   2. Welch's t-test between the two sides gives p ≤ alpha (default 0.001, Hunter's),
//   3. the means differ by at least minRelChange of the earlier one (default 2 %), and
//   4. both sides have at least minSize points;
// then both sides are searched again. Each change point is reported with the means before and after within its
// neighbouring segments.
import * as ss from 'simple-statistics';
import { welchTest } from './stats.js';

export interface ChangePointOptions {
  minSize: number;
  alpha: number;
  minRelChange: number;
  maxChangePoints: number;
}

export const CHANGE_POINT_DEFAULTS: ChangePointOptions = {
  minSize: 4,
  alpha: 0.001,
  minRelChange: 0.02,
  maxChangePoints: 10,
};

export interface ChangePoint {
  /** First index of the new segment. */
  index: number;
  before: number;
  after: number;
  p: number;
}

/** Robust noise σ from first differences: a step moves one difference only, so the MAD ignores it. */
export function noiseSigma(y: readonly number[]): number {
  if (y.length < 3) return 0;
  const d: number[] = [];
  for (let i = 1; i < y.length; i++) d.push(y[i]! - y[i - 1]!);
  const mad = ss.medianAbsoluteDeviation(d);
  if (mad > 0) return (1.4826 * mad) / Math.SQRT2;
  return ss.standardDeviation(d) / Math.SQRT2;
}

export function detectChangePoints(y: readonly number[], o: ChangePointOptions = CHANGE_POINT_DEFAULTS): ChangePoint[] {
  const n = y.length;
  if (n < 2 * o.minSize) return [];
  const sigma = noiseSigma(y);
  // A perfectly clean series (σ = 0): any split that passes the other tests is real.
  const penalty = 3 * Math.log(n) * sigma * sigma;
  const prefix = [0];
  const prefix2 = [0];
  for (const v of y) {
    prefix.push(prefix[prefix.length - 1]! + v);
    prefix2.push(prefix2[prefix2.length - 1]! + v * v);
  }
  const sse = (a: number, b: number): number => {
    const m = b - a;
    const s = prefix[b]! - prefix[a]!;
    return prefix2[b]! - prefix2[a]! - (s * s) / m;
  };
  const found: number[] = [];
  const stack: [number, number][] = [[0, n]];
  while (stack.length && found.length < o.maxChangePoints) {
    const [a, b] = stack.pop()!;
    if (b - a < 2 * o.minSize) continue;
    const whole = sse(a, b);
    let best = -1;
    let gain = 0;
    for (let k = a + o.minSize; k <= b - o.minSize; k++) {
      const g = whole - sse(a, k) - sse(k, b);
      if (g > gain) {
        gain = g;
        best = k;
      }
    }
    if (best < 0 || gain <= penalty) continue;
    const left = y.slice(a, best);
    const right = y.slice(best, b);
    const before = ss.mean(left);
    const after = ss.mean(right);
    const rel = before === 0 ? (after === 0 ? 0 : Infinity) : Math.abs(after - before) / Math.abs(before);
    if (rel < o.minRelChange) continue;
    if (welchTest(left, right).p > o.alpha) continue;
    found.push(best);
    stack.push([a, best], [best, b]);
  }
  found.sort((x, z) => x - z);
  // Means and p-values against the neighbouring segments of the final segmentation.
  const bounds = [0, ...found, n];
  return found.map((k, i) => {
    const left = y.slice(bounds[i]!, k);
    const right = y.slice(k, bounds[i + 2]!);
    return { index: k, before: ss.mean(left), after: ss.mean(right), p: welchTest(left, right).p };
  });
}
