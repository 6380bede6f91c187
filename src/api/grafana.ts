// Grafana endpoints (docs/http-api.md; /openapi.json): the dashboard JSON Resultant ships, and pushing it to GRAFANA_URL.
import { Router } from 'express';
import { AppError } from '../errors.js';
import { buildDashboards, FOLDER, provisionDashboards, type Variant } from '../grafana/index.js';
import type { Auth } from './auth.js';
import type { AppDeps } from './deps.js';
import { enumParam, queryOf, rejectUnknown } from './params.js';

const VARIANTS = ['influxdb', 'api', 'all'] as const;

export function grafanaRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  // Built once: the dashboards are code, fixed for the life of the process.
  const files = buildDashboards();
  const pick = (v: (typeof VARIANTS)[number]) => files.filter((f) => v === 'all' || f.variant === (v as Variant));

  r.get('/api/v1/grafana/dashboards', auth.require('read'), (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['variant'], false);
    const variant = enumParam(q, 'variant', VARIANTS, 'all');
    res.json({
      folder: FOLDER,
      dashboards: pick(variant).map((f) => ({
        uid: f.dashboard.uid,
        title: f.dashboard.title,
        variant: f.variant,
        file: f.file,
        dashboard: f.dashboard,
      })),
    });
  });

  r.post('/api/v1/grafana/provision', auth.require('write'), async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['variant'], false);
    // The InfluxDB variant needs the InfluxDB datasource; with the embedded store only the API variant can work.
    const variant = enumParam(q, 'variant', VARIANTS, deps.config.store === 'influxdb' ? 'all' : 'api');
    const { url, token, timeoutMs } = deps.config.grafana ?? {};
    if (!url || !token) {
      throw new AppError(
        'unavailable',
        'Grafana is not configured: set GRAFANA_URL and GRAFANA_TOKEN (a service account token with the Editor role)',
      );
    }
    const dashboards = await provisionDashboards({ url, token, ...(timeoutMs ? { timeoutMs } : {}) }, pick(variant));
    res.json({ grafana_url: url, folder: FOLDER, variant, dashboards });
  });
  return r;
}
