// Flux for the dashboards that read InfluxDB directly. They read the rollup buckets the Flux tasks write
// (`<bucket>_hourly`, `<bucket>_daily`; the raw bucket is the datasource's default bucket):
//   test_result_counts {series tags}      fields test_count, success_count (int)
//   test_result_stats  {series tags, metric} fields n (int), sum, m2, min, max, p50, p95, p99
// Rollup points carry the window START in _time. So the queries never re-window with aggregateWindow (whose
// windows follow the dashboard's range and UTC, not the task's windows and time zone): they merge the series of a
// group at each stored window start (group by _time, then sum / max), and `range` keeps exactly the windows whose
// start lies in the dashboard's range. Means are Σsum / Σn (exact); percentiles do not merge, so the p95 of a
// group is the worst p95 among its series (exact for a single series, an upper bound otherwise).
// Grafana substitutes v.* (timeRangeStart, timeRangeStop, defaultBucket) and ${var} before the query runs.

/** The rollup bucket chosen by the dashboard's `resolution` variable (hourly or daily). */
const ROLLUP =
  'from(bucket: v.defaultBucket + "_${resolution}")\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)';
const RAW = 'from(bucket: v.defaultBucket)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)';

/** Whether tag `k` matches dashboard variable `k` (see varFilters). */
const varMatch = (k: string): string => `r["${k}"] =~ /^\${${k}:regex}$/`;

/**
 * Filters on dashboard variables. `${x:regex}` is the regex-escaped value (or `a|b` for several); "All" uses the
 * custom all value `.*`, which Grafana inserts unescaped. Series without the tag drop out of filtered panels.
 */
export function varFilters(keys: readonly string[]): string {
  return keys.map((k) => `\n  |> filter(fn: (r) => ${varMatch(k)})`).join('');
}

const list = (cols: readonly string[]) => cols.map((c) => `"${c}"`).join(', ');

/** Availability (%) per group at each window start. */
export function availabilityOverTime(group: readonly string[], vars: readonly string[]): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_counts" and (r._field == "test_count" or r._field == "success_count"))${varFilters(vars)}
  |> group(columns: [${list(['_time', '_field', ...group])}])
  |> sum()
  |> pivot(rowKey: [${list(['_time', ...group])}], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => exists r.test_count and exists r.success_count and r.test_count > 0)
  |> map(fn: (r) => ({r with _value: 100.0 * float(v: r.success_count) / float(v: r.test_count)}))
  |> keep(columns: [${list(['_time', '_value', ...group])}])
  |> group(columns: [${list(group)}])
  |> sort(columns: ["_time"])`;
}

/** Tests, failures and availability per group over the whole range: a table. */
export function availabilityTable(group: readonly string[], vars: readonly string[]): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_counts" and (r._field == "test_count" or r._field == "success_count"))${varFilters(vars)}
  |> group(columns: [${list([...group, '_field'])}])
  |> sum()
  |> pivot(rowKey: [${list(group)}], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => exists r.test_count and exists r.success_count and r.test_count > 0)
  |> map(fn: (r) => ({r with tests: r.test_count, failures: r.test_count - r.success_count, availability_pct: 100.0 * float(v: r.success_count) / float(v: r.test_count)}))
  |> keep(columns: [${list([...group, 'tests', 'failures', 'availability_pct'])}])
  |> group()
  |> sort(columns: ["availability_pct"])`;
}

/** One number: availability (%) of everything matching over the range. */
export function availabilityTotal(vars: readonly string[]): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_counts" and (r._field == "test_count" or r._field == "success_count"))${varFilters(vars)}
  |> group()
  |> reduce(
      identity: {tests: 0, ok: 0},
      fn: (r, accumulator) => ({
          tests: accumulator.tests + (if r._field == "test_count" then r._value else 0),
          ok: accumulator.ok + (if r._field == "success_count" then r._value else 0),
      }),
  )
  |> filter(fn: (r) => r.tests > 0)
  |> map(fn: (r) => ({_value: 100.0 * float(v: r.ok) / float(v: r.tests)}))`;
}

/** Failed tests (test_count - success_count) per group at each window start. */
export function failuresOverTime(group: readonly string[], vars: readonly string[]): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_counts" and (r._field == "test_count" or r._field == "success_count"))${varFilters(vars)}
  |> group(columns: [${list(['_time', '_field', ...group])}])
  |> sum()
  |> pivot(rowKey: [${list(['_time', ...group])}], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => exists r.test_count and exists r.success_count)
  |> map(fn: (r) => ({r with _value: r.test_count - r.success_count}))
  |> keep(columns: [${list(['_time', '_value', ...group])}])
  |> group(columns: [${list(group)}])
  |> sort(columns: ["_time"])`;
}

/** Tests run per group at each window start. */
export function testsOverTime(group: readonly string[], vars: readonly string[]): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_counts" and r._field == "test_count")${varFilters(vars)}
  |> group(columns: [${list(['_time', ...group])}])
  |> sum()
  |> group(columns: [${list(group)}])
  |> sort(columns: ["_time"])`;
}

/** Exact mean of `metric` per group at each window start: Σsum / Σn over the group's series. */
export function meanOverTime(metric: string, group: readonly string[], vars: readonly string[]): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_stats" and r.metric == "${metric}" and (r._field == "n" or r._field == "sum"))${varFilters(vars)}
  |> group(columns: [${list(['_time', '_field', ...group])}])
  |> sum()
  |> pivot(rowKey: [${list(['_time', ...group])}], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => exists r.n and exists r["sum"] and r.n > 0)
  |> map(fn: (r) => ({r with _value: r["sum"] / float(v: r.n)}))
  |> keep(columns: [${list(['_time', '_value', ...group])}])
  |> group(columns: [${list(group)}])
  |> sort(columns: ["_time"])`;
}

/** The worst (largest) per-series percentile of `metric` per group at each window start. */
export function worstPercentileOverTime(
  metric: string,
  field: 'p50' | 'p95' | 'p99',
  group: readonly string[],
  vars: readonly string[],
): string {
  return `${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_stats" and r.metric == "${metric}" and r._field == "${field}")${varFilters(vars)}
  |> group(columns: [${list(['_time', ...group])}])
  |> max()
  |> keep(columns: [${list(['_time', '_value', ...group])}])
  |> group(columns: [${list(group)}])
  |> sort(columns: ["_time"])`;
}

/** Count, exact mean, min, max and worst series p95 of `metric` per group over the whole range: a table. */
export function statsTable(metric: string, group: readonly string[], vars: readonly string[]): string {
  const cols = list([...group, '_field', '_value']);
  return `data = ${ROLLUP}
  |> filter(fn: (r) => r._measurement == "test_result_stats" and r.metric == "${metric}")${varFilters(vars)}
  |> group(columns: [${list([...group, '_field'])}])

union(tables: [
    data |> filter(fn: (r) => r._field == "n" or r._field == "sum") |> sum() |> keep(columns: [${cols}]),
    data |> filter(fn: (r) => r._field == "min") |> min() |> keep(columns: [${cols}]),
    data |> filter(fn: (r) => r._field == "max" or r._field == "p95") |> max() |> keep(columns: [${cols}]),
])
  |> pivot(rowKey: [${list(group)}], columnKey: ["_field"], valueColumn: "_value")
  |> filter(fn: (r) => exists r.n and exists r["sum"] and r.n > 0)
  |> map(fn: (r) => ({r with mean: r["sum"] / float(v: r.n)}))
  |> keep(columns: [${list([...group, 'n', 'mean', 'min', 'max', 'p95'])}])
  |> group()
  |> sort(columns: ["mean"])`;
}

/** Failures by error_type per group over the range, from the raw bucket (only results that carry error_type). */
export function failuresByErrorType(group: readonly string[], vars: readonly string[]): string {
  return `${RAW}
  |> filter(fn: (r) => r._measurement == "test_result" and r._field == "error_type")${varFilters(vars)}
  |> map(fn: (r) => ({r with error_type: r._value, _value: 1}))
  |> group(columns: [${list([...group, 'error_type'])}])
  |> sum()
  |> group()
  |> sort(columns: ["_value"], desc: true)`;
}

/** The newest failed results with their error, from the raw bucket (bounded to 200 rows). */
export function recentErrors(vars: readonly string[]): string {
  return `${RAW}
  |> filter(fn: (r) => r._measurement == "test_result" and (r._field == "error" or r._field == "error_type"))${varFilters(vars)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> drop(columns: ["_start", "_stop", "_measurement"])
  |> group()
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: 200)`;
}

/** Circuit-breaker transitions to open, per breaker at each hour (raw bucket). */
export function breakerOpens(vars: readonly string[]): string {
  return `${RAW}
  |> filter(fn: (r) => r._measurement == "circuit_breaker" and r._field == "state" and r._value == "open")${varFilters(vars)}
  |> map(fn: (r) => ({r with _value: 1}))
  |> group(columns: ["breaker"])
  |> aggregateWindow(every: 1h, fn: sum, timeSrc: "_start", createEmpty: false)`;
}

/** Values of a tag in the hourly rollups, for a dashboard variable. */
export function tagValues(tag: string, measurement: string, vars: readonly string[] = []): string {
  const pred = [`r._measurement == "${measurement}"`, ...vars.map(varMatch)].join(' and ');
  return `import "influxdata/influxdb/schema"

schema.tagValues(bucket: v.defaultBucket + "_hourly", tag: "${tag}", predicate: (r) => ${pred}, start: v.timeRangeStart, stop: v.timeRangeStop)`;
}
