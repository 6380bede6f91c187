// GET /api/v1/forecast (docs/http-api.md; /openapi.json).

import { Router } from 'express';
import { FORECAST_PERIODS, type ForecastParams, LIMITS, STATISTICS } from '../forecast/index.js';
import { MODEL_NAMES } from '../forecast/models.js';
import type { Auth } from './auth.js';
import type { AppDeps } from './deps.js';
import { collectAfter } from './heavy.js';
import {
  enumParam,
  intParam,
  metricParam,
  type Query,
  queryOf,
  rejectUnknown,
  tagFilters,
  timeParam,
  tzParam,
} from './params.js';

export function forecastRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  r.get('/api/v1/forecast', auth.require('read'), collectAfter, async (req, res) => {
    res.json(await deps.forecaster.forecast(forecastParams(queryOf(req), deps.config.timezone), deps.clock.now()));
  });
  return r;
}

/** The forecast's query parameters, validated (the CLI passes its options through here too). */
export function forecastParams(q: Query, defaultTz: string): ForecastParams {
  rejectUnknown(q, ['metric', 'statistic', 'period', 'horizon', 'level', 'model', 'tz', 'start', 'stop']);
  const options = forecastOptions(q, '95');
  const start = timeParam(q, 'start');
  const stop = timeParam(q, 'stop');
  return {
    metric: metricParam(q),
    ...options,
    filters: tagFilters(q),
    tz: tzParam(q, defaultTz),
    ...(start === undefined ? {} : { start }),
    ...(stop === undefined ? {} : { stop }),
  };
}

/** What to forecast and how (period, level, statistic, horizon, model), shared with the forecast chart's route. */
export function forecastOptions(
  q: Query,
  defaultLevel: '80' | '95',
): Pick<ForecastParams, 'period' | 'level' | 'statistic' | 'horizon' | 'model'> {
  const period = enumParam(q, 'period', FORECAST_PERIODS, 'hour');
  const level = enumParam(q, 'level', ['80', '95'] as const, defaultLevel);
  return {
    period,
    level: level === '80' ? 80 : 95,
    statistic: enumParam(q, 'statistic', STATISTICS, 'mean'),
    horizon: intParam(q, 'horizon', 1, LIMITS.horizon[period], LIMITS.defaultHorizon[period]),
    model: enumParam(q, 'model', ['auto', ...MODEL_NAMES] as const, 'auto'),
  };
}
