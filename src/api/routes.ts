// Every declared route of the HTTP API (route.ts), in mounting order: app.ts mounts them, openapi.ts describes them.
import { analysisRoutes } from './analysis.js';
import { chartRoutes } from './charts.js';
import { deleteRoutes } from './delete.js';
import { forecastRoutes } from './forecast.js';
import { grafanaRoutes } from './grafana.js';
import { influxQueryRoutes } from './influx-query.js';
import { notificationRoutes } from './notifications.js';
import { readRoutes } from './reads.js';
import { reportRoutes } from './reports.js';
import type { Route } from './route.js';
import { serviceRoutes } from './service-routes.js';
import { writeRoutes } from './write.js';

export const ROUTES: readonly Route[] = [
  ...serviceRoutes,
  ...writeRoutes,
  ...deleteRoutes,
  ...influxQueryRoutes,
  ...readRoutes,
  ...notificationRoutes,
  ...grafanaRoutes,
  ...analysisRoutes,
  ...forecastRoutes,
  ...reportRoutes,
  ...chartRoutes,
];
