// One instance of every Flux program the InfluxDB store sends (read queries, and the rollup programs as tasks and
// as bounded queries), with awkward values, for a test that runs Flux through the official parser and semantic
// check (@influxdata/flux-lsp-browser): feed it the values of sampleFluxQueries().
import { FLUX_FILES, readFluxFile, renderBounded, renderParams } from '../src/store/influxdb/flux-files.js';
import {
  bucketRunsQuery,
  failureBucketsQuery,
  failureFingerprintsQuery,
  failureSummariesQuery,
  runSummariesQuery,
  storedFailureSummariesQuery,
  storedFingerprintsQuery,
  storedRunSummariesQuery,
} from '../src/store/influxdb/analysis-queries.js';
import { breakerQuery, cardinalityQuery, rawAggregateQuery, resultsQuery, rollupRowsQuery, seriesQuery } from '../src/store/influxdb/queries.js';

export function sampleFluxQueries(): Record<string, string> {
  const filters = { endpoint: ['a', 'b"x${y}'], region: ['eu'] };
  const h = 3_600_000;
  return {
    rawAggregate: rawAggregateQuery({ bucket: 'res', startMs: 0, stopMs: 2 * h, everyMs: h, offsetMs: h / 2, filters, groupBy: ['region'], metric: 'latency_ms' }).toString(),
    rawAggregateUngrouped: rawAggregateQuery({ bucket: 'res', startMs: 0, stopMs: 2 * h, everyMs: h, offsetMs: 0, filters: {}, groupBy: [], metric: 'throughput' }).toString(),
    rawAggregateCounts: rawAggregateQuery({ bucket: 'res', startMs: 0, stopMs: 2 * h, everyMs: h, offsetMs: 0, filters, groupBy: ['region', 'we"ird'], metric: 'latency_ms', stats: 'counts', skipUntagged: true }).toString(),
    rawAggregateMoments: rawAggregateQuery({ bucket: 'res', startMs: 0, stopMs: 2 * h, everyMs: h, offsetMs: 0, filters: {}, groupBy: ['region'], metric: 'latency_ms', stats: 'moments', skipUntagged: true }).toString(),
    rollupRowsCounts: rollupRowsQuery({ bucket: 'res_hourly', startMs: 0, stopMs: 2 * h, filters, metric: 'latency_ms', sketch: false, countsOnly: true, requireTags: ['region'] }).toString(),
    rollupRows: rollupRowsQuery({ bucket: 'res_hourly', startMs: 0, stopMs: 2 * h, filters, metric: 'latency_ms', sketch: true }).toString(),
    results: resultsQuery({ bucket: 'res', startUs: 0, stopUs: 1e16, filters, success: false, n: 11, beforeNs: 1_763_719_200_000_000_123n }).toString(),
    series: seriesQuery({ bucket: 'res', startUs: 0, stopUs: 1e16, filters: {}, measurements: ['test_result', 'circuit_breaker'] }).toString(),
    breakers: breakerQuery({ bucket: 'res', startUs: 0, stopUs: 1e16, filters }).toString(),
    cardinality: cardinalityQuery('res', 0).toString(),
    hourlyTask: renderParams(readFluxFile(FLUX_FILES.hourly), { srcBucket: 'res', dstBucket: 'res_hourly' }),
    dailyTask: renderParams(readFluxFile(FLUX_FILES.daily), { srcBucket: 'res', dstBucket: 'res_daily', timezone: 'Europe/Berlin' }),
    hourlyBounded: renderBounded(readFluxFile(FLUX_FILES.hourly), 'hourly', { srcBucket: 'res', dstBucket: 'res_hourly' }, 0, 2 * h),
    analysisTask: renderParams(readFluxFile(FLUX_FILES.analysis), { srcBucket: 'res', dstBucket: 'res_hourly' }),
    analysisBounded: renderBounded(readFluxFile(FLUX_FILES.analysis), 'analysis', { srcBucket: 'r"es', dstBucket: 'res_hourly' }, 0, 3 * h),
    runSummaries: runSummariesQuery({ bucket: 'res', startMs: 7 * 60_000, stopMs: 3 * h, filters, configuration: { ignore: ['worker', 'we"ird'] } }).toString(),
    runSummariesOnly: runSummariesQuery({ bucket: 'res', startMs: 0, stopMs: 3 * h, filters: {}, configuration: { only: ['test', 'region'] } }).toString(),
    runSummariesExcluded: runSummariesQuery({ bucket: 'res', startMs: 0, stopMs: 3 * h, filters, configuration: { ignore: ['worker'] }, exclude: { bucketUs: 60_000_000, indexes: [29_000_000, 29_000_001] } }).toString(),
    storedRunSummaries: storedRunSummariesQuery({ bucket: 'res_hourly', startMs: 0, stopMs: 3 * h, filters }).toString(),
    failureSummaries: failureSummariesQuery({ bucket: 'res', segments: [[7 * 60_000, 80 * 60_000], [80 * 60_000, 150 * 60_000]], filters }).toString(),
    failureSummariesOneSegment: failureSummariesQuery({ bucket: 'res', segments: [[0, h]], filters: {} }).toString(),
    storedFailureSummaries: storedFailureSummariesQuery({ bucket: 'res_hourly', startMs: 0, stopMs: 3 * h, filters }).toString(),
    failureFingerprints: failureFingerprintsQuery({ bucket: 'res', startMs: 0, stopMs: 3 * h, filters }).toString(),
    storedFingerprints: storedFingerprintsQuery({ bucket: 'res_hourly', startMs: 0, stopMs: 3 * h, filters }).toString(),
    failureBuckets: failureBucketsQuery({ bucket: 'res', startMs: 0, stopMs: 3 * h, filters, bucketMs: 60_000, minFailures: 9 }).toString(),
    bucketRuns: bucketRunsQuery({ bucket: 'res', ranges: [[0, 120_000], [600_000, 660_000]], filters, bucketMs: 60_000 }).toString(),
    bucketRunsOne: bucketRunsQuery({ bucket: 'res', ranges: [[0, 120_000]], filters: {}, bucketMs: 60_000 }).toString(),
    dailyBounded: renderBounded(readFluxFile(FLUX_FILES.daily), 'daily', { srcBucket: 'res', dstBucket: 'res_daily', timezone: 'Asia/Kolkata' }, 0, 24 * h),
  };
}
