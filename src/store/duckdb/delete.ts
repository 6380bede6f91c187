// Deleting results and breaker events from the DuckDB store (POST /api/v2/delete, `resultant delete`): how far back
// a delete may reach, and, inside the writer's transaction, deleting the selected rows and recomputing from what
// remains every rolled-up hour and day they were in, so reads answer as if the points had never been written.
import { bucketStart, floorHour, HOUR_MS, nextBucketStart } from '../../time/buckets.js';
import { runs } from '../../time/ranges.js';
import { type DuckDBConnection, queryRows } from './db.js';
import { dropEmptySeries, dropUnusedFingerprints } from './retention.js';
import { rollupRun } from './rollup.js';
import { bumpGeneration, clearDirty, hourBoundaries, type RollupMarks } from './rollup-progress.js';
import { ParamBag } from './sql.js';

/** The first day start (ms) at or after the raw floor: before it only rollups remain, which a delete cannot split. */
export function deleteFloor(tz: string, rawFloor: number): number {
  if (rawFloor <= 0) return 0;
  const floor = bucketStart('day', tz, rawFloor);
  return floor < rawFloor ? nextBucketStart('day', tz, floor) : floor;
}

/** What to delete: [startUs, stopUs) of the given series (null: every series of that measurement). */
export interface DeleteSelection {
  startUs: number;
  stopUs: number;
  resultIds: number[] | null;
  breakerIds: number[] | null;
}

/** What a delete did: rows deleted, series that left the catalogue, and each touched series' latest result left (µs). */
export interface DeletedRows {
  results: number;
  breakers: number;
  gone: number[];
  latest: Map<number, number | null>;
}

/**
 * Inside a transaction: deletes the selected rows, recomputes the rolled-up hours and days they were in (rollups and
 * the analyses' summaries, as late writes and rebuilds do; they are then no longer dirty), and drops fingerprints
 * and series nothing refers to any more.
 */
export async function deleteRows(
  conn: DuckDBConnection,
  tz: string,
  marks: Readonly<RollupMarks>,
  sel: DeleteSelection,
): Promise<DeletedRows> {
  const where = (ids: number[] | null, p: ParamBag): string =>
    `time >= ${p.tsUs(sel.startUs)} AND time < ${p.tsUs(sel.stopUs)}${ids === null ? '' : ` AND series_id IN (SELECT unnest(${p.ints(ids)}))`}`;
  let results = 0;
  let breakers = 0;
  const touched: { s: number; h: number }[] = [];
  if (sel.resultIds === null || sel.resultIds.length > 0) {
    const p = new ParamBag();
    touched.push(
      ...(await queryRows<{ s: number; h: number }>(
        conn,
        `SELECT DISTINCT series_id AS s, (epoch_us(time) // 3600000000)::DOUBLE * 3600000 AS h FROM results WHERE ${where(sel.resultIds, p)}`,
        p.values,
        p.types,
      )),
    );
    const d = new ParamBag();
    results = (await conn.run(`DELETE FROM results WHERE ${where(sel.resultIds, d)}`, d.values, d.types)).rowsChanged;
  }
  if (sel.breakerIds === null || sel.breakerIds.length > 0) {
    const d = new ParamBag();
    breakers = (await conn.run(`DELETE FROM breaker_events WHERE ${where(sel.breakerIds, d)}`, d.values, d.types))
      .rowsChanged;
  }
  if (results + breakers === 0)
    return { results, breakers, gone: [] as number[], latest: new Map<number, number | null>() };
  // The rolled-up hours and days the deleted results were in, recomputed from what remains (all series: run
  // summaries mix the series of a configuration); they are then no longer dirty.
  const hw = marks.hourly;
  const dw = marks.daily;
  const hours = [...new Set(touched.map((t) => t.h))].filter((h) => hw !== null && h < hw).sort((a, b) => a - b);
  for (const run of runs(hours, (h) => h + HOUR_MS)) await rollupRun(conn, 'hour', hourBoundaries(run));
  const days = [...new Set(hours.map((h) => bucketStart('day', tz, h)))].filter((d) => dw !== null && d < dw);
  for (const d of days) await rollupRun(conn, 'day', [d, nextBucketStart('day', tz, d)]);
  await clearDirty(conn, 'hour', hours);
  await clearDirty(conn, 'day', days);
  await bumpGeneration(conn);
  await dropUnusedFingerprints(conn);
  const gone = await dropEmptySeries(conn);
  // The latest result left in each series written to (the map that decides whether a write may replace rows).
  const series = [...new Set(touched.map((t) => t.s))];
  const latest = new Map<number, number | null>(series.map((id) => [id, null]));
  if (series.length > 0) {
    const p = new ParamBag();
    const rows = await queryRows<{ s: number; t: number }>(
      conn,
      `SELECT series_id AS s, epoch_us(max(time))::DOUBLE AS t FROM results WHERE series_id IN (SELECT unnest(${p.ints(series)})) GROUP BY series_id`,
      p.values,
      p.types,
    );
    for (const r of rows) latest.set(r.s, r.t);
  }
  return { results, breakers, gone, latest };
}

/**
 * Whether the selected series hold data in [fromUs, floorMs) at any level: raw rows, or rollup rows of hours or
 * days that overlap it (what a delete could not remove exactly).
 */
export async function hasDataBefore(
  conn: DuckDBConnection,
  tz: string,
  floorMs: number,
  fromUs: number,
  resultIds: number[] | null,
  breakerIds: number[] | null,
): Promise<boolean> {
  const fromMs = Math.floor(fromUs / 1000);
  const checks: string[] = [];
  const p = new ParamBag();
  const ids = (list: number[] | null): string =>
    list === null ? 'TRUE' : `series_id IN (SELECT unnest(${p.ints(list)}))`;
  if (resultIds === null || resultIds.length > 0) {
    const sel = ids(resultIds);
    checks.push(
      `EXISTS (SELECT 1 FROM results WHERE time >= ${p.tsUs(fromUs)} AND time < ${p.ts(floorMs)} AND ${sel})`,
    );
    checks.push(
      `EXISTS (SELECT 1 FROM rollup_hour WHERE bucket >= ${p.ts(floorHour(fromMs))} AND bucket < ${p.ts(floorMs)} AND ${sel})`,
    );
    checks.push(
      `EXISTS (SELECT 1 FROM rollup_day WHERE bucket >= ${p.ts(bucketStart('day', tz, fromMs))} AND bucket < ${p.ts(floorMs)} AND ${sel})`,
    );
  }
  if (breakerIds === null || breakerIds.length > 0) {
    checks.push(
      `EXISTS (SELECT 1 FROM breaker_events WHERE time >= ${p.tsUs(fromUs)} AND time < ${p.ts(floorMs)} AND ${ids(breakerIds)})`,
    );
  }
  if (checks.length === 0) return false;
  const rows = await queryRows<{ any: boolean }>(conn, `SELECT (${checks.join(' OR ')}) AS any`, p.values, p.types);
  return rows[0]?.any === true;
}
