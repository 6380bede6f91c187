import { describe, expect, it } from 'vitest';
import { relErr } from '../../test/support/helpers.js';
import { benjaminiHochberg, binomialTestHalf, fisherExactGreater } from './significance.js';
import { welchTTest } from './stats.js';

// Expected values from SciPy 1.17.1: stats.fisher_exact(table, alternative='greater'), stats.binomtest(k, n, 0.5),
// stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False), stats.false_discovery_control(p).
describe('significance tests match SciPy', () => {
  it("Fisher's exact test, one-sided", () => {
    expect(relErr(fisherExactGreater(12, 8, 30, 150), 6.256675058865305e-5)).toBeLessThan(1e-9);
    expect(relErr(fisherExactGreater(3, 1, 1, 3), 0.24285714285714283)).toBeLessThan(1e-9);
    expect(relErr(fisherExactGreater(40, 60, 100, 1800), 1.1942806011454396e-22)).toBeLessThan(1e-8);
    expect(fisherExactGreater(0, 20, 10, 90)).toBeCloseTo(1, 12);
    expect(fisherExactGreater(0, 0, 5, 5)).toBe(1);
  });

  it('the exact binomial test at one half', () => {
    expect(relErr(binomialTestHalf(15, 20), 0.04138946533203125)).toBeLessThan(1e-9);
    expect(binomialTestHalf(50, 100)).toBe(1);
    expect(relErr(binomialTestHalf(2, 30), 8.67992639541626e-7)).toBeLessThan(1e-9);
    expect(relErr(binomialTestHalf(28, 30), 8.67992639541626e-7)).toBeLessThan(1e-9);
  });

  it("Welch's t-test from moments", () => {
    const r = welchTTest({ n: 20, mean: 10, variance: 4 }, { n: 25, mean: 12, variance: 9 });
    expect(r.t).toBeCloseTo(-2.6726124191242437, 10);
    expect(relErr(r.p_value!, 0.010686816561632893)).toBeLessThan(1e-6);
    const s = welchTTest({ n: 5, mean: 100, variance: 225 }, { n: 8, mean: 101, variance: 900 });
    expect(relErr(s.p_value!, 0.9379584149402914)).toBeLessThan(1e-6);
    expect(welchTTest({ n: 1, mean: 1, variance: 0 }, { n: 5, mean: 1, variance: 1 }).p_value).toBeNull();
    expect(welchTTest({ n: 3, mean: 1, variance: 0 }, { n: 3, mean: 2, variance: 0 }).p_value).toBe(0);
  });

  it('Benjamini–Hochberg adjustment', () => {
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.2]);
    for (const [i, v] of [0.025, 0.05, 0.05, 0.025, 0.2].entries()) expect(q[i]).toBeCloseTo(v, 12);
    expect(benjaminiHochberg([])).toEqual([]);
  });
});
