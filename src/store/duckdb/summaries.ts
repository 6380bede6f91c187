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
 * CTEs `o` and `summary` over a relation `src(g, h, time, success)`: per configuration g and piece h, the runs in
 * time order (ties: failures first, so the order is a function of the data), their count, failures, first and
 * last outcome and time, the transitions between consecutive runs, the last TAIL_RUNS outcomes as P/F, and the
 * length of the final stretch of equal outcomes.
 */
export const RUN_SUMMARY_CTES = `
  o AS (SELECT g, h, time, success,
               row_number() OVER w AS i,
               lag(success) OVER w AS prev,
               count(*) OVER (PARTITION BY g, h) AS n
        FROM src WINDOW w AS (PARTITION BY g, h ORDER BY time, success)),
  summary AS (SELECT g, h, count(*) AS runs, count_if(NOT success) AS failures,
                     bool_or(success) FILTER (WHERE i = 1) AS first_ok,
                     bool_or(success) FILTER (WHERE i = n) AS last_ok,
                     min(time) AS first_time, max(time) AS last_time,
                     count_if(prev IS NOT NULL AND prev <> success) AS transitions,
                     coalesce(string_agg(CASE WHEN success THEN 'P' ELSE 'F' END, '' ORDER BY i) FILTER (WHERE i > n - ${TAIL_RUNS}), '') AS tail,
                     max(n) - coalesce(max(i) FILTER (WHERE prev IS NOT NULL AND prev <> success), 1) + 1 AS streak
              FROM o GROUP BY g, h)`;

/** The hour number (UTC hours since the epoch) of TIMESTAMPTZ `col`. */
export const hourOf = (col: string): string => `(epoch_us(${col}) // 3600000000)`;

/** Recomputes run_hour for [lo, hi) (whole hours, ms) from raw results, for the default configurations (series.config). */
export function runHourInsert(p: ParamBag, lo: number, hi: number): string {
  return `INSERT INTO run_hour (bucket, config, runs, failures, first_ok, last_ok, first_time, last_time, transitions, tail, streak)
    WITH src AS (SELECT s.config AS g, ${hourOf('r.time')} AS h, r.time, r.success
                 FROM results r JOIN series s ON r.series_id = s.series_id
                 WHERE r.time >= ${p.ts(lo)} AND r.time < ${p.ts(hi)} AND s.config IS NOT NULL),
    ${RUN_SUMMARY_CTES}
    SELECT make_timestamptz(h * 3600000000), g, runs, failures, first_ok, last_ok, first_time, last_time, transitions, tail, streak
    FROM summary`;
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
