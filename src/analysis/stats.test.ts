import fc from 'fast-check';
// Each test's expected values come from SciPy 1.17.1 (the call is quoted next to them) or from the definition.
import { describe, expect, it } from 'vitest';
import {
  binomialTailZ,
  cohenD,
  linearFit,
  mannKendall,
  mannWhitney,
  movingAverage,
  normalTwoSided,
  robustScale,
  senSlope,
  tTwoSided,
  welchTest,
} from './stats.js';

describe('p-values', () => {
  it('match the normal and Student-t tails', () => {
    expect(normalTwoSided(1.959964)).toBeCloseTo(0.05, 6);
    // 2 * scipy.stats.t.sf(5, 8)
    expect(tTwoSided(-5, 8)).toBeCloseTo(0.0010528257933665399, 10);
    // 2 * scipy.stats.norm.sf(8) = 1.2441921148543639e-15; jStat keeps it to ~2 %
    expect(Math.abs(normalTwoSided(8) / 1.2441921148543639e-15 - 1)).toBeLessThan(0.03);
  });
});

describe('linearFit', () => {
  it('matches scipy.stats.linregress', () => {
    // linregress([0..6], [1.0,2.1,2.9,4.2,4.8,6.1,7.0]): slope 0.9964285714285713, p 3.183088305083619e-07
    const f = linearFit([0, 1, 2, 3, 4, 5, 6], [1.0, 2.1, 2.9, 4.2, 4.8, 6.1, 7.0]);
    expect(f.slope).toBeCloseTo(0.9964285714285713, 12);
    expect(f.intercept).toBeCloseTo(1.0250000000000004, 12);
    expect(f.stderr).toBeCloseTo(0.027802143508613448, 12);
    expect(f.p / 3.183088305083619e-7).toBeCloseTo(1, 6);
  });

  it('keeps its digits on epoch-day x values', () => {
    // x = 0, 0.5, ..., 9.5 and y = 2 + 0.3x + sin(x): linregress slope 0.29784505579306164, p 2.997356064948133e-05
    const x = Array.from({ length: 20 }, (_, i) => i * 0.5);
    const y = x.map((v) => 2 + 0.3 * v + Math.sin(v));
    const shifted = linearFit(
      x.map((v) => v + 20_000),
      y,
    );
    expect(shifted.slope).toBeCloseTo(0.29784505579306164, 10);
    expect(shifted.p / 2.997356064948133e-5).toBeCloseTo(1, 5);
  });
});

describe('mannKendall', () => {
  it('gives S, Var(S) and p from the definition for a monotone series (original test: 100 + 5i)', () => {
    const mk = mannKendall(
      Array.from({ length: 10 }, (_, i) => 100 + 5 * i),
      false,
    );
    expect(mk.s).toBe(45);
    expect(mk.varS).toBeCloseTo((10 * 9 * 25) / 18, 12);
    // scipy.stats.kendalltau(range(10), y, method='asymptotic').pvalue
    expect(mk.p / 5.699411623331837e-5).toBeCloseTo(1, 6);
    expect(mk.tau).toBe(1);
  });

  it('corrects the variance for ties', () => {
    const y = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
    // kendalltau(range(15), y, method='asymptotic').pvalue = 0.005897186558082171 (tie-corrected, no continuity)
    expect(mannKendall(y, false).p / 0.005897186558082171).toBeCloseTo(1, 6);
    // With continuity correction the statistic shrinks by one: p grows.
    expect(mannKendall(y).p).toBeGreaterThan(0.005897186558082171);
  });

  it('finds no trend in a constant series', () => {
    expect(mannKendall([5, 5, 5, 5, 5]).p).toBe(1);
  });
});

describe('two-sample tests', () => {
  it('Welch matches scipy.stats.ttest_ind(equal_var=False)', () => {
    const w = welchTest([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(w.statistic).toBeCloseTo(-5, 12);
    expect(w.df).toBeCloseTo(8, 12);
    expect(w.p).toBeCloseTo(0.0010528257933665399, 12);
    const w2 = welchTest([10.1, 9.8, 10.3, 10.0, 9.9, 10.2], [11.0, 11.4, 10.9, 11.2, 11.1]);
    expect(w2.statistic).toBeCloseTo(-9.301417784185924, 9);
    expect(w2.df).toBeCloseTo(8.544345657595139, 9);
    expect(w2.p / 9.328479835741344e-6).toBeCloseTo(1, 6);
  });

  it('Mann-Whitney matches scipy.stats.mannwhitneyu(method="asymptotic")', () => {
    const m = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(m.statistic).toBe(0);
    expect(m.p).toBeCloseTo(0.012185780355344813, 12);
    const t = mannWhitney([1, 2, 2, 3, 4, 4, 5], [3, 4, 5, 5, 6, 7]);
    expect(t.statistic).toBe(6.5);
    expect(t.p).toBeCloseTo(0.0425549553063913, 12);
  });

  it('Cohen d uses the pooled sample standard deviation', () => {
    // means 3 and 8, both sample variances 2.5: d = -5 / sqrt(2.5)
    expect(cohenD([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBeCloseTo(-5 / Math.sqrt(2.5), 12);
  });
});

describe('robust scale and smoothing', () => {
  it('scales the MAD by 1.4826 and falls back to the mean absolute deviation', () => {
    const r = robustScale([1, 2, 3, 4, 100]);
    expect(r.median).toBe(3);
    expect(r.sigma).toBeCloseTo(1.4826 * 1, 12);
    const tied = robustScale([5, 5, 5, 5, 5, 5, 9]);
    expect(tied.sigma).toBeCloseTo((1.2533 * 4) / 7, 12);
  });

  it('Theil-Sen ignores one outlier; the moving average trails', () => {
    expect(senSlope([0, 1, 2, 3, 4], [0, 2, 4, 60, 8])).toBe(2);
    expect(movingAverage([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
  });

  it('Theil-Sen equals the median of every pairwise slope, sorted directly (ties, repeated x, even and odd counts)', () => {
    const pointsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -5, max: 5 })), {
      minLength: 2,
      maxLength: 60,
    });
    fc.assert(
      fc.property(pointsArb, (pts) => {
        const x = pts.map((p) => p[0]);
        const y = pts.map((p) => p[1]);
        const slopes: number[] = [];
        for (let i = 0; i < x.length; i++)
          for (let j = i + 1; j < x.length; j++) if (x[j] !== x[i]) slopes.push((y[j]! - y[i]!) / (x[j]! - x[i]!));
        slopes.sort((a, b) => a - b);
        const m = slopes.length;
        const want = m === 0 ? 0 : m % 2 ? slopes[(m - 1) / 2]! : (slopes[m / 2 - 1]! + slopes[m / 2]!) / 2;
        expect(senSlope(x, y)).toBe(want + 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('binomialTailZ', () => {
  it('matches the binomial tails of SciPy as normal z-scores', () => {
    // -norm.ppf(binom.sf(3, 60, 0.004)): P(X >= 4) = 1.0439392858677055e-4
    expect(binomialTailZ(4, 60, 0.004, 'high')).toBeCloseTo(3.7081392276474343, 6);
    // -norm.ppf(binom.sf(59, 60, 0.004)): P(X >= 60) = 1.33e-144, far in the tail (jStat's inverse keeps ~0.2 % there)
    expect(Math.abs(binomialTailZ(60, 60, 0.004, 'high') - 25.57832865586711)).toBeLessThan(0.1);
    // -norm.ppf(binom.cdf(40, 60, 0.9)): P(X <= 40) = 7.82e-7
    expect(binomialTailZ(40, 60, 0.9, 'low')).toBeCloseTo(4.802813724441884, 5);
    expect(binomialTailZ(0, 60, 0.004, 'high')).toBe(0);
  });
});
