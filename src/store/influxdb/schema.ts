// Names of the InfluxDB layout (documented in flux/README.md; the Grafana dashboards read the same names).
export interface BucketNames {
  raw: string;
  hourly: string;
  daily: string;
}

export function bucketNames(raw: string): BucketNames {
  return { raw, hourly: `${raw}_hourly`, daily: `${raw}_daily` };
}

export const M_RESULT = 'test_result';
export const M_BREAKER = 'circuit_breaker';
export const M_COUNTS = 'test_result_counts';
export const M_STATS = 'test_result_stats';
export const M_SKETCH = 'test_result_sketch';
/** Tag of test_result_stats and test_result_sketch rows naming the metric (field) they describe. */
export const METRIC_TAG = 'metric';
/** Hours the hourly task recomputes on every run (late data up to this old is absorbed without Resultant). */
export const HOURLY_LOOKBACK_HOURS = 3;
/** The string field of a failed test_result with its fingerprint, and the tag of test_failure_summary rows. */
export const FINGERPRINT = 'fingerprint';
/** Analysis summaries in the hourly bucket (flux/analysis_hourly__v1.flux): per default configuration and hour. */
export const M_RUN_SUMMARY = 'test_run_summary';
/** Per series, fingerprint and hour. */
export const M_FAILURE_SUMMARY = 'test_failure_summary';
