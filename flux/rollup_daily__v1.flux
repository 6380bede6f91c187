// Resultant daily rollup, version 1 (schema: flux/README.md).
//
// One day in the configured time zone (option location), computed from the raw bucket so the day's p50/p95/p99
// are exact. The task runs hourly; it recomputes the day that ended most recently during the first four runs
// after local midnight (absorbing late data), and writes nothing on the other runs ("due"). The day's bounds come
// from date.truncate in the zone, not from window(every: 1d): aligned bounds never produce a partial window, and
// the DST day (23 or 25 hours) is one range instead of the extra row that windowing adds across a DST change
// (influxdb#23237). The previous midnight is found by truncating 12 h before this one, which stays right on DST
// days where subtracting 24 h would not. Points carry the day START (UTC instant of local midnight).
//
// Lines between "@params" and "@end" are rewritten by Resultant when it installs the task (bucket names, zone),
// and the "@bounds" block is replaced by explicit bounds when Resultant rebuilds a range through /api/v2/query
// (src/store/influxdb/flux-files.ts). Every output is yielded under its own name: a program with several
// results needs distinct yield names. Known Flux bug: some zones (e.g. Asia/Kolkata) returned no data in older
// Flux versions (flux#4312); Resultant reads days inside the raw retention from raw data either way.
import "date"
import "math"
import "timezone"

option task = {name: "resultant_rollup_daily__v1", every: 1h, offset: 10m}

// @params
option location = timezone.location(name: "UTC")
src_bucket = "resultant"
dst_bucket = "resultant_daily"
// @end

// @bounds
dayStop = date.truncate(t: now(), unit: 1d)
dayStart = date.truncate(t: date.sub(d: 12h, from: dayStop), unit: 1d)
due = int(v: now()) - int(v: dayStop) < int(v: 4h)
// @end

// When not due, a 1 ns range keeps the run cheap and the filter below writes nothing.
start = if due then dayStart else date.sub(d: 1ns, from: dayStop)
stop = dayStop

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
        |> filter(fn: (r) => due)

// test_count and success_count per series and day (the range is the window: _start = dayStart).
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

// Exact percentiles of the day (exact_mean is R type 7: linear interpolation between order statistics).
pct = (tables=<-, q, name) =>
    tables
        |> quantile(q: q, method: "exact_mean")
        |> map(fn: (r) => ({r with _time: r._start, _measurement: "test_result_stats", metric: r._field, _field: name}))
        |> to(bucket: dst_bucket)

metrics |> pct(q: 0.5, name: "p50") |> yield(name: "p50")
metrics |> pct(q: 0.95, name: "p95") |> yield(name: "p95")
metrics |> pct(q: 0.99, name: "p99") |> yield(name: "p99")

// Sketch bins (count c<key> and sum s<key>), so percentiles of merged days stay within 0.8 %.
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
