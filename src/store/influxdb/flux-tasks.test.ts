// Task installation and watching against a loopback imitation of /api/v2/orgs and /api/v2/tasks.

import type { Server } from 'node:http';
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfluxImitation } from '../../../test/support/influx-imitation.js';
import { createApp } from '../../api/app.js';
import { ServiceMetrics } from '../../api/metrics.js';
import { fixedClock } from '../../clock.js';
import { Forecaster } from '../../forecast/index.js';
import { ForecastPool } from '../../forecast/pool.js';
import { ParsePool } from '../../ingest/parse-pool.js';
import { IngestQueue } from '../../ingest/queue.js';
import { silentLogger } from '../../logger.js';
import { DuckDBStore } from '../duckdb/index.js';
import { FluxTasks, fluxTaskSpecs } from './flux-tasks.js';

let influx: InfluxImitation;
beforeEach(async () => {
  influx = await new InfluxImitation().start();
});
afterEach(async () => {
  await influx.stop();
});

const manager = (bucket = 'resultant', tz = 'Europe/Berlin') =>
  new FluxTasks(
    new InfluxDB({ url: influx.url, token: 'test-token' }),
    'acme',
    fluxTaskSpecs(bucket, tz),
    silentLogger,
  );

const mutations = () => influx.requests.filter((r) => r.path.startsWith('/api/v2/tasks') && r.method !== 'GET').length;

describe('Flux task installation', () => {
  it('creates the three tasks with the configured buckets and zone, and a second start changes nothing', async () => {
    expect(await manager().install()).toEqual({
      resultant_rollup_hourly__v1: 'created',
      resultant_rollup_daily__v1: 'created',
      resultant_analysis_hourly__v1: 'created',
    });
    expect(influx.tasks).toHaveLength(3);
    const analysis = influx.tasks.find((t) => t.name === 'resultant_analysis_hourly__v1')!;
    expect(analysis.flux).toContain('src_bucket = "resultant"\ndst_bucket = "resultant_hourly"\n');
    expect(analysis.description).toContain('flux/analysis_hourly__v1.flux');
    const daily = influx.tasks.find((t) => t.name === 'resultant_rollup_daily__v1')!;
    expect(daily.flux).toContain('option location = timezone.location(name: "Europe/Berlin")');
    expect(daily.flux).toContain('src_bucket = "resultant"');
    expect(daily.flux).toContain('dst_bucket = "resultant_daily"');
    expect(daily.status).toBe('active');
    expect(daily.orgID).toBe('org0000000000001');
    const before = mutations();
    expect(await manager().install()).toEqual({
      resultant_rollup_hourly__v1: 'unchanged',
      resultant_rollup_daily__v1: 'unchanged',
      resultant_analysis_hourly__v1: 'unchanged',
    });
    expect(mutations()).toBe(before);
    expect(influx.tasks).toHaveLength(3);
  });

  it('patches a task whose Flux was edited or that was deactivated, in place', async () => {
    await manager().install();
    const hourly = influx.tasks.find((t) => t.name === 'resultant_rollup_hourly__v1')!;
    const id = hourly.id;
    hourly.flux += '\n// edited in the UI';
    influx.tasks.find((t) => t.name === 'resultant_rollup_daily__v1')!.status = 'inactive';
    expect(await manager().install()).toEqual({
      resultant_rollup_hourly__v1: 'updated',
      resultant_rollup_daily__v1: 'updated',
      resultant_analysis_hourly__v1: 'unchanged',
    });
    expect(influx.tasks).toHaveLength(3);
    expect(influx.tasks.find((t) => t.name === 'resultant_rollup_hourly__v1')!.id).toBe(id);
    expect(influx.tasks.every((t) => t.status === 'active' && !t.flux.includes('edited'))).toBe(true);
  });

  it('updates the tasks when the zone changes', async () => {
    await manager('resultant', 'UTC').install();
    expect(await manager('resultant', 'America/New_York').install()).toMatchObject({
      resultant_rollup_daily__v1: 'updated',
    });
    expect(influx.tasks.find((t) => t.name === 'resultant_rollup_daily__v1')!.flux).toContain('"America/New_York"');
  });

  it('keeps a bucket name with quotes a Flux string literal', async () => {
    await manager('we"ird\\name').install();
    const hourly = influx.tasks.find((t) => t.name === 'resultant_rollup_hourly__v1')!;
    expect(hourly.flux).toContain('src_bucket = "we\\"ird\\\\name"');
    expect(hourly.flux).toContain('dst_bucket = "we\\"ird\\\\name_hourly"');
  });
});

describe('Flux task watching', () => {
  it('reports a failed last run with its error, and a missing task', async () => {
    const m = manager();
    await m.install();
    expect((await m.poll()).map((s) => s.status)).toEqual(['pass', 'pass', 'pass']);
    const hourly = influx.tasks.find((t) => t.name === 'resultant_rollup_hourly__v1')!;
    hourly.lastRunStatus = 'failed';
    hourly.lastRunError = 'runtime error @42:5-42:40: to: field type conflict';
    const states = await m.poll();
    expect(states.find((s) => s.name === 'resultant_rollup_hourly__v1')).toMatchObject({
      status: 'warn',
      lastRunStatus: 'failed',
      lastRunError: 'runtime error @42:5-42:40: to: field type conflict',
    });
    influx.tasks.splice(
      influx.tasks.findIndex((t) => t.name === 'resultant_rollup_daily__v1'),
      1,
    );
    expect((await m.poll()).find((s) => s.name === 'resultant_rollup_daily__v1')).toMatchObject({
      status: 'warn',
      message: 'task not found in InfluxDB',
    });
  });

  it('reports tasks as not installed when InfluxDB refuses the token', async () => {
    const m = new FluxTasks(
      new InfluxDB({ url: influx.url, token: 'wrong' }),
      'acme',
      fluxTaskSpecs('resultant', 'UTC'),
      silentLogger,
    );
    await expect(m.install()).rejects.toThrow(/unauthorized/);
    expect(m.states().every((s) => s.status === 'warn')).toBe(true);
  });
});

describe('/health and /metrics', () => {
  it('show a failed task run as a warn check with its error, and as resultant_flux_task_failing 1', async () => {
    const m = manager();
    await m.install();
    const hourly = influx.tasks.find((t) => t.name === 'resultant_rollup_hourly__v1')!;
    hourly.lastRunStatus = 'failed';
    hourly.lastRunError = 'could not find bucket "resultant_hourly"';
    daily().lastRunStatus = 'success';
    await m.poll();
    // The app with a real (in-memory DuckDB) store: only the task watcher differs from production wiring.
    const store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 30 });
    const metrics = new ServiceMetrics();
    const queue = new IngestQueue(store, { maxPoints: 1000 });
    const parser = new ParsePool(1);
    const app = createApp({
      store,
      queue,
      parser,
      metrics,
      fluxTasks: m,
      logger: silentLogger,
      version: 'test',
      clock: fixedClock(Date.UTC(2026, 10, 21)),
      // Workers start only when a forecast is asked for; none is here.
      forecaster: new Forecaster(store, new ForecastPool({ workers: 1 })),
      config: { timezone: 'UTC', authTokens: [], publicRead: true, maxBodyBytes: 1000 },
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const a = server.address();
    const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    try {
      const health = (await (await fetch(`${base}/health`)).json()) as {
        status: string;
        checks: Record<string, unknown>[];
      };
      expect(health.status).toBe('pass'); // answers stay right without the tasks: warn, not fail
      expect(health.checks.find((c) => c.name === 'flux_task:resultant_rollup_hourly__v1')).toMatchObject({
        status: 'warn',
        last_run_status: 'failed',
        last_run_error: "the last run failed; the service log has InfluxDB's error",
      });
      // InfluxDB's own error text names buckets and orgs: not on the unauthenticated /health.
      expect(JSON.stringify(health)).not.toContain('could not find bucket');
      expect(health.checks.find((c) => c.name === 'flux_task:resultant_rollup_daily__v1')).toMatchObject({
        status: 'pass',
        last_run_status: 'success',
      });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain('resultant_flux_task_failing{task="resultant_rollup_hourly__v1"} 1');
      expect(text).toContain('resultant_flux_task_failing{task="resultant_rollup_daily__v1"} 0');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await queue.close();
      await parser.close();
      await store.close();
    }
  });
});

const daily = () => influx.tasks.find((t) => t.name === 'resultant_rollup_daily__v1')!;
