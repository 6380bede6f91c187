// GET /api/v1/charts/<type>.svg|.png (docs/http-api.md; /openapi.json), declared as a route (route.ts): the
// parameters of the matching read, drawn on the server. Which parameters a chart takes depends on its type (the
// path), so the handler validates the query with the type's schema (CHART_QUERIES).

import { z } from 'zod';
import { type ChartRequest, loadChart } from '../charts/load.js';
import { renderChart } from '../charts/render.js';
import { MAX_WIDTH, MIN_WIDTH } from '../charts/theme.js';
import { CHART_TYPES, type ChartType } from '../charts/types.js';
import { notFound } from '../errors.js';
import { PERIODS } from '../time/buckets.js';
import { forecastOptionShape, forecastOptionsOf, horizonWithin } from './forecast.js';
import { collectAfter } from './heavy.js';
import {
  groupBy,
  maybeOneOf,
  maybeWhole,
  metric,
  param,
  parseQuery,
  problem,
  type Query,
  stopAfterStart,
  TAGS,
  tags,
  time,
  timeZone,
} from './params.js';
import { errorResponse, type Route, route } from './route.js';
import { sourcesOf } from './sources.js';

/** The parameters of every chart, in the order the unknown-parameter answer lists them. */
const COMMON = {
  start: time('default as the matching read'),
  stop: time('default: now'),
  tz: timeZone('IANA time zone of the time axis (default: RESULTANT_TIMEZONE)'),
  group_by: groupBy('comma-separated tag keys'),
  metric: metric('field'),
  limit: maybeWhole('series drawn at most', 1, 8),
  width: maybeWhole(
    "total width in pixels to draw the chart at (axes and legend included); default: the chart's own",
    MIN_WIDTH,
    MAX_WIDTH,
  ),
  [TAGS]: tags(),
};
const period = maybeOneOf(PERIODS, 'hour|day|week|month');
const outageBelow = param(
  (v) => {
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 100)
      throw problem(`must be a percentage from 0 to 100 (got "${v.slice(0, 20)}")`);
    return Number(v);
  },
  { description: 'buckets below this % are shaded', schema: { type: 'number', default: 90 } },
);
const { period: forecastPeriod, ...forecastOptions } = forecastOptionShape('80');

const common = z.object(COMMON).superRefine(stopAfterStart);
const withPeriod = z.object({ ...COMMON, period }).superRefine(stopAfterStart);

/** Each chart type's query schema. */
const CHART_QUERIES = {
  latency: withPeriod,
  availability: z.object({ ...COMMON, period, outage_below: outageBelow }).superRefine(stopAfterStart),
  anomalies: withPeriod,
  trends: common,
  workload: common,
  'failure-patterns': common,
  'circuit-breakers': common,
  forecast: z
    .object({ ...COMMON, period: forecastPeriod, ...forecastOptions })
    .superRefine(stopAfterStart)
    .superRefine(horizonWithin),
} satisfies Record<ChartType, z.ZodObject>;

/** Query parameters -> a chart request; every problem is a 400 naming the parameter. */
export function chartRequest(type: ChartType, q: Query, defaultTz: string): ChartRequest {
  const p = parseQuery(CHART_QUERIES[type] as z.ZodObject, q) as z.output<typeof withPeriod> &
    Partial<z.output<(typeof CHART_QUERIES)['availability']>>;
  const r: ChartRequest = {
    type,
    tz: p.tz ?? defaultTz,
    ...(p.start === undefined ? {} : { start: p.start }),
    ...(p.stop === undefined ? {} : { stop: p.stop }),
    groupBy: p.group_by,
    filters: p[TAGS],
    metric: p.metric,
    ...(p.limit === undefined ? {} : { limit: p.limit }),
    ...(p.width === undefined ? {} : { width: p.width }),
  };
  if (type === 'forecast') {
    const { period, ...forecast } = forecastOptionsOf(parseQuery(CHART_QUERIES.forecast, q));
    r.period = period;
    r.forecast = forecast;
  } else if (p.period !== undefined) r.period = p.period;
  if (p.outage_below !== undefined) r.outageBelowPct = p.outage_below;
  return r;
}

export const chartRoutes: Route[] = [
  route({
    method: 'get',
    path: '/api/v1/charts/:file',
    auth: 'read',
    summary: 'A chart drawn on the server: <type>.svg or <type>.png',
    description:
      'Every chart takes start, stop, tz, group_by, metric, limit, width and tag.<key>; latency and anomalies also period ' +
      '(hour|day|week|month); availability period and outage_below; forecast period (hour|day), statistic, horizon, ' +
      'level (default 80) and model, as GET /api/v1/forecast takes them.',
    pathParams: {
      file: { schema: { type: 'string', pattern: `^(${CHART_TYPES.join('|')})\\.(svg|png)$` } },
    },
    // The type's schema (CHART_QUERIES) checks the query, once the path says which chart it is.
    otherParameters: 'allowed',
    before: () => [collectAfter],
    responses: {
      '200': { description: 'the chart', media: { 'image/svg+xml': null, 'image/png': null } },
      '400': errorResponse('bad parameter'),
      '404': errorResponse('unknown chart'),
    },
    async handler({ req, res, env: { deps } }) {
      const file = String(req.params.file ?? '');
      const m = /^([a-z-]+)\.(svg|png)$/.exec(file);
      if (!m || !(CHART_TYPES as readonly string[]).includes(m[1]!)) {
        throw notFound(
          `no chart "${file.slice(0, 60)}"; charts are <type>.svg or <type>.png with type one of ${CHART_TYPES.join(', ')}`,
        );
      }
      const type = m[1] as ChartType;
      const format = m[2] as 'svg' | 'png';
      const chart = await loadChart(sourcesOf(deps), chartRequest(type, req.query as Query, deps.config.timezone));
      const body = await renderChart(chart, format);
      res.setHeader('Cache-Control', 'no-store');
      res.type(format === 'svg' ? 'image/svg+xml' : 'image/png').send(body);
    },
  }),
];
