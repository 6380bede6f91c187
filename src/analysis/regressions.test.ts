import { describe, expect, it } from 'vitest';
import { gauss, mulberry32 } from '../../test/random.js';
import { detectChangePoints, noiseSigma } from './changepoint.js';
import { detectRegression, type RegressionOptions, severityOf } from './regressions.js';
import { decompose, deseasonalize } from './seasonal.js';
import type { Point } from './series.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

/** A week of hourly means: level 100 with a ±25 % daily cycle, `noise` relative noise, times `factor` from `stepAt`. */
function week(seed: number, o: { noise?: number; stepAt?: number; factor?: number; cycle?: number } = {}): Point[] {
  const r = mulberry32(seed);
  return Array.from({ length: 168 }, (_, h) => {
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
    expect(detectChangePoints(y).map((c) => c.index).map((i) => Math.round(i / 5) * 5)).toEqual([40, 80]);
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
      // recent (all stepped) against a baseline that holds 23 stepped hours of 144: 1.2 / (1 + 0.2·23/144) − 1 ≈ 16.9 %
      expect(r.change_pct).toBeGreaterThan(10);
      expect(r.change_pct).toBeLessThan(25);
      expect(r.severity).toBe(r.change_pct >= 15 ? 'major' : 'minor');
      expect(r.p_value).toBeLessThan(0.01);
      expect(r.effect_size).toBeGreaterThan(0);
      const step = Date.parse(r.change_time!);
      expect(Math.abs(step - (T0 + 121 * HOUR)), `seed ${seed}: ${r.change_time}`).toBeLessThanOrEqual(3 * HOUR);
    }
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
