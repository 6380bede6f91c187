// Bucket boundaries in a time zone. Boundaries are computed here, in JavaScript with luxon (full ICU), and
// handed to the store as plain UTC instants: SQL never needs a time-zone function, which keeps day buckets
// fast in DuckDB (notes/influxdb-and-rollups.md §3: time_bucket over TIMESTAMPTZ with a day width is ~30-100x
// slower) and makes both stores agree on DST days (23 or 25 hours) and half-hour zones.
import { DateTime } from 'luxon';
import { type AppError, invalid } from '../errors.js';

export type Period = 'hour' | 'day' | 'week' | 'month';
export const PERIODS: readonly Period[] = ['hour', 'day', 'week', 'month'];

export const HOUR_MS = 3_600_000;
export const QUARTER_MS = 900_000;
export const DAY_MS = 86_400_000;

/** The most buckets one query may span, so a request cannot make the service build an unbounded answer. */
export const MAX_BUCKETS = 20_000;

const UNIT: Record<Period, 'hour' | 'day' | 'week' | 'month'> = {
  hour: 'hour',
  day: 'day',
  week: 'week',
  month: 'month',
};

/** Start of the bucket of `period` in `tz` that contains instant `ms`. Weeks are ISO weeks (Monday). */
export function bucketStart(period: Period, tz: string, ms: number): number {
  return DateTime.fromMillis(ms, { zone: tz }).startOf(UNIT[period]).toMillis();
}

/** The start of the bucket after the one starting at `startMs`. */
export function nextBucketStart(period: Period, tz: string, startMs: number): number {
  const cur = DateTime.fromMillis(startMs, { zone: tz });
  // Hours: exact one-hour steps, re-aligned to local :00 so zones whose DST shift is 30 minutes (Lord Howe)
  // keep local-hour buckets. Days and longer: calendar steps, so DST days get 23 or 25 hours.
  let next =
    period === 'hour'
      ? cur.plus({ hours: 1 }).startOf('hour')
      : cur.plus({ [`${UNIT[period]}s`]: 1 }).startOf(UNIT[period]);
  if (next.toMillis() <= startMs) next = cur.plus({ hours: 1 });
  return next.toMillis();
}

/**
 * The longest a bucket of each period can be, DST shifts (30 minutes in Lord Howe) included: a range longer than
 * `max` of them certainly spans more than `max` buckets, which is refused before any boundary is computed.
 */
const LONGEST_MS: Record<Period, number> = {
  hour: 2 * HOUR_MS,
  day: 26 * HOUR_MS,
  week: 7 * DAY_MS + 2 * HOUR_MS,
  month: 31 * DAY_MS + 2 * HOUR_MS,
};

/**
 * Boundaries b0 < b1 < ... < bn of the buckets covering [startMs, stopMs): `start` rounds down and `stop` up to
 * bucket boundaries in `tz`. Bucket i is [b_i, b_{i+1}). More than `max` buckets are refused with `tooMany()`,
 * at a cost bounded by `max`, whatever the span.
 */
export function bucketBoundaries(
  period: Period,
  tz: string,
  startMs: number,
  stopMs: number,
  max = MAX_BUCKETS,
  tooMany: () => AppError = () =>
    invalid(`the range spans more than ${max} ${period} buckets; narrow start/stop or use a longer period`),
): number[] {
  if (!(stopMs > startMs)) throw invalid('stop must be after start');
  if ((stopMs - startMs) / LONGEST_MS[period] > max + 1) throw tooMany();
  const out = [bucketStart(period, tz, startMs)];
  let cur = out[0]!;
  while (cur < stopMs) {
    cur = nextBucketStart(period, tz, cur);
    out.push(cur);
    if (out.length > max + 1) throw tooMany();
  }
  return out;
}

/** Index i of the bucket [b_i, b_i+1) that holds instant `ms` (a binary search), or -1 outside [b_0, b_n). */
export function bucketIndex(boundaries: readonly number[], ms: number): number {
  if (ms < boundaries[0]! || ms >= boundaries[boundaries.length - 1]!) return -1;
  let lo = 0;
  let hi = boundaries.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (boundaries[mid]! <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The coarsest slot (1 hour or 15 minutes) of which every boundary is a whole multiple in UTC, or 0 when none is
 * (only historical local-mean-time offsets). Rollups are kept per UTC hour, so they can serve a query exactly when
 * its slot is one hour.
 */
export function slotFor(boundaries: readonly number[]): number {
  if (boundaries.every((b) => b % HOUR_MS === 0)) return HOUR_MS;
  if (boundaries.every((b) => b % QUARTER_MS === 0)) return QUARTER_MS;
  return 0;
}

/**
 * The coarsest slot (1 hour or 15 minutes) of which every boundary but the first and last is a whole multiple, or
 * 0. A range cut at the current minute (an analysis window, a report's range) still has whole hours inside: rows
 * map to buckets by their slot, the partial first and last slots belonging to the first and last bucket.
 */
export function interiorSlotFor(boundaries: readonly number[]): number {
  return slotFor([0, ...boundaries.slice(1, -1)]);
}

/** Floors `ms` to the UTC hour. */
export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const ceilHour = (ms: number): number => Math.ceil(ms / HOUR_MS) * HOUR_MS;

/** Day boundaries in `tz` covering [startMs, stopMs), for the daily rollup. */
export function dayBoundaries(tz: string, startMs: number, stopMs: number): number[] {
  const out = [bucketStart('day', tz, startMs)];
  while (out[out.length - 1]! < stopMs) out.push(nextBucketStart('day', tz, out[out.length - 1]!));
  return out;
}
