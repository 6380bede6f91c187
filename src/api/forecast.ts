// GET /api/v1/forecast (CONTRACT.md §3.2).
import { Router } from 'express';
import { FORECAST_PERIODS, LIMITS, STATISTICS } from '../forecast/index.js';
import { MODEL_NAMES } from '../forecast/models.js';
import type { AppDeps } from './app.js';
import type { Auth } from './auth.js';
import { enumParam, intParam, metricParam, queryOf, rejectUnknown, tagFilters, timeParam, tzParam } from './params.js';

export function forecastRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  r.get('/api/v1/forecast', auth.require('read'), async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['metric', 'statistic', 'period', 'horizon', 'level', 'model', 'tz', 'start', 'stop']);
    const period = enumParam(q, 'period', FORECAST_PERIODS, 'hour');
    const level = enumParam(q, 'level', ['80', '95'] as const, '95');
    const start = timeParam(q, 'start');
    const stop = timeParam(q, 'stop');
    const body = await deps.forecaster.forecast(
      {
        metric: metricParam(q),
        statistic: enumParam(q, 'statistic', STATISTICS, 'mean'),
        period,
        horizon: intParam(q, 'horizon', 1, LIMITS.horizon[period], LIMITS.defaultHorizon[period]),
        level: level === '80' ? 80 : 95,
        model: enumParam(q, 'model', ['auto', ...MODEL_NAMES] as const, 'auto'),
        filters: tagFilters(q),
        tz: tzParam(q, deps.config.timezone),
        ...(start === undefined ? {} : { start }),
        ...(stop === undefined ? {} : { stop }),
      },
      deps.clock.now(),
    );
    res.json(body);
  });
  return r;
}
