// A chart request -> the data it needs from the sources -> the chart. Shared by the HTTP route, the CLI and reports.
import { defaultRange } from '../aggregates/index.js';
import type { AnalysisKind, AnalysisRequest } from '../analysis/types.js';
import { invalid } from '../errors.js';
import type { ForecastParams } from '../forecast/index.js';
import type { ReportSources } from '../report/sources.js';
import type { TagFilters } from '../store/types.js';
import { bucketBoundaries, DAY_MS, type Period } from '../time/buckets.js';
import { circuitBreakersChart, failurePatternsChart, trendsChart, workloadChart } from './findings.js';
import { anomaliesChart, availabilityChart, forecastChart, forecastContext, latencyChart } from './series.js';
import type { Chart, ChartType } from './types.js';

export interface ChartRequest {
  type: ChartType;
  tz: string;
  /** ms; defaults as for the matching read (aggregates: 24 h for hour buckets, 30 days otherwise; analyses: 7 days). */
  start?: number;
  stop?: number;
  period?: Period;
  groupBy: string[];
  filters: TagFilters;
  metric: string;
  /** Groups drawn at most (1-8). */
  limit?: number;
  /** availability: buckets below this are shaded as outages. */
  outageBelowPct?: number;
  /** forecast: statistic, horizon, level and model (the period is `period`). */
  forecast?: Pick<ForecastParams, 'statistic' | 'horizon' | 'level' | 'model'>;
  /** Kind-specific analysis parameters (e.g. dimension). */
  options?: Record<string, string>;
  /** Total width in pixels to draw the chart at (the dashboard's panel width); unset: the chart's own. */
  width?: number;
}

export const ANALYSIS_DAYS = 7;
/** Buckets per series a chart draws at most: beyond this a line is denser than the pixels that show it. */
export const MAX_CHART_BUCKETS = 2000;

export async function loadChart(sources: ReportSources, r: ChartRequest): Promise<Chart> {
  const now = sources.now();
  const period: Period = r.period ?? 'hour';
  const ctxOf = (start: number, stop: number) => ({
    tz: r.tz,
    start,
    stop,
    filters: r.filters,
    ...(r.width === undefined ? {} : { width: r.width }),
  });
  const analysisRange = (): [number, number] => {
    const stop = r.stop ?? now;
    return [r.start ?? stop - ANALYSIS_DAYS * DAY_MS, stop];
  };
  const analysis = <K extends AnalysisKind>(kind: K, start: number, stop: number) => {
    const req: AnalysisRequest = {
      start,
      stop,
      filters: r.filters,
      groupBy: r.groupBy,
      metric: r.metric,
      tz: r.tz,
      options: r.options ?? {},
    };
    return sources.analysis(kind, req);
  };
  const aggregates = (start: number, stop: number, p: Period, groupBy: string[] = r.groupBy) => {
    bucketBoundaries(p, r.tz, start, stop, {
      max: MAX_CHART_BUCKETS,
      tooMany: () =>
        invalid(
          `the chart would have more than ${MAX_CHART_BUCKETS} ${p} buckets per series: narrow start/stop or use a longer period`,
          { parameter: 'period' },
        ),
    });
    return sources.aggregates({
      period: p,
      tz: r.tz,
      start,
      stop,
      groupBy,
      filters: r.filters,
      metric: r.metric,
      fill: false,
    });
  };
  const limit = r.limit === undefined ? {} : { limit: r.limit };

  switch (r.type) {
    case 'latency':
    case 'availability': {
      const [start, stop] = defaultRange(period, now, r.start, r.stop);
      const agg = await aggregates(start, stop, period);
      const ctx = ctxOf(Date.parse(agg.start), Date.parse(agg.stop));
      return r.type === 'latency'
        ? latencyChart(agg, ctx, limit)
        : availabilityChart(agg, ctx, {
            ...limit,
            ...(r.outageBelowPct === undefined ? {} : { outageBelowPct: r.outageBelowPct }),
          });
    }
    case 'anomalies': {
      const [start, stop] = analysisRange();
      const found = await analysis('anomalies', start, stop);
      // The lines are the series the detector judged: grouped and bucketed as the analysis was.
      const agg = await aggregates(start, stop, found.period, found.group_by);
      return anomaliesChart(agg, found, ctxOf(start, stop), limit);
    }
    case 'trends': {
      const [start, stop] = analysisRange();
      return trendsChart(await analysis('trends', start, stop), ctxOf(start, stop));
    }
    case 'workload': {
      const [start, stop] = analysisRange();
      return workloadChart(await analysis('workload', start, stop), ctxOf(start, stop));
    }
    case 'failure-patterns': {
      const [start, stop] = analysisRange();
      return failurePatternsChart(await analysis('failure-patterns', start, stop), ctxOf(start, stop));
    }
    case 'circuit-breakers': {
      const [start, stop] = analysisRange();
      return circuitBreakersChart(await sources.breakerEvents({ start, stop, filters: r.filters }), ctxOf(start, stop));
    }
    case 'forecast': {
      const f = r.forecast ?? { statistic: 'mean', horizon: period === 'hour' ? 24 : 14, level: 80, model: 'auto' };
      const fc = await sources.forecast({
        ...f,
        metric: r.metric,
        period: period === 'day' ? 'day' : 'hour',
        filters: r.filters,
        tz: r.tz,
      });
      const tags = Object.fromEntries(Object.entries(r.filters).map(([k, v]) => [k, v.join('|')]));
      return forecastChart(
        { ...fc, ...(Object.keys(tags).length ? { tags } : {}) },
        forecastContext(fc, ctxOf(now - DAY_MS, now)),
      );
    }
  }
}
