import { describe, expect, it } from 'vitest';
import { gauss, mulberry32 } from '../../test/random.js';
import { ANOMALY_DEFAULTS, type AnomalyOptions, detectAnomalies, robustZ } from './anomalies.js';
import type { Point } from './series.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const at = (values: number[]): Point[] => values.map((value, i) => ({ t: T0 + i * HOUR, value, n: 1 }));
const opts = (o: Partial<AnomalyOptions> = {}): AnomalyOptions => ({ ...ANOMALY_DEFAULTS, stepMs: HOUR, ...o });

describe('robust z', () => {
  it('flags a clear outlier after 15 normal points (the original test) with the median as expected value', () => {
    const r = mulberry32(1);
    const normal = Array.from({ length: 15 }, () => 10 + gauss(r));
    const found = robustZ(at([...normal, 30]), opts());
    expect(found).toHaveLength(1);
    const a = found[0]!;
    expect(a.time).toBe(T0 + 15 * HOUR);
    // Direct computation: the modified z-score of 30 against the 15 points before it.
    const sorted = [...normal].sort((x, y) => x - y);
    const med = sorted[7]!;
    const mad = [...normal.map((v) => Math.abs(v - med))].sort((x, y) => x - y)[7]!;
    expect(a.expected).toBeCloseTo(med, 12);
    expect(a.score).toBeCloseTo((30 - med) / (1.4826 * mad), 9);
    expect(a.score).toBeGreaterThan(0.7);
    expect(a.side).toBe('high');
  });

  it('needs 10 points of history and ignores values within 3.5 robust sigma', () => {
    expect(robustZ(at([10, 11, 10, 9, 10, 50, 10, 11, 10, 9, 10]), opts())).toHaveLength(0);
    const r = mulberry32(2);
    let falsePositives = 0;
    for (let seed = 0; seed < 20; seed++) falsePositives += robustZ(at(Array.from({ length: 100 }, () => 100 + gauss(r))), opts()).length;
    // P(|z| > 3.5) for normal data is ~0.05 %; the rolling median and MAD add some spread.
    expect(falsePositives).toBeLessThanOrEqual(10);
  });

  it('handles a history that never moved (MAD 0) without dividing by zero', () => {
    const found = robustZ(at([...Array(20).fill(100), 100.5, 150]), opts());
    expect(found.map((a) => a.value)).toEqual([150]);
    expect(Number.isFinite(found[0]!.score)).toBe(true);
  });
});

describe('seasonal series', () => {
  /** A week of hourly values with a ±25 % daily cycle, 3 % noise, and a spike of +40 % at hour 100. */
  function seasonalWeek(seed: number): Point[] {
    const r = mulberry32(seed);
    const y = Array.from({ length: 168 }, (_, h) => 100 * (1 + 0.25 * Math.sin((2 * Math.PI * h) / 24)) * (1 + 0.03 * gauss(r)));
    y[100] = y[100]! * 1.4;
    return at(y);
  }

  for (const method of ['auto', 'mstl'] as const) {
    it(`flags the spike and not the daily peaks (method ${method})`, () => {
      for (const seed of [1, 2, 3]) {
        const d = detectAnomalies(seasonalWeek(seed), opts({ method }));
        expect(d.method).toBe(method === 'auto' ? 'seasonal_mad' : 'mstl_mad');
        expect(d.seasonalStrength!).toBeGreaterThan(0.8);
        const times = d.anomalies.map((a) => (a.time - T0) / HOUR);
        expect(times, `seed ${seed}`).toContain(100);
        expect(times.length, `seed ${seed}: ${times.join(',')}`).toBeLessThanOrEqual(2);
        const spike = d.anomalies.find((a) => a.time === T0 + 100 * HOUR)!;
        // expected ≈ the daily profile at hour 100 (hour 4 of the day: 100·(1 + 0.25·sin(π/3)) ≈ 121.7)
        expect(spike.expected).toBeGreaterThan(110);
        expect(spike.expected).toBeLessThan(133);
      }
    });
  }

  it('robust z on the same series would call the daily peaks normal but miss nothing large', () => {
    const d = detectAnomalies(seasonalWeek(1), opts({ method: 'robust_z' }));
    expect(d.method).toBe('robust_z');
    // Every flagged point is the spike (the daily swing is within 3.5 robust sigma of a 64-hour history).
    expect(d.anomalies.every((a) => a.time === T0 + 100 * HOUR)).toBe(true);
  });

  it('uses robust z for a series without a cycle', () => {
    const r = mulberry32(9);
    const d = detectAnomalies(at(Array.from({ length: 168 }, () => 100 * (1 + 0.03 * gauss(r)))), opts());
    expect(d.method).toBe('robust_z');
    expect(d.seasonalStrength!).toBeLessThan(0.3);
  });
});

describe('rate series', () => {
  it('calls single failures among 60 probes noise and an outage an anomaly (binomial check)', () => {
    // Error rate per hour of 60 probes: mostly 0, one failure every 7th hour, a full outage at hour 50.
    const pts: Point[] = Array.from({ length: 72 }, (_, h) => ({
      t: T0 + h * HOUR,
      value: h === 50 ? 100 : h % 7 === 3 ? 100 / 60 : 0,
      n: 60,
    }));
    const plain = detectAnomalies(pts, opts({ method: 'robust_z' }));
    // Without the binomial check the MAD is 0 and every single failure looks infinitely unusual.
    expect(plain.anomalies.length).toBeGreaterThan(5);
    const d = detectAnomalies(pts, opts({ rate: 'error_rate', method: 'robust_z' }));
    expect(detectAnomalies(pts, opts({ rate: 'error_rate' })).anomalies.map((a) => (a.time - T0) / HOUR)).toEqual([50]);
    expect(d.anomalies.map((a) => (a.time - T0) / HOUR)).toEqual([50]);
    // 60 failures of 60 at a history rate of (k + 0.5) / (n + 1): far beyond 3.5.
    expect(d.anomalies[0]!.score).toBeGreaterThan(20);
    // The same outage as availability_pct.
    const avail = detectAnomalies(
      pts.map((p) => ({ ...p, value: 100 - p.value })),
      opts({ rate: 'availability_pct' }),
    );
    expect(avail.anomalies.map((a) => [(a.time - T0) / HOUR, a.side])).toEqual([[50, 'low']]);
  });
});

describe('guards against false alarms', () => {
  it('does not take noise over three days for a daily cycle', () => {
    let seasonal = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = mulberry32(seed);
      if (detectAnomalies(at(Array.from({ length: 72 }, () => 100 + 5 * gauss(r))), opts()).method !== 'robust_z') seasonal++;
    }
    expect(seasonal).toBe(0);
  });

  it('does not flag a bucket with a fraction of the usual results', () => {
    const pts: Point[] = Array.from({ length: 30 }, (_, h) => ({ t: T0 + h * HOUR, value: 100 + (h % 3), n: 60 }));
    pts.push({ t: T0 + 30 * HOUR, value: 160, n: 5 });
    pts.push({ t: T0 + 31 * HOUR, value: 160, n: 40 });
    expect(detectAnomalies(pts, opts()).anomalies.map((a) => (a.time - T0) / HOUR)).toEqual([31]);
  });
});
