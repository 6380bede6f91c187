// GET /api/v1/charts/<type>.svg|.png (docs/http-api.md; /openapi.json): the parameters of the matching read, drawn on the server.

import { Router } from 'express';
import { z } from 'zod';
import { type ChartRequest, loadChart } from '../charts/load.js';
import { renderChart } from '../charts/render.js';
import { MAX_WIDTH, MIN_WIDTH } from '../charts/theme.js';
import { CHART_TYPES, type ChartType } from '../charts/types.js';
import { invalid, notFound, stopNotAfterStart } from '../errors.js';
import { PERIODS } from '../time/buckets.js';
import type { Auth } from './auth.js';
import type { AppDeps } from './deps.js';
import { forecastOptionShape, forecastOptionsOf, horizonWithin } from './forecast.js';
import { collectAfter } from './heavy.js';
import {
  enumParam,
  groupByParam,
  intParam,
  metricParam,
  one,
  parseQuery,
  type Query,
  queryOf,
  rejectUnknown,
  tagFilters,
  timeParam,
  tzParam,
} from './params.js';
import { sourcesOf } from './sources.js';

const COMMON = ['start', 'stop', 'tz', 'group_by', 'metric', 'limit', 'width'];
const ALLOWED: Record<ChartType, string[]> = {
  latency: [...COMMON, 'period'],
  availability: [...COMMON, 'period', 'outage_below'],
  anomalies: [...COMMON, 'period'],
  trends: COMMON,
  workload: COMMON,
  'failure-patterns': COMMON,
  'circuit-breakers': COMMON,
  forecast: [...COMMON, 'period', 'statistic', 'horizon', 'level', 'model'],
};

/** What the forecast chart forecasts (its level defaults to 80 %). */
const FORECAST_CHART = z.object(forecastOptionShape('80')).superRefine(horizonWithin);

/** Query parameters -> a chart request; every problem is a 400 naming the parameter. */
export function chartRequest(type: ChartType, q: Query, defaultTz: string): ChartRequest {
  rejectUnknown(q, ALLOWED[type]);
  const start = timeParam(q, 'start');
  const stop = timeParam(q, 'stop');
  if (start !== undefined && stop !== undefined && stop <= start) throw stopNotAfterStart();
  const r: ChartRequest = {
    type,
    tz: tzParam(q, defaultTz),
    ...(start === undefined ? {} : { start }),
    ...(stop === undefined ? {} : { stop }),
    groupBy: groupByParam(q),
    filters: tagFilters(q),
    metric: metricParam(q),
  };
  if (one(q, 'limit')) r.limit = intParam(q, 'limit', 1, 8, 8);
  if (one(q, 'width')) r.width = intParam(q, 'width', MIN_WIDTH, MAX_WIDTH, MIN_WIDTH);
  if (type === 'forecast') {
    const { period, ...forecast } = forecastOptionsOf(parseQuery(FORECAST_CHART, q, false));
    r.period = period;
    r.forecast = forecast;
  } else if (ALLOWED[type].includes('period') && one(q, 'period')) {
    r.period = enumParam(q, 'period', PERIODS);
  }
  if (type === 'availability' && one(q, 'outage_below') !== undefined) {
    const v = one(q, 'outage_below')!;
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 100) {
      throw invalid(`parameter "outage_below" must be a percentage from 0 to 100 (got "${v.slice(0, 20)}")`, {
        parameter: 'outage_below',
      });
    }
    r.outageBelowPct = Number(v);
  }
  return r;
}

export function chartsRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  r.get('/api/v1/charts/:file', auth.require('read'), collectAfter, async (req, res) => {
    const file = String(req.params.file ?? '');
    const m = /^([a-z-]+)\.(svg|png)$/.exec(file);
    if (!m || !(CHART_TYPES as readonly string[]).includes(m[1]!)) {
      throw notFound(
        `no chart "${file.slice(0, 60)}"; charts are <type>.svg or <type>.png with type one of ${CHART_TYPES.join(', ')}`,
      );
    }
    const type = m[1] as ChartType;
    const format = m[2] as 'svg' | 'png';
    const chart = await loadChart(sourcesOf(deps), chartRequest(type, queryOf(req), deps.config.timezone));
    const body = await renderChart(chart, format);
    res.setHeader('Cache-Control', 'no-store');
    res.type(format === 'svg' ? 'image/svg+xml' : 'image/png').send(body);
  });
  return r;
}
