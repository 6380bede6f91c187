// Building rollup rows from raw results. One contiguous run of buckets at a time: its rows are deleted and
// recomputed, so a re-run is idempotent and a late write only needs its bucket recomputed.

import { slotFor } from '../../time/buckets.js';
import type { DuckDBConnection } from './db.js';
import { sketchKeySql } from './sketch-sql.js';
import { type BucketMap, bucketMap, ParamBag, sumOfSquaresSql } from './sql.js';
import { failureHourInsert, runHourInsert } from './summaries.js';

export type Level = 'hour' | 'day';

/** CTEs `src` (raw rows of [lo, hi) with their bucket start) and `vals` (one row per metric value). */
function sourceCtes(p: ParamBag, map: BucketMap, lo: number, hi: number): string {
  return `${map.cte},
    src AS (SELECT ${map.start('r', 'time')} AS bstart, r.series_id, r.success, r.latency_ms, r.metrics
            FROM results r ${map.join('r', 'time')} WHERE r.time >= ${p.ts(lo)} AND r.time < ${p.ts(hi)}),
    vals AS (SELECT bstart, series_id, 'latency_ms' AS metric, latency_ms AS v FROM src WHERE latency_ms IS NOT NULL
             UNION ALL
             SELECT bstart, series_id, unnest(map_keys(metrics)) AS metric, unnest(map_values(metrics)) AS v
             FROM src WHERE metrics IS NOT NULL)`;
}

const TABLE: Record<Level, { rows: string; bins: string }> = {
  hour: { rows: 'rollup_hour', bins: 'rollup_hour_bins' },
  day: { rows: 'rollup_day', bins: 'rollup_day_bins' },
};

/**
 * Recomputes the rollup rows of `level` for the contiguous buckets with the given boundaries
 * (b0 < b1 < ... < bn, ms): counts per series (metric ''), then per metric the moments and exact type-7
 * percentiles (quantile_cont is R type 7). Sketch bins are not made here: while raw rows are kept, merged
 * percentiles are computed exactly from them; binsRun writes the bins just before retention deletes the raw rows.
 * Hourly runs also recompute the analyses' inputs of those hours (summaries.ts), in the same transaction.
 */
export async function rollupRun(conn: DuckDBConnection, level: Level, boundaries: readonly number[]): Promise<void> {
  const { rows } = TABLE[level];
  const lo = boundaries[0]!;
  const hi = boundaries[boundaries.length - 1]!;

  const del = new ParamBag();
  const delPred = `bucket >= ${del.ts(lo)} AND bucket < ${del.ts(hi)}`;
  await conn.run(`DELETE FROM ${rows} WHERE ${delPred}`, del.values, del.types);

  const p = new ParamBag();
  const src = sourceCtes(p, bucketMap(p, boundaries, slotFor(boundaries)), lo, hi);

  await conn.run(
    `INSERT INTO ${rows} (bucket, series_id, metric, test_count, success_count)
     WITH ${src}
     SELECT make_timestamptz(bstart), series_id, '', count(*), count_if(success) FROM src GROUP BY ALL`,
    p.values,
    p.types,
  );
  await conn.run(
    `INSERT INTO ${rows} (bucket, series_id, metric, n, sum, m2, min, max, p50, p95, p99)
     WITH ${src},
     g AS (SELECT bstart, series_id, metric, count(v) AS n, sum(v) AS s, ${sumOfSquaresSql('v')} AS m2,
                  min(v) AS mn, max(v) AS mx, quantile_cont(v, [0.5, 0.95, 0.99]) AS q
           FROM vals GROUP BY ALL)
     SELECT make_timestamptz(bstart), series_id, metric, n, s, m2, mn, mx, q[1], q[2], q[3] FROM g`,
    p.values,
    p.types,
  );
  if (level === 'hour') await summariesRun(conn, lo, hi);
}

/** Recomputes run_hour and failure_hour for the whole hours [lo, hi) (ms) from raw results. */
export async function summariesRun(conn: DuckDBConnection, lo: number, hi: number): Promise<void> {
  for (const table of ['run_hour', 'failure_hour']) {
    const del = new ParamBag();
    await conn.run(
      `DELETE FROM ${table} WHERE bucket >= ${del.ts(lo)} AND bucket < ${del.ts(hi)}`,
      del.values,
      del.types,
    );
  }
  const r = new ParamBag();
  await conn.run(runHourInsert(r, lo, hi), r.values, r.types);
  const f = new ParamBag();
  await conn.run(failureHourInsert(f, lo, hi), f.values, f.types);
}

/** The sketch bins of `level` for contiguous buckets, from raw rows (called before those raw rows are deleted). */
export async function binsRun(conn: DuckDBConnection, level: Level, boundaries: readonly number[]): Promise<void> {
  const { bins } = TABLE[level];
  const lo = boundaries[0]!;
  const hi = boundaries[boundaries.length - 1]!;
  const del = new ParamBag();
  await conn.run(`DELETE FROM ${bins} WHERE bucket >= ${del.ts(lo)} AND bucket < ${del.ts(hi)}`, del.values, del.types);
  const p = new ParamBag();
  const map = bucketMap(p, boundaries, slotFor(boundaries));
  await conn.run(
    `INSERT INTO ${bins} (bucket, series_id, metric, k, c, s)
     WITH ${sourceCtes(p, map, lo, hi)}
     SELECT make_timestamptz(bstart), series_id, metric, ${sketchKeySql('v')} AS k, count(*), sum(v) FROM vals GROUP BY ALL`,
    p.values,
    p.types,
  );
}
