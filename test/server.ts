// A real service for tests: the Express app on a loopback port, a real DuckDB store, a clock the test controls.
import type { Server } from 'node:http';
import { createApp, type AppConfig } from '../src/api/app.js';
import { ServiceMetrics } from '../src/api/metrics.js';
import { fixedClock } from '../src/clock.js';
import { type IngestSettings, LineProtocolParser } from '../src/ingest/parser.js';
import { IngestQueue } from '../src/ingest/queue.js';
import { silentLogger } from '../src/logger.js';
import { openServices } from '../src/main.js';
import type { ReportSources } from '../src/report/sources.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { Notifier } from '../src/notify/index.js';

export interface TestServer {
  url: string;
  store: DuckDBStore;
  queue: IngestQueue;
  clock: ReturnType<typeof fixedClock>;
  metrics: ServiceMetrics;
  notifier: Notifier;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: Partial<AppConfig> & {
    now?: number;
    path?: string;
    queueMaxPoints?: number;
    rawRetentionDays?: number;
    parseWorkers?: number;
    /** Mappings of other measurements and what becomes of unknown ones (default: none, refused). */
    ingest?: IngestSettings;
    forecastWorkers?: number;
    /**
     * A forecast worker job's time limit (default here: 10 minutes, not the service's 20 s of src/forecast/pool.ts),
     * so a busy machine cannot turn a candidate into "out of time" and change which model wins.
     */
    forecastTimeLimitMs?: number;
    /** Sources for charts, reports and the dashboard over the server's store and clock (default: the app's). */
    sources?: (store: DuckDBStore, now: () => number) => ReportSources;
  } = {},
): Promise<TestServer> {
  const clock = fixedClock(opts.now ?? Date.UTC(2026, 10, 21, 12));
  const config: AppConfig = {
    timezone: opts.timezone ?? 'UTC',
    authTokens: opts.authTokens ?? [],
    readTokens: opts.readTokens ?? [],
    webhookHosts: opts.webhookHosts ?? [],
    corsOrigins: opts.corsOrigins ?? [],
    publicRead: opts.publicRead ?? false,
    maxBodyBytes: opts.maxBodyBytes ?? 25_000_000,
    ...(opts.ingestMaxBytes !== undefined ? { ingestMaxBytes: opts.ingestMaxBytes } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.grafana ? { grafana: opts.grafana } : {}),
  };
  const store = await DuckDBStore.open({
    path: opts.path ?? ':memory:',
    timezone: config.timezone,
    rawRetentionDays: opts.rawRetentionDays ?? 3650,
  });
  const metrics = new ServiceMetrics();
  const queue = new IngestQueue(store, { maxPoints: opts.queueMaxPoints ?? 500_000, onWritten: (b) => metrics.written(b) });
  // One worker by default, so the API tests go through the worker path the service uses.
  const parser = new LineProtocolParser(opts.parseWorkers ?? 1, opts.ingest);
  const { forecastPool, forecaster, anomalyLog, notifications } = await openServices(store, store, clock, silentLogger, {
    forecastWorkers: opts.forecastWorkers ?? 1,
    forecastTimeLimitMs: opts.forecastTimeLimitMs ?? 600_000,
    deliver: { backoffMs: 10, allowedHosts: opts.webhookHosts ?? [] },
  });
  const app = createApp({
    store,
    queue,
    parser,
    config,
    clock,
    logger: silentLogger,
    metrics,
    forecaster,
    notifications,
    anomalyLog,
    version: 'test',
    ...(opts.sources ? { sources: opts.sources(store, () => clock.now()) } : {}),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    queue,
    clock,
    metrics,
    notifier: notifications.notifier,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await queue.close();
      await parser.close();
      await forecastPool.close();
      await store.close();
    },
  };
}
