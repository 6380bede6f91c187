// The analyses by kind, and the one way to run one. A kind of the contract that this build has no runner for is a
// 404 "not available in this build", not a crash; the router answers 400 for names that are not kinds at all.
import { invalid, notFound } from '../errors.js';
import type { AnomalyLog } from '../store/state.js';
import type { Store } from '../store/types.js';
import { DAY_MS } from '../time/buckets.js';
import { runAnomalies } from './anomalies.js';
import { circuitBreakersRunner } from './circuit-breakers.js';
import { comparisonRunner } from './comparison.js';
import { failurePatternsRunner } from './failure-patterns.js';
import { flakyTestsRunner } from './flaky-tests.js';
import { runRegressions } from './regressions.js';
import { runTrends } from './trends.js';
import {
  ANALYSIS_KINDS,
  type AnalysisContext,
  type AnalysisKind,
  type AnalysisRequest,
  type AnalysisResponses,
  type AnalysisRunner,
  MAX_ANALYSIS_DAYS,
} from './types.js';
import { workloadRunner } from './workload.js';

export { ANALYSIS_KINDS, type AnalysisKind, type AnalysisResponse, type AnalysisResponses } from './types.js';

export const ANALYSES: { [K in AnalysisKind]?: AnalysisRunner<K> } = {
  trends: runTrends,
  regressions: runRegressions,
  anomalies: runAnomalies,
  'failure-patterns': failurePatternsRunner,
  'flaky-tests': flakyTestsRunner,
  workload: workloadRunner,
  'circuit-breakers': circuitBreakersRunner,
  comparison: comparisonRunner,
};

export function isAnalysisKind(s: string): s is AnalysisKind {
  return (ANALYSIS_KINDS as readonly string[]).includes(s);
}

export function availableKinds(): AnalysisKind[] {
  return ANALYSIS_KINDS.filter((k) => ANALYSES[k] !== undefined);
}

/** Runs one analysis; the answer's type follows the kind. */
export async function runAnalysis<K extends AnalysisKind>(
  kind: K,
  ctx: AnalysisContext,
  req: AnalysisRequest,
): Promise<AnalysisResponses[K]> {
  const runner: AnalysisRunner<K> | undefined = ANALYSES[kind];
  if (!runner) {
    throw notFound(
      `analysis "${kind}" is not available in this build; available: ${availableKinds().join(', ') || 'none'}`,
    );
  }
  // Every caller (API, charts, reports, notifications) gets the same bound on what one analysis may read.
  if (!(req.stop > req.start)) throw invalid('stop must be after start', { parameter: 'stop' });
  if (req.stop - req.start > MAX_ANALYSIS_DAYS * DAY_MS) {
    throw invalid(`an analysis covers at most ${MAX_ANALYSIS_DAYS} days; narrow start and stop`, {
      parameter: 'start',
    });
  }
  return runner(ctx, req);
}

/** An analysis over a given store (the service's, or a report's memoized view of it). */
export type StoreAnalysis = <K extends AnalysisKind>(
  kind: K,
  req: AnalysisRequest,
  store: Store,
) => Promise<AnalysisResponses[K]>;

/**
 * The one analysis runner the service's parts share (charts, reports and the dashboard, the notifier, the CLI's
 * reads; service.ts wires it): at the time `now()` says when each runs, keeping anomalies in `anomalyLog` when
 * there is one.
 */
export function analysisRunner(now: () => number, anomalyLog?: AnomalyLog): StoreAnalysis {
  return (kind, req, store) => runAnalysis(kind, { store, now: now(), ...(anomalyLog ? { anomalyLog } : {}) }, req);
}
