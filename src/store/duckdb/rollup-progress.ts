// The rollup state machine of the DuckDB store: what the next bounded step rolls up (hours and days that took late
// writes, then new closed hours, then new closed days once all their hours are in) and how the watermarks move.
// Each step runs inside the writer's transaction (index.ts); the SQL of rolling up one run of buckets is rollup.ts.

import type { WriteBatch } from '../../model/result.js';
import { bucketStart, floorHour, HOUR_MS, nextBucketStart } from '../../time/buckets.js';
import { type Range, runs } from '../../time/ranges.js';
import { type DuckDBConnection, queryRows } from './db.js';
import { rollupRun } from './rollup.js';
import { writeMeta } from './schema.js';
import { ParamBag } from './sql.js';

/** Up to where hours and days are rolled up (ms, null before the first rollup), and the oldest raw time kept. */
export interface RollupMarks {
  hourly: number | null;
  daily: number | null;
  rawFloor: number;
}

/** Hours rolled up per transaction, so a long backlog never holds the writer for long. */
export const HOURS_PER_STEP = 24;
const DAYS_PER_STEP = 7;
const DIRTY_PER_STEP = 240;

export interface StepResult {
  hours: number;
  days: number;
  done: boolean;
}

/** One bounded unit of rollup work, inside a transaction. */
export async function rollupStep(
  conn: DuckDBConnection,
  tz: string,
  marks: RollupMarks,
  nowMs: number,
  budget: DirtyBudget = { hours: Infinity, days: Infinity },
): Promise<StepResult> {
  // 1. Hours that took late writes.
  const dirtyHours = await dirtyBuckets(conn, 'hour', Math.min(DIRTY_PER_STEP, budget.hours));
  budget.hours -= dirtyHours.length;
  if (dirtyHours.length > 0) {
    for (const run of runs(dirtyHours, (h) => h + HOUR_MS)) await rollupRun(conn, 'hour', hourBoundaries(run));
    await clearDirty(conn, 'hour', dirtyHours);
    await bumpGeneration(conn);
    return { hours: dirtyHours.length, days: 0, done: false };
  }
  // 2. New closed hours.
  const target = floorHour(nowMs);
  if (marks.hourly === null) {
    const first = await firstDataAfter(conn, 0);
    if (first === null) return { hours: 0, days: 0, done: true };
    marks.hourly = floorHour(first);
    await writeMeta(conn, 'hourly_watermark', String(marks.hourly));
  }
  if (marks.hourly < target) {
    const next = await firstDataAfter(conn, marks.hourly);
    let from = marks.hourly;
    let to = target;
    let n = 0;
    if (next !== null && next < target) {
      from = Math.max(from, floorHour(next));
      to = Math.min(target, from + HOURS_PER_STEP * HOUR_MS);
      await rollupRun(conn, 'hour', hourBoundaries([from, to]));
      n = (to - from) / HOUR_MS;
    }
    marks.hourly = to;
    await writeMeta(conn, 'hourly_watermark', String(to));
    return { hours: n, days: 0, done: false };
  }
  // 3. Days that took late writes.
  const dirtyDays = await dirtyBuckets(conn, 'day', Math.min(DAYS_PER_STEP, budget.days));
  budget.days -= dirtyDays.length;
  if (dirtyDays.length > 0) {
    for (const d of dirtyDays) await rollupRun(conn, 'day', [d, nextBucketStart('day', tz, d)]);
    await clearDirty(conn, 'day', dirtyDays);
    await bumpGeneration(conn);
    return { hours: 0, days: dirtyDays.length, done: false };
  }
  // 4. New closed days: a day is rolled up once all of its hours are.
  if (marks.daily === null) {
    const first = await firstDataAfter(conn, 0);
    if (first === null) return { hours: 0, days: 0, done: true };
    marks.daily = bucketStart('day', tz, first);
    await writeMeta(conn, 'daily_watermark', String(marks.daily));
  }
  const hw = marks.hourly;
  if (nextBucketStart('day', tz, marks.daily) <= hw) {
    const next = await firstDataAfter(conn, marks.daily);
    let from = marks.daily;
    if (next !== null && next < hw) from = Math.max(from, bucketStart('day', tz, next));
    else {
      // Nothing to roll up before the hourly watermark: jump to its last day boundary.
      from = bucketStart('day', tz, hw - 1);
      if (nextBucketStart('day', tz, from) <= hw) from = nextBucketStart('day', tz, from);
      marks.daily = Math.max(marks.daily, from);
      await writeMeta(conn, 'daily_watermark', String(marks.daily));
      return { hours: 0, days: 0, done: false };
    }
    let n = 0;
    let d = from;
    while (n < DAYS_PER_STEP && nextBucketStart('day', tz, d) <= hw) {
      await rollupRun(conn, 'day', [d, nextBucketStart('day', tz, d)]);
      d = nextBucketStart('day', tz, d);
      n++;
    }
    marks.daily = d;
    await writeMeta(conn, 'daily_watermark', String(d));
    return { hours: 0, days: n, done: false };
  }
  return { hours: 0, days: 0, done: true };
}

/** Marks past rollup rows as rewritten (inside the writer's transaction): final buckets held by callers stop matching. */
export async function bumpGeneration(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `INSERT OR REPLACE INTO meta SELECT 'generation', (coalesce((SELECT value FROM meta WHERE key = 'generation'), '0')::BIGINT + 1)::VARCHAR`,
  );
}

const DIRTY_TABLE = { hour: 'dirty_hours', day: 'dirty_days' } as const;

/** The earliest `limit` hours or days (their starts, ms) that took late writes since they were rolled up. */
/**
 * How many dirty hours and days a rollup run may still roll up again: those dirty when it began. Writes that keep
 * dirtying recent hours while it runs (a backfill, a writer catching up) wait for the next run, instead of keeping
 * this one recomputing the same hours for as long as they come, each step holding the writes up.
 */
export interface DirtyBudget {
  hours: number;
  days: number;
}

export async function dirtyBudget(conn: DuckDBConnection): Promise<DirtyBudget> {
  const [row] = await queryRows<{ hours: number; days: number }>(
    conn,
    `SELECT (SELECT count(*) FROM ${DIRTY_TABLE.hour})::DOUBLE AS hours, (SELECT count(*) FROM ${DIRTY_TABLE.day})::DOUBLE AS days`,
  );
  return { hours: row!.hours, days: row!.days };
}

async function dirtyBuckets(conn: DuckDBConnection, level: 'hour' | 'day', limit: number): Promise<number[]> {
  if (limit <= 0) return [];
  const rows = await queryRows<{ b: number }>(
    conn,
    `SELECT epoch_ms(bucket)::DOUBLE AS b FROM ${DIRTY_TABLE[level]} ORDER BY bucket LIMIT ${limit}`,
  );
  return rows.map((r) => r.b);
}

/** Inside a transaction: hours or days (their starts, ms) just rolled up again are no longer dirty. */
export async function clearDirty(conn: DuckDBConnection, level: 'hour' | 'day', buckets: number[]): Promise<void> {
  if (buckets.length === 0) return;
  const table = DIRTY_TABLE[level];
  const p = new ParamBag();
  await conn.run(
    `DELETE FROM ${table} WHERE epoch_ms(bucket) IN (SELECT unnest(${p.bigints(buckets)}))`,
    p.values,
    p.types,
  );
}

/** Time (ms) of the first raw result at or after `ms`, or null. */
export async function firstDataAfter(conn: DuckDBConnection, ms: number): Promise<number | null> {
  const p = new ParamBag();
  const rows = await queryRows<{ t: number | null }>(
    conn,
    `SELECT epoch_ms(min(time))::DOUBLE AS t FROM results WHERE time >= ${p.ts(ms)}`,
    p.values,
    p.types,
  );
  return rows[0]?.t ?? null;
}

export function hourBoundaries(run: Range): number[] {
  const out: number[] = [];
  for (let t = run[0]; t <= run[1]; t += HOUR_MS) out.push(t);
  return out;
}

/** Records buckets below the watermarks that a write changes, in the same transaction as its rows. */
export async function markDirty(
  conn: DuckDBConnection,
  batch: WriteBatch,
  marks: RollupMarks,
  timezone: string,
): Promise<void> {
  const hw = marks.hourly;
  if (hw === null) return;
  const hours = new Set<number>();
  for (const t of batch.results.time) {
    const ms = t / 1000;
    if (ms < hw) hours.add(floorHour(ms));
  }
  if (hours.size === 0) return;
  const p = new ParamBag();
  const list = [...hours].sort((a, b) => a - b);
  await conn.run(
    `INSERT OR IGNORE INTO dirty_hours SELECT make_timestamptz(unnest(${p.bigints(list.map((h) => h * 1000))}))`,
    p.values,
    p.types,
  );
  const dw = marks.daily;
  if (dw === null) return;
  const days = new Set<number>();
  for (const h of list) if (h < dw) days.add(bucketStart('day', timezone, h));
  if (days.size === 0) return;
  const q = new ParamBag();
  await conn.run(
    `INSERT OR IGNORE INTO dirty_days SELECT make_timestamptz(unnest(${q.bigints([...days].map((d) => d * 1000))}))`,
    q.values,
    q.types,
  );
}
