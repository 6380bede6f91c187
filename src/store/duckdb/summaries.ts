// The analyses' inputs in SQL: run summaries of test configurations (flaky tests) and failure counts per series
// and fingerprint (failure patterns), per UTC hour. The rollup writes them for closed hours (run_hour,
// failure_hour); reads make the same rows from raw results for what the tables do not hold (partial hours at the
// window's ends, hours that took late writes, the open hour, other configuration rules), with the same SQL, so
// both sources agree by construction.
import { EXAMPLE_CHARS } from '../../model/fingerprint.js';
import type { ParamBag } from './sql.js';

/** Outcomes kept at the end of a run summary (the flaky rule looks at the last 10 runs). */
export const TAIL_RUNS = 10;

/**
 * CTEs over a relation `src(g, h, time, success)` that end in `summary`: per configuration g and piece h, the runs
 * in time order (ties: failures first, so the order is a function of the data), their count, failures, first and
 * last outcome and time, the transitions between consecutive runs, the last TAIL_RUNS outcomes as P/F, and the
 * length of the final stretch of equal outcomes.
 *
 * Only groups with both outcomes need their runs in order; the others (most of them: tests mostly pass) are
 * summed by hash aggregation. g should be an integer: sorting by a configuration's text made the rollup twice as
 * slow (measured 2026-12-07: 168 hours of 30-day demo data, 1.9 s with text keys and 0.45 s with integer keys).
 */
export const RUN_SUMMARY_CTES = `
  agg AS (SELECT g, h, count(*) AS runs, count_if(NOT success) AS failures, min(time) AS first_time, max(time) AS last_time
          FROM src GROUP BY g, h),
  o AS (SELECT g, h, success, m.runs AS n,
               row_number() OVER w AS i,
               lag(success) OVER w AS prev
        FROM src JOIN (SELECT g, h, runs FROM agg WHERE failures > 0 AND failures < runs) m USING (g, h)
        WINDOW w AS (PARTITION BY g, h ORDER BY time, success)),
  mixed AS (SELECT g, h,
                   bool_or(success) FILTER (WHERE i = 1) AS first_ok,
                   bool_or(success) FILTER (WHERE i = n) AS last_ok,
                   count_if(prev <> success) AS transitions,
                   string_agg(CASE WHEN success THEN 'P' ELSE 'F' END, '' ORDER BY i) FILTER (WHERE i > n - ${TAIL_RUNS}) AS tail,
                   max(n) - coalesce(max(i) FILTER (WHERE prev <> success), 1) + 1 AS streak
            FROM o GROUP BY g, h),
  summary AS (SELECT a.g, a.h, a.runs, a.failures,
                     coalesce(m.first_ok, a.failures = 0) AS first_ok, coalesce(m.last_ok, a.failures = 0) AS last_ok,
                     a.first_time, a.last_time, coalesce(m.transitions, 0) AS transitions,
                     coalesce(m.tail, repeat(CASE WHEN a.failures = 0 THEN 'P' ELSE 'F' END, least(a.runs, ${TAIL_RUNS})::INTEGER)) AS tail,
                     coalesce(m.streak, a.runs) AS streak
              FROM agg a LEFT JOIN mixed m USING (g, h))`;

/** The hour number (UTC hours since the epoch) of TIMESTAMPTZ `col`. */
export const hourOf = (col: string): string => `(epoch_us(${col}) // 3600000000)`;

/** Recomputes run_hour for [lo, hi) (whole hours, ms) from raw results, for the default configurations (series.config). */
export function runHourInsert(p: ParamBag, lo: number, hi: number): string {
  return `INSERT INTO run_hour (bucket, config, runs, failures, first_ok, last_ok, first_time, last_time, transitions, tail, streak)
    WITH cfg AS (SELECT config, row_number() OVER () AS cid FROM (SELECT DISTINCT config FROM series WHERE config IS NOT NULL)),
    src AS (SELECT cfg.cid AS g, ${hourOf('r.time')} AS h, r.time, r.success
            FROM results r JOIN series s ON r.series_id = s.series_id JOIN cfg ON s.config = cfg.config
            WHERE r.time >= ${p.ts(lo)} AND r.time < ${p.ts(hi)}),
    ${RUN_SUMMARY_CTES}
    SELECT make_timestamptz(summary.h * 3600000000), cfg.config, runs, failures, first_ok, last_ok, first_time, last_time, transitions, tail, streak
    FROM summary JOIN cfg ON summary.g = cfg.cid`;
}

/**
 * Columns of failure counts of relation `r` (results) grouped by a piece expression, series and fingerprint: the
 * example is the (cut) message of the newest failure, at equal times the greatest text, as the analysis merges
 * pieces, so the choice never depends on the order rows were read in.
 */
const EXAMPLE = `left(coalesce(r.error, ''), ${EXAMPLE_CHARS})`;
export const FAILURE_COLUMNS = `count(*) AS failures, min(r.time) AS first_time, max(r.time) AS last_time,
  arg_max(${EXAMPLE}, (r.time, ${EXAMPLE})) AS example`;

/** Recomputes failure_hour for [lo, hi) (whole hours, ms) from raw results. */
export function failureHourInsert(p: ParamBag, lo: number, hi: number): string {
  return `INSERT INTO failure_hour (bucket, series_id, fingerprint, failures, first_time, last_time, example)
    SELECT make_timestamptz(${hourOf('r.time')} * 3600000000) AS bucket, r.series_id, r.fingerprint, ${FAILURE_COLUMNS}
    FROM results r
    WHERE r.time >= ${p.ts(lo)} AND r.time < ${p.ts(hi)} AND NOT r.success AND r.fingerprint IS NOT NULL
    GROUP BY ALL`;
}
