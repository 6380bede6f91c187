import { describe, expect, it } from 'vitest';
import { gauss, mulberry32 } from '../../test/support/random.js';
import type { Point } from './series.js';
import { detectTrend, TREND_DEFAULTS, thin } from './trends.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const hourly = (values: number[]): Point[] => values.map((value, i) => ({ t: T0 + i * HOUR, value, n: 1 }));

describe('detectTrend', () => {
  it('finds throughput 100 + 5i increasing by 45 % (the original test) with the slope per day on time', () => {
    const t = detectTrend(hourly(Array.from({ length: 10 }, (_, i) => 100 + 5 * i)))!;
    expect(t.direction).toBe('increasing');
    expect(t.change_pct).toBeCloseTo(45, 9);
    // 5 per hourly bucket = 120 per day
    expect(t.slope_per_day).toBeCloseTo(120, 9);
    expect(t.p_value).toBeLessThan(0.001);
    expect(t.evidence.points).toBe(10);
    expect(t.evidence.window).toEqual({ start: '2026-11-01T00:00:00Z', end: '2026-11-01T09:00:00Z' });
  });

  it('finds latency 10 - 0.5i decreasing by 45 % and a constant series stable', () => {
    const down = detectTrend(hourly(Array.from({ length: 10 }, (_, i) => 10 - 0.5 * i)))!;
    expect(down.direction).toBe('decreasing');
    expect(down.change_pct).toBeCloseTo(-45, 9);
    const flat = detectTrend(hourly(Array(12).fill(1000)))!;
    expect(flat.direction).toBe('stable');
    expect(flat.change_pct).toBe(0);
    expect(flat.p_value).toBe(1);
  });

  it('measures the slope on time, not on the sample index, when buckets are missing', () => {
    // 2 per day, sampled on irregular days: index-based slopes would differ.
    const days = [0, 1, 2, 5, 6, 13, 14, 20, 27, 29];
    const pts = days.map((d) => ({ t: T0 + d * DAY, value: 50 + 2 * d, n: 3 }));
    const t = detectTrend(pts)!;
    expect(t.slope_per_day).toBeCloseTo(2, 9);
    expect(t.change_pct).toBeCloseTo((100 * 2 * 29) / 50, 9);
    expect(t.evidence.sen_slope_per_day).toBeCloseTo(2, 9);
    expect(t.evidence.results).toBe(30);
  });

  it('calls a significant but immaterial drift stable, and a material one a trend', () => {
    // +1 % over a week, very clean: significant, below 5 %.
    const r = mulberry32(7);
    const small = hourly(Array.from({ length: 168 }, (_, i) => 100 * (1 + (0.01 * i) / 167) + 0.05 * gauss(r)));
    const s = detectTrend(small)!;
    expect(s.p_value).toBeLessThan(TREND_DEFAULTS.alpha);
    expect(s.direction).toBe('stable');
    const big = hourly(Array.from({ length: 168 }, (_, i) => 100 * (1 + (0.2 * i) / 167) * (1 + 0.1 * gauss(r))));
    const b = detectTrend(big)!;
    expect(b.direction).toBe('increasing');
    expect(b.change_pct!).toBeGreaterThan(12);
    expect(b.change_pct!).toBeLessThan(28);
  });

  it('flags pure 10 % noise in at most a few percent of seeds', () => {
    let flagged = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const r = mulberry32(seed);
      const t = detectTrend(hourly(Array.from({ length: 72 }, () => 100 * (1 + 0.1 * gauss(r)))))!;
      if (t.direction !== 'stable') flagged++;
    }
    expect(flagged).toBeLessThanOrEqual(3);
  });

  it('needs enough points and gives a trailing moving average', () => {
    expect(detectTrend(hourly([1, 2, 3]))).toBeNull();
    const t = detectTrend(hourly([1, 2, 3, 4, 5, 6, 7, 8]), { ...TREND_DEFAULTS, maWindow: 2 })!;
    expect(t.moving_average.map((m) => m.value)).toEqual([1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    expect(t.moving_average[0]!.time).toBe('2026-11-01T00:00:00Z');
  });

  it('removes a daily cycle before judging: an 8 % rise under a ±25 % cycle is found, a flat cycle is not a trend', () => {
    const cyc = (h: number) => 1 + 0.25 * Math.cos((2 * Math.PI * h) / 24);
    let naive = 0;
    let aware = 0;
    let falseAlarms = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const r = mulberry32(seed);
      const rising = hourly(
        Array.from({ length: 72 }, (_, h) => 100 * (1 + (0.08 * h) / 71) * cyc(h) * (1 + 0.03 * gauss(r))),
      );
      if (detectTrend(rising)!.direction === 'increasing') naive++;
      const t = detectTrend(rising, { ...TREND_DEFAULTS, stepMs: HOUR })!;
      if (t.direction === 'increasing') aware++;
      expect(t.evidence.seasonal_strength!).toBeGreaterThan(0.8);
      const flat = hourly(Array.from({ length: 72 }, (_, h) => 100 * cyc(h) * (1 + 0.03 * gauss(r))));
      if (detectTrend(flat, { ...TREND_DEFAULTS, stepMs: HOUR })!.direction !== 'stable') falseAlarms++;
    }
    // Measured: 0 of 50 without removing the cycle (its variance hides the rise), 49 of 50 with it.
    expect(naive).toBeLessThanOrEqual(5);
    expect(aware).toBeGreaterThanOrEqual(45);
    expect(falseAlarms).toBeLessThanOrEqual(2);
  });

  it('thins a long moving average evenly and keeps its last point', () => {
    const xs = Array.from({ length: 744 }, (_, i) => i);
    const t = thin(xs, 250);
    expect(t.length).toBeLessThanOrEqual(250);
    expect(t.at(-1)).toBe(743);
    expect(t[1]! - t[0]!).toBe(3);
    expect(thin([1, 2, 3], 250)).toEqual([1, 2, 3]);
  });
});
