// GET /api/v1/forecast (docs/http-api.md; /openapi.json), declared as a route (route.ts); its query schema is
// also the CLI's (`resultant forecast`) and, for what to forecast, the forecast chart's.
import { z } from 'zod';
import { FORECAST_PERIODS, type ForecastParams, LIMITS, STATISTICS } from '../forecast/index.js';
import { MODEL_NAMES } from '../forecast/models.js';
import { collectAfter } from './heavy.js';
import { metric, oneOf, parseQuery, type Query, TAGS, tags, text, time, timeZone, whole } from './params.js';
import { errorResponse, type Route, route } from './route.js';

/** The horizon's bounds depend on the period: checked once the period is known. */
const HORIZON = {
  hour: whole('', 1, LIMITS.horizon.hour, LIMITS.defaultHorizon.hour),
  day: whole('', 1, LIMITS.horizon.day, LIMITS.defaultHorizon.day),
};

/** What to forecast and how: statistic, period, horizon, level (default `defaultLevel`), model. */
export const forecastOptionShape = (defaultLevel: '80' | '95') => ({
  statistic: oneOf(STATISTICS, 'what to forecast', 'mean'),
  period: oneOf(FORECAST_PERIODS, 'bucket size', 'hour'),
  horizon: text('buckets ahead (1-336 hourly, 1-90 daily; default 24 / 14)', { type: 'integer' }),
  level: oneOf(['80', '95'], 'prediction interval in percent', defaultLevel),
  model: oneOf(['auto', ...MODEL_NAMES], 'force a model', 'auto'),
});

type ForecastOptionQuery = z.output<z.ZodObject<ReturnType<typeof forecastOptionShape>>>;

/** The query check of the horizon, within its period's bounds. */
export function horizonWithin(o: ForecastOptionQuery, ctx: z.RefinementCtx): void {
  const r = HORIZON[o.period].safeParse(o.horizon);
  if (!r.success) ctx.addIssue({ code: 'custom', path: ['horizon'], message: r.error.issues[0]!.message });
}

/** The options of a validated query. */
export function forecastOptionsOf(
  o: ForecastOptionQuery,
): Pick<ForecastParams, 'period' | 'level' | 'statistic' | 'horizon' | 'model'> {
  return {
    period: o.period,
    level: o.level === '80' ? 80 : 95,
    statistic: o.statistic,
    horizon: HORIZON[o.period].parse(o.horizon),
    model: o.model,
  };
}

const options = forecastOptionShape('95');
const forecastQuery = z
  .object({
    metric: metric('field (default latency_ms)'),
    statistic: options.statistic,
    period: options.period,
    horizon: options.horizon,
    level: options.level,
    model: options.model,
    tz: timeZone('IANA time zone of the buckets (default: RESULTANT_TIMEZONE)'),
    start: time('history from (default: 30 days hourly, 365 days daily, before stop)'),
    stop: time('history until (default: now; the current bucket is left out)'),
    [TAGS]: tags(),
  })
  .superRefine(horizonWithin);

function paramsOf(q: z.output<typeof forecastQuery>, defaultTz: string): ForecastParams {
  return {
    metric: q.metric,
    ...forecastOptionsOf(q),
    filters: q[TAGS],
    tz: q.tz ?? defaultTz,
    ...(q.start === undefined ? {} : { start: q.start }),
    ...(q.stop === undefined ? {} : { stop: q.stop }),
  };
}

/** The forecast's query parameters, validated (the CLI passes its options through here too). */
export function forecastParams(q: Query, defaultTz: string): ForecastParams {
  return paramsOf(parseQuery(forecastQuery, q), defaultTz);
}

const nullableNumber = z.number().nullable();

const ForecastAnswer = z.object({
  metric: z.string(),
  statistic: z.enum(STATISTICS),
  period: z.enum(FORECAST_PERIODS),
  level: z.union([z.literal(80), z.literal(95)]),
  tz: z.string(),
  model: z.object({ name: z.enum(MODEL_NAMES), params: z.record(z.string(), z.unknown()) }),
  history: z.array(z.object({ time: z.string(), value: nullableNumber })),
  forecast: z.array(z.object({ time: z.string(), value: z.number(), lower: z.number(), upper: z.number() })),
  backtest: z.object({
    mase: z.number(),
    smape: z.number(),
    coverage: z.number(),
    baseline: z.literal('seasonal_naive'),
    baseline_mase: z.number(),
    folds: z.number().int(),
    horizon: z.number().int(),
    points: z.number().int(),
  }),
  candidates: z.array(
    z.object({
      name: z.enum(MODEL_NAMES),
      params: z.record(z.string(), z.unknown()),
      mase: nullableNumber,
      smape: nullableNumber,
      coverage: nullableNumber,
      ms: z.number(),
      skipped: z.string().optional(),
    }),
  ),
  data: z.object({ start: z.string(), stop: z.string(), points: z.number().int(), gaps_filled: z.number().int() }),
  interval: z.object({ calibration_factor: z.number() }),
  calibration: z.record(z.string(), z.unknown()),
  cached: z.boolean(),
});

export const forecastRoutes: Route[] = [
  route({
    method: 'get',
    path: '/api/v1/forecast',
    auth: 'read',
    summary: 'Forecast an hourly or daily statistic of a series; the model is chosen by rolling-origin backtest',
    query: forecastQuery,
    before: () => [collectAfter],
    responses: {
      '200': { description: 'the forecast, its backtest and the candidates compared', body: ForecastAnswer },
      '400': errorResponse('bad parameter, or too little history (the message states the minimum)'),
      '503': errorResponse('too many forecasts waiting; retry after the Retry-After header'),
    },
    async handler({ res, query: q, env: { deps } }) {
      res.json(await deps.forecaster.forecast(paramsOf(q, deps.config.timezone), deps.clock.now()));
    },
  }),
];
