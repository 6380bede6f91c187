// The DuckDB store's state read from its file, at open and after a reopen: the series catalogue, the rollup
// watermarks (the daily rollups dropped for a rebuild when the time zone changed), the next row ids and each
// series' latest result time; and the one-time finish of the upgrade from schema version 1.
import { failureKindOf } from '../../model/fingerprint.js';
import { floorHour, HOUR_MS } from '../../time/buckets.js';
import { type DuckDBConnection, queryRows } from './db.js';
import { summariesRun } from './rollup.js';
import { bumpGeneration, firstDataAfter, HOURS_PER_STEP, type RollupMarks } from './rollup-progress.js';
import { readMeta, writeMeta } from './schema.js';
import { configOfSeries, type SeriesRecord, SeriesRegistry } from './series-registry.js';
import { ShardedMap } from './sharded-map.js';
import { ParamBag } from './sql.js';
import { upsertFingerprints } from './write.js';

/** What loadState reads. */
export interface LoadedState {
  reg: SeriesRegistry;
  marks: RollupMarks;
  nextResultId: number;
  nextBreakerId: number;
  latest: ShardedMap<number, number>;
}

/** Reads the state; the caller swaps it in whole, so a read meanwhile never sees half of a catalogue. */
export async function loadState(
  conn: DuckDBConnection,
  timezone: string,
  warn?: (message: string) => void,
): Promise<LoadedState> {
  const rows = await queryRows<{
    series_id: number;
    measurement: string;
    series_key: string;
    tags: { key: string; value: string }[];
  }>(conn, `SELECT series_id, measurement, series_key, tags FROM series`);
  const reg = new SeriesRegistry();
  for (const r of rows) {
    const tags: Record<string, string> = {};
    for (const e of r.tags) tags[e.key] = e.value;
    const measurement = r.measurement as SeriesRecord['measurement'];
    reg.add({ id: r.series_id, key: r.series_key, measurement, tags, config: configOfSeries(measurement, tags) });
  }
  const meta = await readMeta(conn);
  const marks: RollupMarks = {
    hourly: meta.hourly_watermark ? Number(meta.hourly_watermark) : null,
    daily: meta.daily_watermark ? Number(meta.daily_watermark) : null,
    rawFloor: meta.raw_floor ? Number(meta.raw_floor) : 0,
  };
  if (meta.daily_tz !== timezone) {
    if (meta.daily_tz) {
      warn?.(
        `daily rollups were built for time zone ${meta.daily_tz}; rebuilding them for ${timezone} from raw data (hourly rollups keep serving older days)`,
      );
    }
    await conn.run('BEGIN TRANSACTION');
    await conn.run('DELETE FROM rollup_day');
    await conn.run('DELETE FROM rollup_day_bins');
    await conn.run('DELETE FROM dirty_days');
    await writeMeta(conn, 'daily_watermark', null);
    await writeMeta(conn, 'daily_tz', timezone);
    await bumpGeneration(conn);
    await conn.run('COMMIT');
    marks.daily = null;
  }
  const ids = await queryRows<{ r: number; b: number }>(
    conn,
    `SELECT (SELECT coalesce(max(id), 0) FROM results)::DOUBLE AS r, (SELECT coalesce(max(id), 0) FROM breaker_events)::DOUBLE AS b`,
  );
  const latest = new ShardedMap<number, number>();
  const stored = await queryRows<{ s: number; t: number }>(
    conn,
    `SELECT series_id AS s, epoch_us(max(time))::DOUBLE AS t FROM results GROUP BY series_id`,
  );
  for (const r of stored) latest.set(r.s, r.t);
  return { reg, marks, nextResultId: ids[0]!.r + 1, nextBreakerId: ids[0]!.b + 1, latest };
}

/**
 * Finishes the move from schema version 1 (see migrate): each series' configuration, each failed result's
 * fingerprint, and the summaries of every rolled-up hour whose raw rows are kept. Each step is a transaction and
 * can run again, so an interrupted upgrade resumes at the next open.
 */
export async function upgradeFrom1(
  conn: DuckDBConnection,
  reg: SeriesRegistry,
  marks: RollupMarks,
  transaction: <R>(fn: () => Promise<R>) => Promise<R>,
  warn?: (message: string) => void,
): Promise<void> {
  warn?.(
    "upgrading the database to schema version 2: fingerprints of failed results and the analyses' hourly summaries",
  );
  const tests = reg.match({}, 'test_result');
  for (let i = 0; i < tests.length; i += 5000) {
    const part = tests.slice(i, i + 5000);
    const p = new ParamBag();
    await conn.run(
      `UPDATE series SET config = m.config
       FROM (SELECT unnest(${p.ints(part.map((s) => s.id))}) AS id, unnest(${p.strs(part.map((s) => s.config))}) AS config) m
       WHERE series.series_id = m.id`,
      p.values,
      p.types,
    );
  }
  // One fingerprint per distinct (error type, message) of the failed results, in slices.
  for (;;) {
    const missing = await queryRows<{ et: string | null; e: string | null }>(
      conn,
      `SELECT DISTINCT error_type AS et, error AS e FROM results WHERE NOT success AND fingerprint IS NULL LIMIT 2000`,
    );
    if (missing.length === 0) break;
    const kinds = missing.map((m) => failureKindOf(m.et, m.e));
    await transaction(async () => {
      await upsertFingerprints(conn, new Map(kinds.map((k) => [k.fingerprint, k])).values());
      const p = new ParamBag();
      await conn.run(
        `UPDATE results SET fingerprint = m.fp
         FROM (SELECT unnest(${p.strs(missing.map((m) => m.et))}) AS et, unnest(${p.strs(missing.map((m) => m.e))}) AS e,
                      unnest(${p.strs(kinds.map((k) => k.fingerprint))}) AS fp) m
         WHERE NOT results.success AND results.fingerprint IS NULL
           AND results.error_type IS NOT DISTINCT FROM m.et AND results.error IS NOT DISTINCT FROM m.e`,
        p.values,
        p.types,
      );
    });
  }
  const first = await firstDataAfter(conn, marks.rawFloor);
  const hw = marks.hourly;
  if (first !== null && hw !== null) {
    for (let h = floorHour(first); h < hw; h += HOURS_PER_STEP * HOUR_MS) {
      const to = Math.min(hw, h + HOURS_PER_STEP * HOUR_MS);
      await transaction(() => summariesRun(conn, h, to));
    }
  }
  await writeMeta(conn, 'upgrade_from', null);
}
