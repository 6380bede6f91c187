import fc from 'fast-check';
import * as ss from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import {
  type Moments,
  mergeMoments,
  quantileType7,
  SKETCH_RELATIVE_ERROR,
  sketchKey,
  sketchQuantile,
  statsFrom,
} from './stats.js';

const moments = (xs: number[]): Moments => ({
  n: xs.length,
  sum: ss.sum(xs),
  m2: xs.length ? ss.sumNthPowerDeviations(xs, 2) : 0,
  min: xs.length ? ss.min(xs) : null,
  max: xs.length ? ss.max(xs) : null,
});

describe('R type-7 percentiles', () => {
  // Values from R: quantile(c(10, 11, 12, 13, 14), c(.5, .95, .99), type = 7) and quantile(1:10, ...).
  it.each([
    [[10, 11, 12, 13, 14], 0.5, 12],
    [[10, 11, 12, 13, 14], 0.95, 13.8],
    [[10, 11, 12, 13, 14], 0.99, 13.96],
    [[10, 11, 12, 12, 13, 14], 0.95, 13.75],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5.5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 9.55],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99, 9.91],
    [[42], 0.99, 42],
  ])('quantile(%j, %d) = %d', (xs, q, expected) => {
    expect(quantileType7(xs, q)).toBeCloseTo(expected, 12);
  });
});

describe('merging moments', () => {
  it('equals the moments of the concatenation (Chan et al.)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 50 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 50 }),
        (a, b) => {
          const m = mergeMoments(moments(a), moments(b));
          const all = [...a, ...b];
          expect(m.n).toBe(all.length);
          if (all.length === 0) return;
          expect(m.min).toBe(ss.min(all));
          expect(m.max).toBe(ss.max(all));
          const scale = Math.max(1, ...all.map(Math.abs));
          expect(Math.abs(m.sum - ss.sum(all))).toBeLessThan(1e-9 * scale * all.length);
          const sd = statsFrom(m, { p50: null, p95: null, p99: null }).stddev!;
          expect(Math.abs(sd - ss.standardDeviation(all))).toBeLessThan(1e-7 * scale);
        },
      ),
    );
  });

  it('stays accurate when the spread is tiny against the mean (no sum-of-squares cancellation)', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 1e9 + (i % 10) * 1e-3);
    const half = mergeMoments(moments(xs.slice(0, 500)), moments(xs.slice(500)));
    const sd = statsFrom(half, { p50: null, p95: null, p99: null }).stddev!;
    expect(sd).toBeCloseTo(ss.standardDeviation(xs), 9);
  });
});

describe('the percentile sketch', () => {
  it('orders keys like values, zero and negatives included', () => {
    const xs = [-1e300, -5, -1e-300, 0, 5e-324, 1e-9, 1, 1.001, 5000, 1.7e308];
    const keys = xs.map(sketchKey);
    for (let i = 1; i < keys.length; i++) expect(keys[i]!).toBeGreaterThanOrEqual(keys[i - 1]!);
  });

  it('estimates type-7 percentiles within its relative bound from bin means', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.95, 0.99),
        (xs, q) => {
          const sorted = [...xs].sort((a, b) => a - b);
          const bins = new Map<number, { c: number; s: number }>();
          for (const x of xs) {
            const b = bins.get(sketchKey(x)) ?? { c: 0, s: 0 };
            b.c++;
            b.s += x;
            bins.set(sketchKey(x), b);
          }
          const ordered = [...bins.entries()].sort((a, b) => a[0] - b[0]);
          const meanAt = (rank: number): number | null => {
            let cum = 0;
            for (const [, b] of ordered) {
              cum += b.c;
              if (cum > rank) return b.s / b.c;
            }
            return null;
          };
          const h = (xs.length - 1) * q;
          const est = sketchQuantile(
            q,
            xs.length,
            meanAt(Math.floor(h))!,
            meanAt(Math.floor(h) + 1),
            sorted[0]!,
            sorted[sorted.length - 1]!,
          );
          const exact = quantileType7(sorted, q)!;
          expect(Math.abs(est - exact) / exact).toBeLessThanOrEqual(SKETCH_RELATIVE_ERROR + 1e-12);
        },
      ),
    );
  });

  it('is exact for a repeated value such as a 5000 ms timeout', () => {
    const est = sketchQuantile(0.99, 100, 5000, 5000, 10, 5000);
    expect(est).toBe(5000);
  });
});
