// Bucket boundaries in a time zone. Boundaries are computed here, in JavaScript with luxon (full ICU), and
// handed to the store as plain UTC instants: SQL never needs a time-zone function, which keeps day buckets
// fast in DuckDB (time_bucket over TIMESTAMPTZ with a day width is hundreds of times slower: `npm run
// bench:bucketing`, docs/performance.md) and makes both stores agree on DST days (23 or 25 hours) and half-hour zones.

import { DateTime } from 'luxon';
import { type AppError, invalid } from '../errors.js';
import { nextTurn } from '../event-loop.js';

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
/**
 * The longest a bucket of each period can be: an hour never exceeds one (see nextBucketStart); days, weeks and months
 * get room for DST and for the zones that once skipped or repeated a day.
 */
const LONGEST: Record<Period, number> = { hour: HOUR_MS, day: 2 * DAY_MS, week: 8 * DAY_MS, month: 32 * DAY_MS };

/** How many buckets a range may span, and the error for more (a caller such as a chart has its own). */
export interface BucketCap {
  max: number;
  tooMany: () => AppError;
}

const defaultCap = (period: Period): BucketCap => ({
  max: MAX_BUCKETS,
  tooMany: () =>
    invalid(`the range spans more than ${MAX_BUCKETS} ${period} buckets; narrow start/stop or use a longer period`),
});

/** The boundaries of bucketBoundaries one by one. */
function* walkBoundaries(
  period: Period,
  tz: string,
  startMs: number,
  stopMs: number,
  cap: BucketCap,
): Generator<number> {
  if (!(stopMs > startMs)) throw invalid('stop must be after start');
  // A range that needs too many buckets even at their longest is refused before the walk, which costs luxon
  // ~10-40 µs a bucket: 20,000 of them are a few hundred milliseconds. So the cost of a refusal never grows with
  // the span.
  if ((stopMs - startMs) / LONGEST[period] > cap.max) throw cap.tooMany();
  let cur = bucketStart(period, tz, startMs);
  yield cur;
  let n = 1;
  while (cur < stopMs) {
    cur = nextBucketStart(period, tz, cur);
    if (++n > cap.max + 1) throw cap.tooMany();
    yield cur;
  }
}

/**
 * Boundaries b0 < b1 < ... < bn of the buckets covering [startMs, stopMs): `start` rounds down and `stop` up to
 * bucket boundaries in `tz`. Bucket i is [b_i, b_{i+1}). More than `cap.max` buckets are refused.
 */
export function bucketBoundaries(
  period: Period,
  tz: string,
  startMs: number,
  stopMs: number,
  cap: BucketCap = defaultCap(period),
): number[] {
  return [...walkBoundaries(period, tz, startMs, stopMs, cap)];
}

/** Buckets computed between two turns of the event loop by bucketBoundariesYielding. */
const BOUNDARIES_PER_TURN = 256;

/**
 * bucketBoundaries for request handlers: it gives the event loop a turn every few hundred buckets, so that a range
 * of thousands of buckets does not hold up every other request (and /ping) while luxon works through it.
 */
export async function bucketBoundariesYielding(
  period: Period,
  tz: string,
  startMs: number,
  stopMs: number,
  cap: BucketCap = defaultCap(period),
): Promise<number[]> {
  const out: number[] = [];
  for (const b of walkBoundaries(period, tz, startMs, stopMs, cap)) {
    if (out.push(b) % BOUNDARIES_PER_TURN === 0) await nextTurn();
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
