// GET /api/v1/charts/<type>.svg|.png (docs/http-api.md; /openapi.json): the parameters of the matching read, drawn
// on the server. One route is declared per chart type (route.ts), each with its own query schema (CHART_QUERIES),
// so the mount function checks the parameters and the document lists exactly the ones each chart takes.

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

/** What any chart type's schema gives (each type has some of the optional parts). */
type ChartQuery = z.output<typeof withPeriod> & Partial<z.output<(typeof CHART_QUERIES)['availability']>>;

/** Query parameters -> a chart request (the CLI's); every problem is a 400 naming the parameter. */
export const chartRequest = (type: ChartType, q: Query, defaultTz: string): ChartRequest =>
  requestOf(type, parseQuery(CHART_QUERIES[type] as z.ZodObject, q) as ChartQuery, defaultTz);

/** A chart request from the parameters its type's schema parsed. */
function requestOf(type: ChartType, p: ChartQuery, defaultTz: string): ChartRequest {
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
    const { period, ...forecast } = forecastOptionsOf(p as unknown as z.output<(typeof CHART_QUERIES)['forecast']>);
    r.period = period;
    r.forecast = forecast;
  } else if (p.period !== undefined) r.period = p.period;
  if (p.outage_below !== undefined) r.outageBelowPct = p.outage_below;
  return r;
}

/** The 404 for a chart path no route serves: an unknown type or format (app.ts answers it). */
export const unknownChart = (file: string) =>
  notFound(
    `no chart "${file.slice(0, 60)}"; charts are <type>.svg or <type>.png with type one of ${CHART_TYPES.join(', ')}`,
  );

const FORMATS = ['svg', 'png'] as const;

export const chartRoutes: Route[] = CHART_TYPES.map((type) =>
  route({
    method: 'get',
    path: `/api/v1/charts/${type}.:format`,
    auth: 'read',
    summary: `The ${type} chart, drawn on the server`,
    pathParams: { format: { schema: { type: 'string', enum: [...FORMATS] } } },
    query: CHART_QUERIES[type] as z.ZodObject,
    before: () => [collectAfter],
    responses: {
      '200': { description: 'the chart', media: { 'image/svg+xml': null, 'image/png': null } },
      '400': errorResponse('bad parameter'),
      '404': errorResponse('a format other than svg or png'),
    },
    async handler({ req, res, query, env: { deps } }) {
      const format = String(req.params.format);
      if (!(FORMATS as readonly string[]).includes(format)) throw unknownChart(`${type}.${format}`);
      const chart = await loadChart(sourcesOf(deps), requestOf(type, query as ChartQuery, deps.config.timezone));
      const body = await renderChart(chart, format as (typeof FORMATS)[number]);
      res.setHeader('Cache-Control', 'no-store');
      res.type(format === 'svg' ? 'image/svg+xml' : 'image/png').send(body);
    },
  }),
);
