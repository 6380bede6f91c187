import { describe, expect, it } from 'vitest';
import { gauss, mulberry32 } from '../../test/support/random.js';
import { detectChangePoints, noiseSigma } from './changepoint.js';
import { detectRegression, type RegressionOptions, severityOf } from './regressions.js';
import { decompose, deseasonalize } from './seasonal.js';
import type { Point } from './series.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

/** A week of hourly means: level 100 with a ±25 % daily cycle, `noise` relative noise, times `factor` from `stepAt`. */
function week(
  seed: number,
  o: { noise?: number; stepAt?: number; factor?: number; cycle?: number; hours?: number } = {},
): Point[] {
  const r = mulberry32(seed);
  return Array.from({ length: o.hours ?? 168 }, (_, h) => {
    const daily = 1 + (o.cycle ?? 0.25) * Math.sin((2 * Math.PI * h) / 24);
    const step = o.stepAt !== undefined && h >= o.stepAt ? (o.factor ?? 1) : 1;
    return { t: T0 + h * HOUR, value: 100 * daily * step * (1 + (o.noise ?? 0.1) * gauss(r)), n: 60 };
  });
}

const recentStart = T0 + 144 * HOUR; // the last 24 h
const opts = (o: Partial<RegressionOptions> = {}): RegressionOptions => ({
  recentStart,
  higherIsBetter: false,
  alpha: 0.01,
  test: 'welch',
  stepMs: HOUR,
  ...o,
});

describe('change points', () => {
  it('finds a step at its index', () => {
    const r = mulberry32(3);
    const y = Array.from({ length: 100 }, (_, i) => (i >= 60 ? 105 : 100) + gauss(r));
    const cps = detectChangePoints(y);
    expect(cps).toHaveLength(1);
    expect(Math.abs(cps[0]!.index - 60)).toBeLessThanOrEqual(2);
    expect(cps[0]!.after - cps[0]!.before).toBeCloseTo(5, 0);
  });

  it('finds two steps and none in noise', () => {
    const r = mulberry32(4);
    const y = Array.from({ length: 120 }, (_, i) => (i >= 40 && i < 80 ? 110 : 100) + 2 * gauss(r));
    expect(
      detectChangePoints(y)
        .map((c) => c.index)
        .map((i) => Math.round(i / 5) * 5),
    ).toEqual([40, 80]);
    let spurious = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const rr = mulberry32(seed);
      spurious += detectChangePoints(Array.from({ length: 120 }, () => 100 + 2 * gauss(rr))).length;
    }
    expect(spurious).toBeLessThanOrEqual(2);
  });

  it('estimates the noise from differences, not inflated by a step', () => {
    const r = mulberry32(5);
    const y = Array.from({ length: 400 }, (_, i) => (i >= 200 ? 150 : 100) + 3 * gauss(r));
    expect(noiseSigma(y)).toBeGreaterThan(2.5);
    expect(noiseSigma(y)).toBeLessThan(3.5);
  });
});

describe('seasonal decomposition', () => {
  it('measures a strong daily cycle and removes it', () => {
    const pts = week(1, { noise: 0.02 });
    const d = decompose(
      pts.map((p) => p.value),
      24,
    )!;
    expect(d.strength).toBeGreaterThan(0.9);
    // The profile follows the planted sine: peak near hour 6, amplitude ~25.
    expect(d.seasonal[6]!).toBeGreaterThan(20);
    expect(d.seasonal[18]!).toBeLessThan(-20);
    const flat = deseasonalize(pts, HOUR);
    const spread = Math.max(...flat.values) - Math.min(...flat.values);
    expect(spread).toBeLessThan(30);
    expect(deseasonalize(week(2, { cycle: 0 }), HOUR).strength!).toBeLessThan(0.3);
  });
});

describe('detectRegression', () => {
  it('finds a planted 20 % latency regression as worse, with the step time within 3 hours', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const out = detectRegression(week(seed, { stepAt: 121, factor: 1.2 }), opts());
      expect(out.listed, `seed ${seed}`).toBe(true);
      if (!out.listed) continue;
      const r = out.regression;
      expect(r.direction).toBe('worse');
      expect(r.evidence.basis).toBe('change_point');
      // Measured at the step: 20 % within the noise, not diluted by the stepped hours inside a 24 h baseline.
      expect(r.change_pct).toBeGreaterThan(15);
      expect(r.change_pct).toBeLessThan(25);
      expect(r.severity).toBe('major');
      expect(r.p_value).toBeLessThan(0.01);
      expect(r.effect_size).toBeGreaterThan(0);
      const step = Date.parse(r.change_time!);
      expect(Math.abs(step - (T0 + 121 * HOUR)), `seed ${seed}: ${r.change_time}`).toBeLessThanOrEqual(3 * HOUR);
    }
  });

  it('measures a 20 % step at 10, 50 and 90 % of a two-week window as major, worse up and better down', () => {
    const hours = 336;
    for (const at of [0.1, 0.5, 0.9]) {
      for (const [factor, direction] of [
        [1.2, 'worse'],
        [0.8, 'better'],
      ] as const) {
        for (const seed of [1, 2, 3]) {
          const stepAt = Math.round(at * hours);
          const pts = week(seed, { hours, stepAt, factor, noise: 0.05 });
          const out = detectRegression(pts, opts({ recentStart: T0 + (hours - 24) * HOUR }));
          const what = `step at ${at * 100} %, factor ${factor.toFixed(3)}, seed ${seed}`;
          expect(out.listed, what).toBe(true);
          if (!out.listed) continue;
          const r = out.regression;
          expect(r.evidence.basis, what).toBe('change_point');
          expect(r.direction, what).toBe(direction);
          expect(r.severity, what).toBe('major');
          expect(Math.abs(Date.parse(r.change_time!) - (T0 + stepAt * HOUR)), what).toBeLessThanOrEqual(3 * HOUR);
          // Direct computation: the means of the deseasonalised values before and after the reported change.
          const ds = deseasonalize(pts, HOUR).values;
          const k = pts.findIndex((p) => p.t === Date.parse(r.change_time!));
          const before = ds.slice(0, k).reduce((a, b) => a + b, 0) / k;
          const after = ds.slice(k).reduce((a, b) => a + b, 0) / (ds.length - k);
          expect(r.change_pct, what).toBeCloseTo((100 * (after - before)) / before, 9);
          expect(r.evidence.baseline.points, what).toBe(k);
          expect(r.evidence.recent.points, what).toBe(hours - k);
          expect(r.evidence.recent.end, what).toBe(new Date(T0 + (hours - 1) * HOUR).toISOString().replace('.000', ''));
          // (factor − 1) within the noise: 20 % up or down.
          expect(Math.abs(r.change_pct - 100 * (factor - 1)), what).toBeLessThan(3);
        }
      }
    }
  });

  it('takes two steps the same way as one move: from before the first to after the last', () => {
    const hours = 336;
    const pts = week(4, { hours, stepAt: 100, factor: 1.15, noise: 0.04 }).map((p, h) =>
      h >= 220 ? { ...p, value: p.value * 1.1 } : p,
    );
    const out = detectRegression(pts, opts({ recentStart: T0 + (hours - 24) * HOUR }));
    expect(out.listed).toBe(true);
    if (!out.listed) return;
    const r = out.regression;
    expect(r.evidence.change_points.length).toBeGreaterThanOrEqual(2);
    expect(Math.abs(Date.parse(r.change_time!) - (T0 + 100 * HOUR))).toBeLessThanOrEqual(3 * HOUR);
    // 1.15 × 1.10 − 1 = 26.5 %, within the noise.
    expect(Math.abs(r.change_pct - 26.5)).toBeLessThan(3);
    expect(r.severity).toBe('major');
  });

  it('compares the last 24 h with the rest when there is no change point', () => {
    // An 8 % shift in the last day of 10 % noise: often too small for a change point (Welch p ≤ 0.001 and the
    // BIC penalty), yet significant at 0.01 over 24 points; those seeds fall back to the window comparison.
    let listedByWindow = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const out = detectRegression(week(seed, { stepAt: 144, factor: 1.08, noise: 0.1 }), opts());
      if (out.listed && out.regression.evidence.basis === 'recent_window') {
        listedByWindow++;
        expect(out.regression.change_time).toBeNull();
        expect(out.regression.evidence.recent.start).toBe(new Date(recentStart).toISOString().replace('.000', ''));
      }
    }
    expect(listedByWindow).toBeGreaterThan(0);
  });

  it('knows which way is worse per metric', () => {
    const drop = week(7, { stepAt: 144, factor: 0.8 });
    const asLatency = detectRegression(drop, opts());
    const asThroughput = detectRegression(drop, opts({ higherIsBetter: true }));
    expect(asLatency.listed && asLatency.regression.direction).toBe('better');
    expect(asThroughput.listed && asThroughput.regression.direction).toBe('worse');
    expect(asThroughput.listed && asThroughput.regression.severity).toBe('major');
    const rise = detectRegression(week(8, { stepAt: 144, factor: 1.5 }), opts({ test: 'mann-whitney' }));
    expect(rise.listed && rise.regression.severity).toBe('critical');
    expect(rise.listed && rise.regression.evidence.test).toBe('mann-whitney');
  });

  it('flags 10 % noise with no change at p < 0.01 in at most a few percent of seeds', () => {
    let flagged = 0;
    for (let seed = 100; seed < 200; seed++) if (detectRegression(week(seed), opts()).listed) flagged++;
    expect(flagged).toBeLessThanOrEqual(3);
  });

  it('needs enough data on both sides, and grades severity at 5, 15 and 30 %', () => {
    const short = detectRegression(week(9).slice(140), opts());
    expect(short.listed).toBe(false);
    expect(severityOf(4.99)).toBeNull();
    expect(severityOf(5)).toBe('minor');
    expect(severityOf(-15)).toBe('major');
    expect(severityOf(30)).toBe('critical');
  });
});
