// The shape every analysis shares (docs/analyses.md): a request over a time range
// and tag filters in, one JSON-ready object out. Analyses read through the Store port only, so they work on every
// store adapter; the numerical work is in pure functions beside each runner.
import type { AnomalyLog } from '../store/state.js';
import type { Store, TagFilters } from '../store/types.js';
import type { AnomaliesResponse } from './anomalies.js';
import type { CircuitBreakersResponse } from './circuit-breakers.js';
import type { ComparisonResponse } from './comparison.js';
import type { FailurePatternsResponse } from './failure-patterns.js';
import type { FlakyTestsResponse } from './flaky-tests.js';
import type { RegressionsResponse } from './regressions.js';
import type { TrendsResponse } from './trends.js';
import type { WorkloadResponse } from './workload.js';

export const ANALYSIS_KINDS = [
  'trends',
  'regressions',
  'anomalies',
  'failure-patterns',
  'flaky-tests',
  'workload',
  'circuit-breakers',
  'comparison',
] as const;
export type AnalysisKind = (typeof ANALYSIS_KINDS)[number];

/** Longest window an analysis reads (days): bounds the rows and the CPU time of one request. */
export const MAX_ANALYSIS_DAYS = 400;

export interface AnalysisRequest {
  /** [start, stop) in epoch ms. */
  start: number;
  stop: number;
  filters: TagFilters;
  groupBy: string[];
  /** Field the analysis looks at where it has one (default latency_ms). */
  metric: string;
  /** IANA zone for calendar buckets (hour of day, daily buckets). */
  tz: string;
  /** Kind-specific parameters, validated by the runner (e.g. `dimension` for comparison). */
  options: Record<string, string>;
}

export interface AnalysisContext {
  store: Store;
  /** Current time, epoch ms (injected so tests can drive it). */
  now: number;
  /** Where detected anomalies are kept once and acknowledged; absent: anomalies are reported, not stored. */
  anomalyLog?: AnomalyLog;
}

/** What every answer starts with: `{"kind", "start", "stop", ...}`; start/stop as RFC 3339 UTC. */
export interface AnalysisHead<K extends AnalysisKind = AnalysisKind> {
  kind: K;
  start: string;
  stop: string;
}

/** Each analysis's answer by kind (the types are beside their runners); the JSON the API returns. */
export interface AnalysisResponses {
  trends: TrendsResponse;
  regressions: RegressionsResponse;
  anomalies: AnomaliesResponse;
  'failure-patterns': FailurePatternsResponse;
  'flaky-tests': FlakyTestsResponse;
  workload: WorkloadResponse;
  'circuit-breakers': CircuitBreakersResponse;
  comparison: ComparisonResponse;
}

/** The answer of analysis K; without K, the answer of any analysis (tell them apart by `kind`). */
export type AnalysisResponse<K extends AnalysisKind = AnalysisKind> = AnalysisResponses[K];

export type AnalysisRunner<K extends AnalysisKind> = (
  ctx: AnalysisContext,
  req: AnalysisRequest,
) => Promise<AnalysisResponses[K]>;
