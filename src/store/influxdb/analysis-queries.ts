// Flux programs for the analyses' inputs (Store.runSummaries, failureSummaries, failureFingerprints,
// failureBuckets): raw results are summarised inside InfluxDB, so what comes back is one row per summary
// (configuration and hour piece; series, fingerprint and piece; fingerprint; bucket), never one per result. The
// same summaries are kept per hour in the hourly bucket by flux/analysis_hourly__v1.flux for reads beyond the raw
// retention; the readers of those rows are here too. As in queries.ts every outside value (bucket, tag keys and
// values, times, durations, counts) goes through the client's `flux` template; only fixed code is text.
import { flux, fluxDuration, fluxExpression, type ParameterizedQuery } from '@influxdata/influxdb-client';
import type { ConfigurationRule } from '../../model/configuration.js';
import { EXAMPLE_CHARS } from '../../model/fingerprint.js';
import type { TagFilters } from '../types.js';
import { join, msTime, strArray, tagFilter } from './queries.js';
import { M_FAILURE_SUMMARY, M_RESULT, M_RUN_SUMMARY } from './schema.js';

type Q = ParameterizedQuery;

/**
 * The run-summary reduce: rows sorted by `_t` (µs) then `_ok` (0 failed, 1 passed: failures first at a tie), one
 * accumulator per table. `_tail` holds the last 10 outcomes as bits, newest in bit 0, 1 = failed (an integer, so
 * no string column reaches to() in the task, where an unreferenced string would become a tag). The task file has
 * the same text (a test keeps them equal).
 */
export const RUN_REDUCE = `reduce(
        identity: {
            _runs: 0,
            _failures: 0,
            _first_ok: 0,
            _last_ok: 0,
            _first_t: 0,
            _last_t: 0,
            _transitions: 0,
            _tail: 0,
            _streak: 0,
        },
        fn: (r, accumulator) =>
            ({
                _runs: accumulator._runs + 1,
                _failures: accumulator._failures + 1 - r._ok,
                _first_ok: if accumulator._runs == 0 then r._ok else accumulator._first_ok,
                _last_ok: r._ok,
                _first_t: if accumulator._runs == 0 then r._t else accumulator._first_t,
                _last_t: r._t,
                _transitions:
                    accumulator._transitions
                        +
                        (if accumulator._runs > 0 and accumulator._last_ok != r._ok then 1 else 0),
                _tail: (accumulator._tail * 2 + 1 - r._ok) % 1024,
                _streak:
                    if accumulator._runs > 0 and accumulator._last_ok == r._ok then
                        accumulator._streak + 1
                    else
                        1,
            }),
    )`;

/** The µs time and 0/1 outcome the run reduce sorts by (the series' ns suffix of lines.ts must not order a µs tie). */
const RUN_MAP = 'map(fn: (r) => ({r with _t: int(v: r._time) / 1000, _ok: if r._value then 1 else 0}))';

/** Grouping of per-series tables into configurations: every tag but the ignored ones, or only the listed ones. */
function configurationGroup(rule: ConfigurationRule): Q {
  if ('only' in rule) return flux`group(columns: ${strArray([...rule.only, '_start', '_stop'])})`;
  return flux`group(columns: ${strArray(['_time', '_value', ...rule.ignore])}, mode: "except")`;
}

export interface RunSummaryRun {
  bucket: string;
  /** [startMs, stopMs): pieces are the UTC hours cut by these bounds (window(every: 1h) clips at the range). */
  startMs: number;
  stopMs: number;
  filters: TagFilters;
  configuration: ConfigurationRule;
  /** Epoch-aligned buckets whose runs are left out and counted: `bucketUs` long, by index (start / bucketUs). */
  exclude?: { bucketUs: number; indexes: readonly number[] };
}

/**
 * Run summaries per configuration and hour piece: result "runs" (the kept runs' reduce), and with `exclude`,
 * result "excluded" (runs left out, `_value` = their count) per configuration and piece. Rows carry `_start`
 * (the piece start), the configuration's tags and the reduce's columns.
 */
export function runSummariesQuery(r: RunSummaryRun): Q {
  const ex = r.exclude && r.exclude.indexes.length > 0 ? r.exclude : null;
  const source = flux`from(bucket: ${r.bucket})
    |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
    |> filter(fn: (r) => r._measurement == ${M_RESULT} and r._field == "success")${tagFilter(r.filters)}
    |> window(every: 1h)
    |> ${configurationGroup(r.configuration)}
    |> ${fluxExpression(RUN_MAP)}`;
  if (!ex) {
    return flux`data =
    ${source}
data
    |> sort(columns: ["_t", "_ok"])
    |> ${fluxExpression(RUN_REDUCE)}
    |> yield(name: "runs")`;
  }
  // A dictionary of the excluded bucket indexes: one lookup per run whatever their number.
  const entries = flux`[${join(
    ex.indexes.map((i) => flux`${i}: true`),
    ', ',
  )}]`;
  return flux`import "dict"

excluded = ${entries}
data =
    ${source}
        |> map(fn: (r) => ({r with _ex: dict.get(dict: excluded, key: r._t / ${ex.bucketUs}, default: false)}))
data
    |> filter(fn: (r) => not r._ex)
    |> sort(columns: ["_t", "_ok"])
    |> ${fluxExpression(RUN_REDUCE)}
    |> yield(name: "runs")
data
    |> filter(fn: (r) => r._ex)
    |> count()
    |> yield(name: "excluded")`;
}

/** Stored run summaries (test_run_summary) of whole hours in [startMs, stopMs), one pivoted row per configuration and hour. */
export function storedRunSummariesQuery(r: {
  bucket: string;
  startMs: number;
  stopMs: number;
  filters: TagFilters;
}): Q {
  return flux`from(bucket: ${r.bucket})
    |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
    |> filter(fn: (r) => r._measurement == ${M_RUN_SUMMARY})${tagFilter(r.filters)}
    |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
}

export interface FailureSummaryRun {
  bucket: string;
  /** Contiguous ranges [a, b) (ms), each read alone so its start begins a piece; pieces are also cut at hours. */
  segments: readonly [number, number][];
  filters: TagFilters;
}

/**
 * Failure counts per series, fingerprint and piece: result "pieces" (`_start` = the piece start, the series tags,
 * `fingerprint`, `_failures`, `_first_t`/`_last_t` in µs, `_example` = the newest message cut to 500 characters,
 * at equal µs the greatest) and result "kinds" (per fingerprint: the newest full `error` and its `error_type`,
 * from which the service derives category and pattern). Only failed results carry the fingerprint field.
 */
export function failureSummariesQuery(r: FailureSummaryRun): Q {
  if (r.segments.length === 0) throw new Error('failureSummariesQuery needs at least one segment');
  const seg = (a: number, b: number): Q => flux`seg(start: ${msTime(a)}, stop: ${msTime(b)})`;
  const parts = r.segments.map(([a, b]) => seg(a, b));
  // union() takes two streams or more.
  const input = parts.length === 1 ? parts[0]! : flux`union(tables: [${join(parts, ', ')}])`;
  return flux`import "strings"

seg = (start, stop) =>
    from(bucket: ${r.bucket})
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == ${M_RESULT} and (r._field == "fingerprint" or r._field == "error" or r._field == "error_type"))${tagFilter(r.filters)}
        |> window(every: 1h)
fails =
    ${input}
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> filter(fn: (r) => exists r.fingerprint)
        |> map(fn: (r) => ({r with _t: int(v: r._time) / 1000}))
fails
    |> map(fn: (r) => ({r with _example: if exists r.error then strings.substring(v: r.error, start: 0, end: ${EXAMPLE_CHARS}) else ""}))
    |> group(columns: ["_time", "_t", "_example", "error", "error_type"], mode: "except")
    |> sort(columns: ["_t", "_example"])
    |> reduce(
        identity: {_failures: 0, _first_t: 0, _last_t: 0, _example: ""},
        fn: (r, accumulator) =>
            ({
                _failures: accumulator._failures + 1,
                _first_t: if accumulator._failures == 0 then r._t else accumulator._first_t,
                _last_t: r._t,
                _example: r._example,
            }),
    )
    |> yield(name: "pieces")
fails
    |> group(columns: ["fingerprint"])
    |> max(column: "_t")
    |> keep(fn: (column) => column == "fingerprint" or column == "error" or column == "error_type")
    |> yield(name: "kinds")`;
}

/**
 * Stored failure summaries (test_failure_summary) of whole hours in [startMs, stopMs): result "pieces" (one row
 * per series, fingerprint and hour: `_time`, tags, `fingerprint`, `failures`, `first_time`, `last_time`,
 * `_example`) and result "kinds" as in failureSummariesQuery (the stored `error` is cut to 2000 characters, all
 * the fingerprint's normaliser reads).
 */
export function storedFailureSummariesQuery(r: {
  bucket: string;
  startMs: number;
  stopMs: number;
  filters: TagFilters;
}): Q {
  return flux`import "strings"

fails =
    from(bucket: ${r.bucket})
        |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
        |> filter(fn: (r) => r._measurement == ${M_FAILURE_SUMMARY})${tagFilter(r.filters)}
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
fails
    |> map(fn: (r) => ({r with _example: strings.substring(v: r.error, start: 0, end: ${EXAMPLE_CHARS})}))
    |> drop(fn: (column) => column == "error" or column == "error_type")
    |> yield(name: "pieces")
fails
    |> map(fn: (r) => ({r with _t: int(v: r._time)}))
    |> group(columns: ["fingerprint"])
    |> max(column: "_t")
    |> keep(fn: (column) => column == "fingerprint" or column == "error" or column == "error_type")
    |> yield(name: "kinds")`;
}

/** Distinct fingerprints of failed results in [startMs, stopMs): one row each (`_value`). */
export function failureFingerprintsQuery(r: {
  bucket: string;
  startMs: number;
  stopMs: number;
  filters: TagFilters;
}): Q {
  // distinct() per series first, so the single ungrouped table holds each series' distinct values, not every failure.
  return flux`from(bucket: ${r.bucket})
    |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
    |> filter(fn: (r) => r._measurement == ${M_RESULT} and r._field == "fingerprint")${tagFilter(r.filters)}
    |> distinct()
    |> keep(columns: ["_value"])
    |> group()
    |> distinct()`;
}

/** Distinct fingerprints of stored failure summaries in [startMs, stopMs) (whole hours): one row each (`_value`). */
export function storedFingerprintsQuery(r: {
  bucket: string;
  startMs: number;
  stopMs: number;
  filters: TagFilters;
}): Q {
  return flux`from(bucket: ${r.bucket})
    |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
    |> filter(fn: (r) => r._measurement == ${M_FAILURE_SUMMARY} and r._field == "failures")${tagFilter(r.filters)}
    |> keep(columns: ["fingerprint"])
    |> group()
    |> distinct(column: "fingerprint")`;
}

/**
 * Buckets of `bucketMs` (epoch-aligned windows) in [startMs, stopMs) with at least `minFailures` failed results:
 * one row each, `_time` = the window start (clipped to the range start), `_value` = failures. Only failed rows
 * are grouped across series, a small share of the rows.
 */
export function failureBucketsQuery(r: {
  bucket: string;
  startMs: number;
  stopMs: number;
  filters: TagFilters;
  bucketMs: number;
  minFailures: number;
}): Q {
  return flux`from(bucket: ${r.bucket})
    |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
    |> filter(fn: (r) => r._measurement == ${M_RESULT} and r._field == "success")${tagFilter(r.filters)}
    |> filter(fn: (r) => r._value == false)
    |> aggregateWindow(every: ${fluxDuration(`${r.bucketMs}ms`)}, fn: count, timeSrc: "_start", createEmpty: false)
    |> group(columns: ["_time"])
    |> sum()
    |> filter(fn: (r) => r._value >= ${r.minFailures})
    |> group()`;
}

/**
 * Runs (results) per bucket of `bucketMs` in the given ranges (each a run of consecutive candidate buckets, aligned
 * to them): one row per bucket with results, `_time` = its start, `_value` = runs. The per-series window counts
 * are what InfluxDB can push down to its storage (aggregateWindow count right after the filters).
 */
export function bucketRunsQuery(r: {
  bucket: string;
  ranges: readonly [number, number][];
  filters: TagFilters;
  bucketMs: number;
}): Q {
  if (r.ranges.length === 0) throw new Error('bucketRunsQuery needs at least one range');
  const one = ([a, b]: [number, number]): Q => flux`runs(start: ${msTime(a)}, stop: ${msTime(b)})`;
  const parts = r.ranges.map(one);
  const input = parts.length === 1 ? parts[0]! : flux`union(tables: [${join(parts, ', ')}])`;
  return flux`runs = (start, stop) =>
    from(bucket: ${r.bucket})
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == ${M_RESULT} and r._field == "success")${tagFilter(r.filters)}
        |> aggregateWindow(every: ${fluxDuration(`${r.bucketMs}ms`)}, fn: count, timeSrc: "_start", createEmpty: false)
${input}
    |> group(columns: ["_time"])
    |> sum()
    |> group()`;
}
