// Where the app's charts, reports and dashboard get their data (report/sources.ts): the sources it was given, or
// the service's own over its store.
import { type ReportSources, serviceSources } from '../report/sources.js';
import type { AppDeps } from './deps.js';

/** The app's sources: given ones, or the store with the service's forecaster and analyses. */
export function sourcesOf(deps: AppDeps): ReportSources {
  return (
    deps.sources ??
    serviceSources(deps.store, () => deps.clock.now(), deps.forecaster, deps.anomalyLog, deps.aggregateCache)
  );
}
