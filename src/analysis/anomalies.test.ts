import { describe, expect, it } from 'vitest';
import { gauss, mulberry32 } from '../../test/support/random.js';
import { ANOMALY_DEFAULTS, type AnomalyOptions, detectAnomalies, robustZScores } from './anomalies.js';
import type { Point } from './series.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const at = (values: number[]): Point[] => values.map((value, i) => ({ t: T0 + i * HOUR, value, n: 1 }));
const opts = (o: Partial<AnomalyOptions> = {}): AnomalyOptions => ({ ...ANOMALY_DEFAULTS, stepMs: HOUR, ...o });

/** Flagged buckets' starts as hour offsets. */
const hours = (d: { anomalies: { time: number }[] }): number[] => d.anomalies.map((a) => (a.time - T0) / HOUR);
/** Point by point, as before episodes: every breaching bucket alone, no novelty bar, no warm-up. */
const pointwise = (o: Partial<AnomalyOptions> = {}): AnomalyOptions =>
  opts({ confirm: 1, novelty: 0, gap: 0, warmup: 0, ...o });

describe('robust z', () => {
  it('scores a clear outlier after 15 normal points (the original test) against the median and MAD before it', () => {
    const r = mulberry32(1);
    const normal = Array.from({ length: 15 }, () => 10 + gauss(r));
    const scores = robustZScores(at([...normal, 30]), opts());
    expect(scores.slice(0, 10).every((s) => s === null)).toBe(true);
    const a = scores[15]!;
    // Direct computation: the modified z-score of 30 against the 15 points before it.
    const sorted = [...normal].sort((x, y) => x - y);
    const med = sorted[7]!;
    const mad = [...normal.map((v) => Math.abs(v - med))].sort((x, y) => x - y)[7]!;
    expect(a.expected).toBeCloseTo(med, 12);
    expect(a.score).toBeCloseTo((30 - med) / (1.4826 * mad), 9);
    expect(a.side).toBe('high');
    // At the threshold of the original test (3.5; the default is 3 since 2026-12-07, which also flags hour 11 here
    // against its 11 points of history: point by point, nothing confirms a breach).
    expect(hours(detectAnomalies(at([...normal, 30]), pointwise({ threshold: 3.5 })))).toEqual([15]);
  });

  it('needs 10 points of history and ignores values within the threshold in robust sigmas', () => {
    expect(detectAnomalies(at([10, 11, 10, 9, 10, 50, 10, 11, 10, 9, 10]), pointwise()).anomalies).toHaveLength(0);
    // Point by point over 20 series of 100 normal points (1,800 scored): P(|z| > 3) is 0.27 % and P(|z| > 3.5)
    // 0.05 % for normal data, about 5 and 1 points; the rolling median and MAD of 10-64 points add some spread.
    for (const [threshold, most] of [
      [3, 15],
      [3.5, 10],
    ] as const) {
      const r = mulberry32(2);
      let falsePositives = 0;
      for (let seed = 0; seed < 20; seed++)
        falsePositives += detectAnomalies(
          at(Array.from({ length: 100 }, () => 100 + gauss(r))),
          pointwise({ threshold }),
        ).anomalies.length;
      expect(falsePositives, `threshold ${threshold}`).toBeLessThanOrEqual(most);
    }
    expect(ANOMALY_DEFAULTS.threshold).toBe(3);
  });

  it('handles a history that never moved (MAD 0) without dividing by zero', () => {
    const d = detectAnomalies(at([...Array(20).fill(100), 100.5, 150]), pointwise());
    expect(d.anomalies.map((a) => a.value)).toEqual([150]);
    expect(Number.isFinite(d.anomalies[0]!.score)).toBe(true);
  });
});

describe('episodes, confirmation and warm-up', () => {
  /** 200 hourly points of level 100 with 2 % noise. */
  const calm = (seed: number): number[] => {
    const r = mulberry32(seed);
    return Array.from({ length: 200 }, () => 100 * (1 + 0.02 * gauss(r)));
  };

  it('reports a level shift once, from its first bucket to its last, confirmed by persistence', () => {
    const y = calm(11);
    for (let i = 120; i < 130; i++) y[i] = y[i]! * 1.3;
    const d = detectAnomalies(at(y), opts({ method: 'robust_z' }));
    expect(d.anomalies).toHaveLength(1);
    const a = d.anomalies[0]!;
    expect((a.time - T0) / HOUR).toBe(120);
    expect((a.end - T0) / HOUR).toBe(129);
    expect(a.points).toBe(10);
    expect(a.side).toBe('high');
    // The peak is the bucket with the largest score inside the episode, and the value is that bucket's.
    expect(a.peakTime).toBeGreaterThanOrEqual(a.time);
    expect(a.peakTime).toBeLessThanOrEqual(a.end);
    expect(a.value).toBe(y[(a.peakTime - T0) / HOUR]);
    // Point by point (at 3.5, the default until 2026-12-07), the same shift was ten alerts.
    expect(detectAnomalies(at(y), pointwise({ method: 'robust_z', threshold: 3.5 })).anomalies).toHaveLength(10);
  });

  it('lists a single spike above the novelty bar and drops one that the series has matched before', () => {
    const y = calm(12);
    y[150] = 130; // a one-bucket spike, the first of its size
    const once = detectAnomalies(at(y), opts({ method: 'robust_z' }));
    expect(hours(once)).toEqual([150]);
    expect(once.anomalies[0]!.confirmedBy).toBe('novelty');
    // The same spike 20 hours after a bigger one: the bar (1.2 × the largest recent score) is above it, and one
    // bucket does not persist.
    const z = calm(12);
    z[130] = 140;
    z[150] = 130;
    const twice = detectAnomalies(at(z), opts({ method: 'robust_z' }));
    expect(hours(twice)).toEqual([130]);
    const bar = twice.anomalies[0]!.bar;
    expect(bar).toBeGreaterThanOrEqual(ANOMALY_DEFAULTS.threshold);
  });

  it('drops a short breach below the novelty bar that does not last `confirm` buckets, keeps one that does', () => {
    const base = calm(13);
    base[100] = 140; // sets the bar for the next 64 hours
    const short = [...base];
    for (let i = 120; i < 123; i++) short[i] = 125;
    expect(hours(detectAnomalies(at(short), opts({ method: 'robust_z' })))).toEqual([100]);
    const long = [...base];
    for (let i = 120; i < 128; i++) long[i] = 125;
    const d = detectAnomalies(at(long), opts({ method: 'robust_z' }));
    expect(hours(d)).toEqual([100, 120]);
    expect(d.anomalies[1]!.confirmedBy).toBe('persistence');
    expect(d.anomalies[1]!.points).toBe(8);
  });

  it('merges breaches up to `gap` buckets apart into one episode, and splits them beyond it', () => {
    const y = calm(14);
    for (const i of [120, 121, 122, 127, 128, 129]) y[i] = 130;
    expect(detectAnomalies(at(y), opts({ method: 'robust_z', gap: 5 })).anomalies.map((a) => a.points)).toEqual([6]);
    expect(
      detectAnomalies(at(y), opts({ method: 'robust_z', gap: 4, novelty: 0, confirm: 3 })).anomalies.map(
        (a) => a.points,
      ),
    ).toEqual([3, 3]);
  });

  it('never flags the warm-up: the first `history` buckets, or a quarter of a shorter series', () => {
    const y = calm(15);
    y[40] = 200;
    expect(hours(detectAnomalies(at(y), opts({ method: 'robust_z' })))).not.toContain(40);
    expect(hours(detectAnomalies(at(y), opts({ method: 'robust_z', warmup: 20 })))).toContain(40);
    // 100 points: the warm-up is 25.
    expect(hours(detectAnomalies(at(y.slice(0, 100)), opts({ method: 'robust_z' })))).toContain(40);
  });

  it('counts history, confirm and gap in hours for points finer than an hour', () => {
    const FIVE = 300_000;
    const r = mulberry32(16);
    const pts: Point[] = Array.from({ length: 12 * 100 }, (_, i) => ({
      t: T0 + i * FIVE,
      value: 100 * (1 + 0.02 * gauss(r)),
      n: 1,
    }));
    // A 20-minute shift (4 points) is shorter than the 6 hours (72 points) that confirm it; it is novel, though.
    for (let i = 900; i < 904; i++) pts[i] = { ...pts[i]!, value: 130 };
    const d = detectAnomalies(pts, { ...ANOMALY_DEFAULTS, stepMs: FIVE, method: 'robust_z' });
    expect(d.anomalies.map((a) => [(a.time - T0) / FIVE, a.points, a.confirmedBy])).toEqual([[900, 4, 'novelty']]);
    // The warm-up is a quarter of this 100-hour series, 25 hours (300 points): a spike at hour 20 is not judged.
    const early = detectAnomalies(
      pts.map((p, i) => (i === 240 ? { ...p, value: 200 } : i >= 900 && i < 904 ? { ...p, value: 100 } : p)),
      { ...ANOMALY_DEFAULTS, stepMs: FIVE, method: 'robust_z' },
    );
    expect(early.anomalies).toEqual([]);
  });
});

describe('seasonal series', () => {
  /** A week of hourly values with a ±25 % daily cycle, 3 % noise, and a spike of +40 % at hour 100. */
  function seasonalWeek(seed: number): Point[] {
    const r = mulberry32(seed);
    const y = Array.from(
      { length: 168 },
      (_, h) => 100 * (1 + 0.25 * Math.sin((2 * Math.PI * h) / 24)) * (1 + 0.03 * gauss(r)),
    );
    y[100] = y[100]! * 1.4;
    return at(y);
  }

  for (const method of ['auto', 'mstl'] as const) {
    it(`flags the spike and not the daily peaks (method ${method})`, () => {
      for (const seed of [1, 2, 3]) {
        const d = detectAnomalies(seasonalWeek(seed), opts({ method }));
        expect(d.method).toBe(method === 'auto' ? 'seasonal_mad' : 'mstl_mad');
        expect(d.seasonalStrength!).toBeGreaterThan(0.8);
        const peaks = d.anomalies.map((a) => (a.peakTime - T0) / HOUR);
        // The spike is the strongest bucket of its episode (a breach of the hours before it may open the episode).
        expect(peaks, `seed ${seed}`).toContain(100);
        expect(peaks.length, `seed ${seed}: ${peaks.join(',')}`).toBeLessThanOrEqual(2);
        const spike = d.anomalies.find((a) => a.peakTime === T0 + 100 * HOUR)!;
        expect((spike.end - spike.time) / HOUR, `seed ${seed}`).toBeLessThanOrEqual(6);
        // expected ≈ the daily profile at hour 100 (hour 4 of the day: 100·(1 + 0.25·sin(π/3)) ≈ 121.7)
        expect(spike.expected).toBeGreaterThan(110);
        expect(spike.expected).toBeLessThan(133);
      }
    });
  }

  it('robust z on the same series would call the daily peaks normal but miss nothing large', () => {
    const d = detectAnomalies(seasonalWeek(1), opts({ method: 'robust_z' }));
    expect(d.method).toBe('robust_z');
    // Every flagged point is the spike (the daily swing is within 3 robust sigma of a 64-hour history).
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
    const plain = detectAnomalies(pts, pointwise({ method: 'robust_z' }));
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
      if (detectAnomalies(at(Array.from({ length: 72 }, () => 100 + 5 * gauss(r))), opts()).method !== 'robust_z')
        seasonal++;
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
