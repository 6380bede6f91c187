// What the chart functions take: the contract's JSON shapes (docs/http-api.md; /openapi.json) as plain data, so every chart can be
// drawn (and tested) from a saved response without the service that produced it.
import type { TopLevelSpec } from 'vega-lite';
import type { ForecastJson as ForecastResponse } from '../forecast/index.js';

export const CHART_TYPES = [
  'trends',
  'availability',
  'latency',
  'forecast',
  'anomalies',
  'workload',
  'failure-patterns',
  'circuit-breakers',
] as const;
export type ChartType = (typeof CHART_TYPES)[number];

/** What a forecast chart draws of GET /api/v1/forecast's response (docs/http-api.md; /openapi.json). */
export type ForecastJson = Pick<
  ForecastResponse,
  'metric' | 'statistic' | 'period' | 'level' | 'model' | 'history' | 'forecast' | 'backtest'
> & {
  /** The series' tag filter, when the caller adds it (not part of the contract's response). */
  tags?: Record<string, string>;
};

/** A circuit-breaker state transition as the charts read it (from Store.breakerEvents). */
export interface BreakerTransition {
  /** epoch ms */
  time: number;
  state: string;
  tags: Record<string, string>;
}

/** What every chart needs besides its data: the zone its time axis is drawn in and the range it covers. */
export interface ChartContext {
  /** IANA zone in which times are shown. */
  tz: string;
  /** [start, stop) in epoch ms: said in the title and in the "no data" message. */
  start: number;
  stop: number;
  /** Tag filter, said in the subtitle. */
  filters?: Record<string, string[]>;
  /** Total width in pixels (axes, labels and legend included) the chart is drawn at; unset: each chart's own. */
  width?: number;
}

/** A vega-lite spec plus what the chart says about itself (used by reports and tests). */
export interface Chart {
  type: ChartType;
  spec: TopLevelSpec;
  title: string;
  /** Series (lines, bars, rows) drawn; 0 for the "no data" chart. */
  series: number;
  empty: boolean;
}
