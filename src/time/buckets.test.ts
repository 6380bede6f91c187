import { describe, expect, it } from 'vitest';
import { bucketBoundaries, HOUR_MS, QUARTER_MS, slotFor } from './buckets.js';
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
    expect(iso(b)).toEqual(['2026-11-21T09:30:00Z', '2026-11-21T10:30:00Z', '2026-11-21T11:30:00Z', '2026-11-21T12:30:00Z']);
    expect(slotFor(b)).toBe(QUARTER_MS);
    expect(slotFor(bucketBoundaries('day', 'Asia/Kathmandu', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 3)))).toBe(QUARTER_MS);
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

  it('refuses a range far over the cap before computing its buckets: the cost does not grow with the span', () => {
    const best = (f: () => void): number => {
      let min = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        f();
        min = Math.min(min, performance.now() - t);
      }
      return min;
    };
    // A quarter of the cap accepted, against a span of 2.5 million hours refused.
    const accepted = best(() => bucketBoundaries('hour', 'Europe/Berlin', 0, 5_000 * 3_600_000));
    const far = best(() => expect(() => bucketBoundaries('hour', 'Europe/Berlin', 0, 9_214_646_400_000)).toThrow(/more than 20000 hour/));
    expect(far).toBeLessThan(accepted / 10);
    expect(() => bucketBoundaries('week', 'UTC', 0, 9_214_646_400_000, 100)).toThrow(/more than 100 week/);
    // Just over the cap still counts exactly: 20,001 UTC hours are refused, 20,000 are not.
    expect(() => bucketBoundaries('hour', 'UTC', 0, 20_001 * 3_600_000)).toThrow(/more than 20000/);
    expect(bucketBoundaries('hour', 'UTC', 0, 20_000 * 3_600_000)).toHaveLength(20_001);
  });
});

describe('time values', () => {
  it('parses RFC 3339 with offsets and fractions to microseconds, and epoch milliseconds', () => {
    expect(parseRfc3339('2026-11-21T10:00:00.123456789+01:30')).toBe((Date.UTC(2026, 10, 21, 8, 30) + 123) * 1000 + 456);
    expect(parseRfc3339('2026-11-21t10:00:00z')).toBe(Date.UTC(2026, 10, 21, 10) * 1000);
    expect(parseTimeValue('1795255200000')).toBe(1795255200000 * 1000);
    expect(parseTimeValue('1795255200000.5')).toBe(1795255200000500);
    expect(parseRfc3339('2026-02-31T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2026-11-21 10:00:00')).toBeNull();
    expect(formatMillis(Date.UTC(2026, 10, 21, 10, 0, 0, 5))).toBe('2026-11-21T10:00:00.005Z');
  });
});
