// Retention in the DuckDB store: where the cuts fall for a policy, and, inside the writer's transaction, writing
// the sketch bins of what loses its raw rows, deleting everything older than the cuts at every level, moving the
// raw floor, and dropping fingerprints and series nothing refers to any more. index.ts runs it under the write lock.
import { bucketStart, DAY_MS, floorHour, HOUR_MS, nextBucketStart } from '../../time/buckets.js';
import type { CleanupReport, RetentionPolicy } from '../types.js';
import { type DuckDBConnection, queryRows } from './db.js';
import { binsRun } from './rollup.js';
import { bumpGeneration, firstDataAfter, HOURS_PER_STEP, hourBoundaries, type RollupMarks } from './rollup-progress.js';
import { writeMeta } from './schema.js';
import { ParamBag } from './sql.js';

/** Times (ms) before which raw rows, hourly rows and daily rows go (`dayCut` null: daily rows are kept forever). */
export interface RetentionCuts {
  rawCut: number;
  hourCut: number;
  dayCut: number | null;
}

/**
 * The raw cut falls at a day start in the rollup zone (floored to the hour, for half-hour zones): writes are
 * accepted from the next day start on (oldestWritableTime), so a late write never lands in a day or hour whose raw
 * rows are gone.
 */
export function retentionCuts(policy: RetentionPolicy, tz: string, nowMs: number): RetentionCuts {
  return {
    rawCut: floorHour(bucketStart('day', tz, nowMs - policy.rawDays * DAY_MS)),
    hourCut: floorHour(nowMs - policy.hourlyDays * DAY_MS),
    dayCut: policy.dailyDays > 0 ? bucketStart('day', tz, nowMs - policy.dailyDays * DAY_MS) : null,
  };
}

/**
 * Inside a transaction: deletes what the cuts leave behind and moves `marks.rawFloor`; returns the counts and the
 * ids of the series that left the catalogue (the caller removes them from its registry after the commit).
 */
export async function expireBefore(
  conn: DuckDBConnection,
  tz: string,
  marks: RollupMarks,
  cuts: RetentionCuts,
): Promise<CleanupReport & { gone: number[] }> {
  const { rawCut, hourCut, dayCut } = cuts;
  const del = async (sql: string, ms: number): Promise<number> => {
    const p = new ParamBag();
    const r = await conn.run(sql.replace('$cut', p.ts(ms)), p.values, p.types);
    return r.rowsChanged;
  };
  await binsBefore(conn, tz, marks.rawFloor, cuts);
  await bumpGeneration(conn);
  const out: Omit<CleanupReport, 'seriesDeleted'> = {
    rawDeleted: await del('DELETE FROM results WHERE time < $cut', rawCut),
    breakerEventsDeleted: await del('DELETE FROM breaker_events WHERE time < $cut', rawCut),
    hourlyDeleted: await del('DELETE FROM rollup_hour WHERE bucket < $cut', hourCut),
    dailyDeleted: dayCut === null ? 0 : await del('DELETE FROM rollup_day WHERE bucket < $cut', dayCut),
  };
  await del('DELETE FROM rollup_hour_bins WHERE bucket < $cut', hourCut);
  await del('DELETE FROM run_hour WHERE bucket < $cut', hourCut);
  await del('DELETE FROM failure_hour WHERE bucket < $cut', hourCut);
  await dropUnusedFingerprints(conn);
  await del('DELETE FROM dirty_hours WHERE bucket < $cut', rawCut);
  await del('DELETE FROM dirty_days WHERE bucket < $cut', rawCut);
  if (dayCut !== null) await del('DELETE FROM rollup_day_bins WHERE bucket < $cut', dayCut);
  if (rawCut > marks.rawFloor) {
    marks.rawFloor = rawCut;
    await writeMeta(conn, 'raw_floor', String(rawCut));
  }
  const gone = await dropEmptySeries(conn);
  return { ...out, seriesDeleted: gone.length, gone };
}

/** Inside a transaction: fingerprints no failure summary or raw result refers to any more. */
export async function dropUnusedFingerprints(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `DELETE FROM fingerprints f
     WHERE NOT EXISTS (SELECT 1 FROM failure_hour x WHERE x.fingerprint = f.fingerprint)
       AND NOT EXISTS (SELECT 1 FROM results x WHERE x.fingerprint = f.fingerprint)`,
  );
}

/**
 * Inside a transaction: series with nothing left at any level leave the catalogue (the caller removes the ids
 * returned from the registry after the commit), so churning tag values (short-lived workers) do not fill
 * RESULTANT_MAX_SERIES with series that have no data. Under the write lock: no write can resolve one of them
 * meanwhile; one that comes back later gets a new id.
 */
export async function dropEmptySeries(conn: DuckDBConnection): Promise<number[]> {
  const gone = await queryRows<{ id: number }>(
    conn,
    `DELETE FROM series s
     WHERE NOT EXISTS (SELECT 1 FROM results x WHERE x.series_id = s.series_id)
       AND NOT EXISTS (SELECT 1 FROM breaker_events x WHERE x.series_id = s.series_id)
       AND NOT EXISTS (SELECT 1 FROM rollup_hour x WHERE x.series_id = s.series_id)
       AND NOT EXISTS (SELECT 1 FROM rollup_day x WHERE x.series_id = s.series_id)
       AND NOT EXISTS (SELECT 1 FROM rollup_hour_bins x WHERE x.series_id = s.series_id)
       AND NOT EXISTS (SELECT 1 FROM rollup_day_bins x WHERE x.series_id = s.series_id)
       AND NOT EXISTS (SELECT 1 FROM failure_hour x WHERE x.series_id = s.series_id)
     RETURNING series_id AS id`,
  );
  return gone.map((g) => g.id);
}

/**
 * Writes the sketch bins of the rollup rows whose raw rows are about to be deleted (those before `rawCut`):
 * until now their merged percentiles came exactly from the raw rows.
 */
async function binsBefore(conn: DuckDBConnection, tz: string, rawFloor: number, cuts: RetentionCuts): Promise<void> {
  const { rawCut, hourCut, dayCut } = cuts;
  const first = await firstDataAfter(conn, rawFloor);
  if (first === null || first >= rawCut) return;
  for (let h = Math.max(floorHour(first), hourCut); h < rawCut; h += HOURS_PER_STEP * HOUR_MS) {
    await binsRun(conn, 'hour', hourBoundaries([h, Math.min(rawCut, h + HOURS_PER_STEP * HOUR_MS)]));
  }
  for (let d = bucketStart('day', tz, first); d < rawCut; d = nextBucketStart('day', tz, d)) {
    if (dayCut !== null && d < dayCut) continue;
    await binsRun(conn, 'day', [d, nextBucketStart('day', tz, d)]);
  }
}
