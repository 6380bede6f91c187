// Resultant hourly analysis summaries, version 1 (schema: flux/README.md).
//
// The inputs of the flaky-test and failure-pattern analyses per UTC hour, kept in the hourly bucket for reads
// beyond the raw retention (inside it Resultant computes the same summaries from raw data with the same Flux,
// src/store/influxdb/analysis-queries.ts):
// - test_run_summary: per test configuration (a result's tags without the run tags below, the default rule of
//   src/model/configuration.ts) and hour, the runs in time order, failures first at an equal microsecond.
// - test_failure_summary: per series, fingerprint and hour, the failures, their first and last time, and the
//   newest message (cut to 2000 characters, what the fingerprint's normaliser reads) with its error_type.
// Like the rollup, every run recomputes the last three complete UTC hours and overwrites their points (same
// measurement, tags and hour-start time), so late data up to three hours old is absorbed and a re-run changes
// nothing; the range comes from date.truncate, so no partial hour is ever written (influxdb#24265).
//
// Traps avoided: sorting by _time would order two results of one microsecond by the nanosecond suffix Resultant
// adds (src/store/influxdb/lines.ts), so runs are sorted by the microsecond (_t) and then the outcome; to()
// makes every string column that fieldFn does not reference a tag, so the only strings left are the series
// tags, the fingerprint (a tag on purpose) and the fields named in fieldFn; the last outcomes are an integer.
//
// Lines between "@params" and "@end" are rewritten by Resultant when it installs the task (bucket names), and
// the "@bounds" block is replaced by explicit aligned bounds when Resultant rebuilds a range through
// /api/v2/query (src/store/influxdb/flux-files.ts).
import "date"
import "strings"

option task = {name: "resultant_analysis_hourly__v1", every: 1h, offset: 5m}

// @params
src_bucket = "resultant"
dst_bucket = "resultant_hourly"
// @end

// @bounds
stop = date.truncate(t: now(), unit: 1h)
start = date.sub(d: 3h, from: stop)
// @end

// Run summaries: per default configuration (every tag but the run tags of src/model/configuration.ts RUN_TAGS)
// and hour. _tail holds the last 10 outcomes as bits, newest in bit 0, 1 = failed.
from(bucket: src_bucket)
    |> range(start: start, stop: stop)
    |> filter(fn: (r) => r._measurement == "test_result" and r._field == "success")
    |> window(every: 1h)
    |> group(
        columns: ["_time", "_value", "worker", "commit", "build", "run", "run_id", "job", "job_id"],
        mode: "except",
    )
    |> map(fn: (r) => ({r with _t: int(v: r._time) / 1000, _ok: if r._value then 1 else 0}))
    |> sort(columns: ["_t", "_ok"])
    |> reduce(
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
    )
    |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_run_summary"}))
    |> to(
        bucket: dst_bucket,
        fieldFn: (r) =>
            ({
                "runs": r._runs,
                "failures": r._failures,
                "first_ok": r._first_ok == 1,
                "last_ok": r._last_ok == 1,
                "first_time": r._first_t,
                "last_time": r._last_t,
                "transitions": r._transitions,
                "tail": r._tail,
                "streak": r._streak,
            }),
    )
    |> yield(name: "runs")

// Failure summaries: per series, fingerprint and hour (only failed results carry the fingerprint field). The
// newest message wins, at an equal microsecond the greatest text; error_type is "" when the result had none.
from(bucket: src_bucket)
    |> range(start: start, stop: stop)
    |> filter(
        fn: (r) =>
            r._measurement == "test_result" and (r._field == "fingerprint" or r._field == "error" or r._field
                ==
                "error_type"),
    )
    |> window(every: 1h)
    |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
    |> filter(fn: (r) => exists r.fingerprint)
    |> map(
        fn: (r) =>
            ({r with
                _t: int(v: r._time) / 1000,
                _msg: if exists r.error then strings.substring(v: r.error, start: 0, end: 2000) else "",
                _et: if exists r.error_type then r.error_type else "",
            }),
    )
    |> group(columns: ["_time", "_t", "_msg", "_et", "error", "error_type"], mode: "except")
    |> sort(columns: ["_t", "_msg"])
    |> reduce(
        identity: {_failures: 0, _first_t: 0, _last_t: 0, _msg: "", _et: ""},
        fn: (r, accumulator) =>
            ({
                _failures: accumulator._failures + 1,
                _first_t: if accumulator._failures == 0 then r._t else accumulator._first_t,
                _last_t: r._t,
                _msg: r._msg,
                _et: r._et,
            }),
    )
    |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_failure_summary"}))
    |> to(
        bucket: dst_bucket,
        fieldFn: (r) =>
            ({
                "failures": r._failures,
                "first_time": r._first_t,
                "last_time": r._last_t,
                "error": r._msg,
                "error_type": r._et,
            }),
    )
    |> yield(name: "failures")
