import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invalid } from '../errors.js';
import {
  bucketBoundaries,
  bucketBoundariesYielding,
  DAY_MS,
  HOUR_MS,
  MAX_BUCKETS,
  type Period,
  QUARTER_MS,
  slotFor,
} from './buckets.js';
import { formatMillis, parseRfc3339, parseTimeValue } from './parse.js';

const iso = (xs: number[]) => xs.map(formatMillis);

describe('bucket boundaries', () => {
  it('gives DST days in America/New_York 23 and 25 hours', () => {
    const spring = bucketBoundaries('day', 'America/New_York', Date.UTC(2026, 2, 8, 12), Date.UTC(2026, 2, 8, 13));
    expect(iso(spring)).toEqual(['2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z']);
    const fall = bucketBoundaries('day', 'America/New_York', Date.UTC(2026, 10, 1, 12), Date.UTC(2026, 10, 1, 13));
    expect(iso(fall)).toEqual(['2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z']);
  });

  it('gives DST days in Europe/Berlin 23 and 25 hours', () => {
    const spring = bucketBoundaries('day', 'Europe/Berlin', Date.UTC(2026, 2, 29, 12), Date.UTC(2026, 2, 29, 13));
    expect(spring[1]! - spring[0]!).toBe(23 * HOUR_MS);
    const fall = bucketBoundaries('day', 'Europe/Berlin', Date.UTC(2026, 9, 25, 12), Date.UTC(2026, 9, 25, 13));
    expect(fall[1]! - fall[0]!).toBe(25 * HOUR_MS);
  });

  it('starts hours in half-hour zones at :30 UTC and needs 15-minute slots there', () => {
    const b = bucketBoundaries('hour', 'Asia/Kolkata', Date.UTC(2026, 10, 21, 10, 15), Date.UTC(2026, 10, 21, 11, 45));
    expect(iso(b)).toEqual([
      '2026-11-21T09:30:00Z',
      '2026-11-21T10:30:00Z',
      '2026-11-21T11:30:00Z',
      '2026-11-21T12:30:00Z',
    ]);
    expect(slotFor(b)).toBe(QUARTER_MS);
    expect(slotFor(bucketBoundaries('day', 'Asia/Kathmandu', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 3)))).toBe(
      QUARTER_MS,
    );
    expect(slotFor(bucketBoundaries('day', 'Europe/Berlin', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 3)))).toBe(HOUR_MS);
  });

  it('falls back to no slot for historical local-mean-time offsets', () => {
    // Africa/Monrovia used UTC-0:44:30 until 1972.
    expect(slotFor(bucketBoundaries('day', 'Africa/Monrovia', Date.UTC(1971, 0, 1), Date.UTC(1971, 0, 3)))).toBe(0);
  });

  it('counts 25 hourly buckets on the fall-back day and 23 on the spring-forward day', () => {
    const fall = bucketBoundaries('hour', 'Europe/Berlin', Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23));
    expect(fall.length - 1).toBe(25);
    const spring = bucketBoundaries('hour', 'Europe/Berlin', Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22));
    expect(spring.length - 1).toBe(23);
  });

  it('starts weeks on Monday and months on the first in the zone, rounding start down and stop up', () => {
    expect(iso(bucketBoundaries('week', 'UTC', Date.UTC(2026, 10, 25), Date.UTC(2026, 10, 26)))).toEqual([
      '2026-11-23T00:00:00Z',
      '2026-11-30T00:00:00Z',
    ]);
    expect(iso(bucketBoundaries('month', 'America/New_York', Date.UTC(2026, 1, 10), Date.UTC(2026, 2, 10)))).toEqual([
      '2026-02-01T05:00:00Z',
      '2026-03-01T05:00:00Z',
      '2026-04-01T04:00:00Z',
    ]);
  });

  it('refuses ranges with too many buckets and empty ranges', () => {
    expect(() => bucketBoundaries('hour', 'UTC', 0, 30 * 365 * 86_400_000)).toThrow(/more than 20000/);
    expect(() => bucketBoundaries('hour', 'UTC', 10, 10)).toThrow(/stop must be after start/);
  });
});

describe('bucket boundaries of long ranges', () => {
  const longest: Record<Period, number> = { hour: HOUR_MS, day: 2 * DAY_MS, week: 8 * DAY_MS, month: 32 * DAY_MS };

  it('never makes a bucket longer than the bound the early refusal assumes, in any zone, also where a day was skipped or repeated', () => {
    const zones = [
      'UTC',
      'Europe/Berlin',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'Pacific/Chatham',
      'Pacific/Apia',
      'Pacific/Kwajalein',
      'America/Sitka',
      'Africa/Monrovia',
    ];
    const edges: [string, number][] = [
      ['Pacific/Apia', Date.UTC(2011, 11, 29)], // skipped 2011-12-30
      ['Pacific/Kwajalein', Date.UTC(1993, 7, 20)], // skipped a day
      ['America/Sitka', Date.UTC(1867, 9, 18)], // repeated a day
    ];
    for (const [tz, at] of edges) {
      for (const period of ['hour', 'day', 'week', 'month'] as const) {
        const b = bucketBoundaries(period, tz, at - 3 * DAY_MS, at + 3 * DAY_MS);
        for (let i = 1; i < b.length; i++)
          expect(b[i]! - b[i - 1]!, `${tz} ${period}`).toBeLessThanOrEqual(longest[period]);
      }
    }
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom<Period>('hour', 'day', 'week', 'month'),
        fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) }),
        (tz, period, at) => {
          const b = bucketBoundaries(period, tz, at, at + 1);
          expect(b[1]! - b[0]!).toBeLessThanOrEqual(longest[period]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a range that needs too many buckets even at their longest before walking it', () => {
    // Best of five timings of each, so that a busy machine pausing this process in one of them decides nothing.
    const best = (f: () => void): number => {
      let min = Infinity;
      for (let k = 0; k < 5; k++) {
        const t = performance.now();
        f();
        min = Math.min(min, performance.now() - t);
      }
      return min;
    };
    const refused = best(() => {
      expect(() => bucketBoundaries('day', 'Europe/Berlin', 0, 9e15)).toThrow(/more than 20000 day buckets/);
      expect(() => bucketBoundaries('hour', 'Europe/Berlin', 0, (MAX_BUCKETS + 1) * HOUR_MS)).toThrow(
        /more than 20000 hour buckets/,
      );
    });
    // Walking a tenth of the buckets takes longer than both refusals, which walking would have cost ten times as much.
    const walked = best(() => {
      expect(bucketBoundaries('hour', 'Europe/Berlin', 0, (MAX_BUCKETS / 10) * HOUR_MS)).toHaveLength(
        MAX_BUCKETS / 10 + 1,
      );
    });
    expect(refused).toBeLessThan(walked);
    // A caller's own cap (a chart's) is refused the same way, with the caller's error; just over a cap still counts.
    const cap = { max: 100, tooMany: () => invalid('over the chart cap') };
    expect(() => bucketBoundaries('week', 'UTC', 0, 9_214_646_400_000, cap)).toThrow(/over the chart cap/);
    expect(() => bucketBoundaries('hour', 'UTC', 0, 101 * HOUR_MS, cap)).toThrow(/over the chart cap/);
    expect(bucketBoundaries('hour', 'UTC', 0, 100 * HOUR_MS, cap)).toHaveLength(101);
  });

  it('gives the event loop a turn every few hundred buckets while walking, with the same boundaries', async () => {
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const start = Date.UTC(2026, 0, 1);
    const stop = start + 5000 * HOUR_MS;
    const yielded = await bucketBoundariesYielding('hour', 'Europe/Berlin', start, stop);
    counting = false;
    expect(yielded).toEqual(bucketBoundaries('hour', 'Europe/Berlin', start, stop));
    expect(turns).toBeGreaterThanOrEqual(15); // 5001 boundaries, a turn every 256
    await expect(bucketBoundariesYielding('hour', 'UTC', 0, 30 * 365 * DAY_MS)).rejects.toThrow(/more than 20000/);
  });
});

describe('time values', () => {
  it('parses RFC 3339 with offsets and fractions to microseconds, and epoch milliseconds', () => {
    expect(parseRfc3339('2026-11-21T10:00:00.123456789+01:30')).toBe(
      (Date.UTC(2026, 10, 21, 8, 30) + 123) * 1000 + 456,
    );
    expect(parseRfc3339('2026-11-21t10:00:00z')).toBe(Date.UTC(2026, 10, 21, 10) * 1000);
    expect(parseTimeValue('1795255200000')).toBe(1795255200000 * 1000);
    expect(parseTimeValue('1795255200000.5')).toBe(1795255200000500);
    expect(parseRfc3339('2026-02-31T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2026-11-21 10:00:00')).toBeNull();
    expect(formatMillis(Date.UTC(2026, 10, 21, 10, 0, 0, 5))).toBe('2026-11-21T10:00:00.005Z');
  });
});
