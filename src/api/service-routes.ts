// The service's own routes, declared as routes (route.ts): liveness (/ping, as InfluxDB answers it), health,
// Prometheus metrics and the OpenAPI document.
import { z } from 'zod';
import type { StoreStatus } from '../store/types.js';
import { errorResponse, type Route, route } from './route.js';

/** Rollup lag beyond which /health reports the rollup check as "warn". */
const LAG_WARN_SECONDS = 2 * 3600;
/** Free space below which /health warns (1 GiB), and fails (64 MiB: writes are about to be refused). */
const DISK_WARN_BYTES = 1024 ** 3;
const DISK_FAIL_BYTES = 64 * 1024 ** 2;

export function diskStatus(freeBytes: number): 'pass' | 'warn' | 'fail' {
  return freeBytes < DISK_FAIL_BYTES ? 'fail' : freeBytes < DISK_WARN_BYTES ? 'warn' : 'pass';
}

/** What /health says while the store's disk refuses writes (whatever the free bytes say: quotas and file-size limits). */
export const STORAGE_FULL_MESSAGE = 'the disk that holds the database is full: writes answer 503 until space is freed';

/** The /health check of the disk under the store: its sizes, and "fail" while writes fail for lack of space. */
function diskCheck(st: StoreStatus): Record<string, unknown>[] {
  if (!st.disk && !st.storageFull) return [];
  const sizes = st.disk ? { database_bytes: st.disk.databaseBytes, free_bytes: st.disk.freeBytes } : {};
  if (st.storageFull) return [{ name: 'disk', status: 'fail', message: STORAGE_FULL_MESSAGE, ...sizes }];
  const status = diskStatus(st.disk!.freeBytes);
  const message = {
    pass: null,
    warn: 'less than 1 GiB free beside the database',
    fail: 'less than 64 MiB free beside the database: writes may soon be refused',
  }[status];
  return [{ name: 'disk', status, ...(message ? { message } : {}), ...sizes }];
}

const Check = z.looseObject({
  name: z.string(),
  status: z.enum(['pass', 'warn', 'fail']),
  message: z.string().optional(),
});
const Health = z.object({
  name: z.literal('resultant'),
  version: z.string(),
  status: z.enum(['pass', 'fail']),
  checks: z.array(Check).meta({ description: 'store, rollup, ingest_queue, disk and each watched Flux task' }),
});

export const serviceRoutes: Route[] = [
  route({
    method: 'get',
    path: '/ping',
    auth: 'none',
    summary: 'Liveness (InfluxDB compatible)',
    otherParameters: 'allowed',
    responses: { '204': { description: 'up' } },
    handler({ res, env: { deps } }) {
      res.setHeader('X-Influxdb-Version', `resultant-${deps.version}`);
      res.status(204).end();
    },
  }),
  route({
    method: 'head',
    path: '/ping',
    auth: 'none',
    summary: 'Liveness, without a body',
    otherParameters: 'allowed',
    responses: { '204': { description: 'up' } },
    handler({ res }) {
      res.status(204).end();
    },
  }),
  route({
    method: 'get',
    path: '/health',
    auth: 'none',
    summary:
      'Health of the store, rollups, ingest queue and disk (the disk check fails while writes fail for lack of space)',
    otherParameters: 'allowed',
    responses: {
      '200': { description: 'no check failed (one may warn)', body: Health },
      '503': { description: 'the same with "status": "fail": a check failed', body: Health },
    },
    async handler({ res, env: { deps } }) {
      const st = await deps.store.status(deps.clock.now());
      const checks = [
        {
          name: 'store',
          status: st.ok ? 'pass' : 'fail',
          ...(st.ok ? {} : { message: st.problem ?? 'the store does not answer' }),
        },
        {
          name: 'rollup',
          status: st.rollupLagSeconds > LAG_WARN_SECONDS ? 'warn' : 'pass',
          lag_seconds: st.rollupLagSeconds,
          dirty_hours: st.dirtyHours,
        },
        {
          name: 'ingest_queue',
          status: deps.queue.depth >= deps.queue.capacity ? 'warn' : 'pass',
          depth_points: deps.queue.depth,
          capacity_points: deps.queue.capacity,
        },
        ...diskCheck(st),
        ...(deps.fluxTasks?.states() ?? []).map((t) => ({
          name: `flux_task:${t.name}`,
          status: t.status,
          last_run_status: t.lastRunStatus,
          // /health answers without a token: InfluxDB's error text (bucket, org and query details) goes to the log.
          ...(t.lastRunError ? { last_run_error: "the last run failed; the service log has InfluxDB's error" } : {}),
          latest_completed: t.latestCompleted,
          ...(t.message ? { message: t.message } : {}),
        })),
      ];
      const status = checks.some((c) => c.status === 'fail') ? 'fail' : 'pass';
      res.status(status === 'pass' ? 200 : 503).json({ name: 'resultant', version: deps.version, status, checks });
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    auth: 'read',
    summary: 'Prometheus metrics',
    otherParameters: 'allowed',
    responses: {
      '200': { description: 'text exposition format', media: { 'text/plain': null } },
      '401': errorResponse('token missing or invalid (when tokens are configured and reads need one)'),
    },
    async handler({ res, env: { deps, admission } }) {
      const st = await deps.store.status(deps.clock.now());
      deps.metrics.rollupLag.set(st.rollupLagSeconds);
      deps.metrics.dirtyHours.set(st.dirtyHours);
      deps.metrics.series.set(st.seriesCount);
      if (st.disk) {
        deps.metrics.databaseBytes.set(st.disk.databaseBytes);
        deps.metrics.diskFreeBytes.set(st.disk.freeBytes);
      }
      deps.metrics.storageFull.set(st.storageFull ? 1 : 0);
      deps.metrics.queueDepth.set(deps.queue.depth);
      deps.metrics.queueCapacity.set(deps.queue.capacity);
      deps.metrics.admittedBytes.set(admission.reservedBytes);
      deps.metrics.admissionCapacity.set(admission.capacityBytes);
      for (const t of deps.fluxTasks?.states() ?? [])
        deps.metrics.fluxTaskFailing.set({ task: t.name }, t.status === 'warn' ? 1 : 0);
      res.setHeader('Content-Type', deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    },
  }),
  route({
    method: 'get',
    path: '/openapi.json',
    auth: 'none',
    summary: 'This document',
    otherParameters: 'allowed',
    responses: {
      '200': {
        description: 'OpenAPI 3.1',
        body: z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.looseObject({}) }),
      },
    },
    handler({ res, env }) {
      res.json(env.openapi);
    },
  }),
];
