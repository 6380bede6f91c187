// Grafana endpoints (docs/http-api.md; /openapi.json), declared as routes (route.ts): the dashboard JSON Resultant ships, and pushing it to GRAFANA_URL.
import { z } from 'zod';
import { AppError } from '../errors.js';
import { buildDashboards, FOLDER, provisionDashboards, type Variant } from '../grafana/index.js';
import { maybeOneOf, oneOf } from './params.js';
import { errorResponse, type Route, route } from './route.js';

const VARIANTS = ['influxdb', 'api', 'all'] as const;

// Built once: the dashboards are code, fixed for the life of the process.
const files = buildDashboards();
const pick = (v: (typeof VARIANTS)[number]) => files.filter((f) => v === 'all' || f.variant === (v as Variant));

const DashboardsAnswer = z.object({
  folder: z.looseObject({ uid: z.string(), title: z.string() }),
  dashboards: z.array(
    z.object({
      uid: z.string(),
      title: z.string(),
      variant: z.enum(['influxdb', 'api']),
      file: z.string(),
      dashboard: z.looseObject({ uid: z.string(), title: z.string() }).meta({ description: "Grafana's JSON model" }),
    }),
  ),
});

const ProvisionAnswer = z.object({
  grafana_url: z.string(),
  folder: z.looseObject({ uid: z.string(), title: z.string() }),
  variant: z.enum(VARIANTS),
  dashboards: z.array(
    z.looseObject({
      uid: z.string(),
      result: z.enum(['created', 'updated', 'unchanged']),
      version: z.number().nullable(),
    }),
  ),
});

export const grafanaRoutes: Route[] = [
  route({
    method: 'get',
    path: '/api/v1/grafana/dashboards',
    auth: 'read',
    summary: 'The Grafana dashboards Resultant ships (JSON model), InfluxDB and API variants',
    query: z.object({ variant: oneOf(VARIANTS, 'which dashboards', 'all') }),
    responses: {
      '200': { description: 'the dashboards', body: DashboardsAnswer },
      '400': errorResponse('bad parameter'),
    },
    handler({ res, query: q }) {
      res.json({
        folder: FOLDER,
        dashboards: pick(q.variant).map((f) => ({
          uid: f.dashboard.uid,
          title: f.dashboard.title,
          variant: f.variant,
          file: f.file,
          dashboard: f.dashboard,
        })),
      });
    },
  }),

  route({
    method: 'post',
    path: '/api/v1/grafana/provision',
    auth: 'write',
    summary: 'Push the dashboards to GRAFANA_URL with GRAFANA_TOKEN (idempotent, fixed uids, folder "Resultant")',
    query: z.object({
      variant: maybeOneOf(VARIANTS, 'which dashboards (default: all with the InfluxDB store, api otherwise)'),
    }),
    responses: {
      '200': { description: 'what became of each dashboard', body: ProvisionAnswer },
      '400': errorResponse('bad parameter'),
      '503': errorResponse('Grafana not configured, unreachable, or refused (grafana_status 401, 403, 404, 412)'),
    },
    async handler({ res, query: q, env: { deps } }) {
      // The InfluxDB variant needs the InfluxDB datasource; with the embedded store only the API variant can work.
      const variant = q.variant ?? (deps.config.store === 'influxdb' ? 'all' : 'api');
      const { url, token, timeoutMs } = deps.config.grafana ?? {};
      if (!url || !token) {
        throw new AppError(
          'unavailable',
          'Grafana is not configured: set GRAFANA_URL and GRAFANA_TOKEN (a service account token with the Editor role)',
        );
      }
      const dashboards = await provisionDashboards({ url, token, ...(timeoutMs ? { timeoutMs } : {}) }, pick(variant));
      res.json({ grafana_url: url, folder: FOLDER, variant, dashboards });
    },
  }),
];
