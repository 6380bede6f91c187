// Resultant hourly rollup, version 1 (schema: flux/README.md).
//
// Every run recomputes the last three complete UTC hours from the raw bucket and overwrites their rollup points
// (same measurement, tags and window-start time), so data arriving up to three hours late is absorbed and a
// re-run changes nothing. Traps avoided: the range is aligned with date.truncate, so no partial first or last
// window can overwrite a good one (influxdb#24265); points carry the window START (not aggregateWindow's
// default _stop, flux#1730); empty windows are never written.
//
// Lines between "@params" and "@end" are rewritten by Resultant when it installs the task (bucket names), and
// the "@bounds" block is replaced by explicit aligned bounds when Resultant rebuilds a range through
// /api/v2/query (src/store/influxdb/flux-files.ts).
import "date"
import "math"

option task = {name: "resultant_rollup_hourly__v1", every: 1h, offset: 5m}

// @params
src_bucket = "resultant"
dst_bucket = "resultant_hourly"
// @end

// @bounds
stop = date.truncate(t: now(), unit: 1h)
start = date.sub(d: 3h, from: stop)
// @end

// Sketch bins of model/stats.ts: key = 200000 + ceil(ln(v) / ln(gamma)), gamma = 1.004 / 0.996; 0 for v = 0.
invLnGamma = 1.0 / math.log(x: 1.004 / 0.996)
sketchKey = (v) =>
    if v > 0.0 then
        200000 + int(v: math.ceil(x: math.log(x: v) * invLnGamma))
    else if v < 0.0 then
        -(200000 + int(v: math.ceil(x: math.log(x: -v) * invLnGamma)))
    else
        0

raw =
    from(bucket: src_bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == "test_result")
        |> window(every: 1h)

// test_count and success_count per series and hour.
raw
    |> filter(fn: (r) => r._field == "success")
    |> reduce(
        identity: {test_count: 0, success_count: 0},
        fn: (r, accumulator) =>
            ({
                test_count: accumulator.test_count + 1,
                success_count: accumulator.success_count + (if r._value then 1 else 0),
            }),
    )
    |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_result_counts"}))
    |> drop(columns: ["_field"])
    |> to(
        bucket: dst_bucket,
        fieldFn: (r) => ({"test_count": r.test_count, "success_count": r.success_count}),
    )
    |> yield(name: "counts")

// Every numeric field (latency_ms and other metrics): moments by Welford's update (m2 = sum of squared
// deviations from the mean, stable where a sum of squares would cancel), plus sumsq for merging inside Flux.
metrics =
    raw
        // Every field but the boolean and the strings (a string reaching toFloat() fails the whole run).
        |> filter(fn: (r) => not contains(value: r._field, set: ["success", "error", "error_type", "fingerprint"]))
        |> toFloat()

metrics
    |> reduce(
        identity: {n: 0, sum: 0.0, sumsq: 0.0, mean: 0.0, m2: 0.0, min: 0.0, max: 0.0},
        fn: (r, accumulator) =>
            ({
                n: accumulator.n + 1,
                sum: accumulator.sum + r._value,
                sumsq: accumulator.sumsq + r._value * r._value,
                mean: accumulator.mean + (r._value - accumulator.mean) / float(v: accumulator.n + 1),
                m2:
                    accumulator.m2 + (r._value - accumulator.mean) * (r._value - accumulator.mean)
                        *
                        float(v: accumulator.n) / float(v: accumulator.n + 1),
                min: if accumulator.n == 0 or r._value < accumulator.min then r._value else accumulator.min,
                max: if accumulator.n == 0 or r._value > accumulator.max then r._value else accumulator.max,
            }),
    )
    |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_result_stats", metric: r._field}))
    |> drop(columns: ["_field"])
    |> to(
        bucket: dst_bucket,
        fieldFn: (r) =>
            ({
                "n": r.n,
                "sum": r.sum,
                "sumsq": r.sumsq,
                "m2": r.m2,
                "min": r.min,
                "max": r.max,
            }),
    )
    |> yield(name: "stats")

// Exact percentiles of the hour (exact_mean is R type 7: linear interpolation between order statistics).
pct = (tables=<-, q, name) =>
    tables
        |> quantile(q: q, method: "exact_mean")
        |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_result_stats", metric: r._field, _field: name}))
        |> to(bucket: dst_bucket)

metrics |> pct(q: 0.5, name: "p50") |> yield(name: "p50")
metrics |> pct(q: 0.95, name: "p95") |> yield(name: "p95")
metrics |> pct(q: 0.99, name: "p99") |> yield(name: "p99")

// Sketch bins (count c<key> and sum s<key>), so percentiles of merged hours stay within 0.8 %.
bins =
    metrics
        |> map(fn: (r) => ({r with k: sketchKey(v: r._value)}))
        |> group(columns: ["_time", "_value"], mode: "except")
        |> reduce(identity: {c: 0, s: 0.0}, fn: (r, accumulator) => ({c: accumulator.c + 1, s: accumulator.s + r._value}))
        |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_result_sketch", metric: r._field}))

bins
    |> map(fn: (r) => ({r with _field: "c" + string(v: r.k), _value: r.c}))
    |> drop(columns: ["k", "c", "s"])
    |> to(bucket: dst_bucket)
    |> yield(name: "bin_counts")

bins
    |> map(fn: (r) => ({r with _field: "s" + string(v: r.k), _value: r.s}))
    |> drop(columns: ["k", "c", "s"])
    |> to(bucket: dst_bucket)
    |> yield(name: "bin_sums")
