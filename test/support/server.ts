// A real service for tests: the Express app on a loopback port, a real DuckDB store, a clock the test controls.
import type { Server } from 'node:http';
import type { AppConfig } from '../../src/api/deps.js';
import type { ServiceMetrics } from '../../src/api/metrics.js';
import { fixedClock } from '../../src/clock.js';
import type { IngestSettings } from '../../src/ingest/parse-pool.js';
import type { IngestQueue } from '../../src/ingest/queue.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import type { Notifier } from '../../src/notify/index.js';
import type { ReportSources } from '../../src/report/sources.js';
import { buildService } from '../../src/service.js';
import { DuckDBStore } from '../../src/store/duckdb/index.js';
import { serviceStateIn } from '../../src/store/index.js';

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
    /** The forecast pool's wall-clock limit per fit (default 10 minutes, so a busy machine cannot change the winner). */
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
  // The service's own state in the same store, as the service keeps it beside DuckDB data; no schedules are started.
  const service = buildService(
    {
      app: config,
      queueMaxPoints: opts.queueMaxPoints ?? 500_000,
      // One worker by default, so the API tests go through the worker path the service uses.
      parseWorkers: opts.parseWorkers ?? 1,
      ...(opts.ingest ? { ingest: opts.ingest } : {}),
      forecastWorkers: opts.forecastWorkers ?? 1,
      forecastTimeLimitMs: opts.forecastTimeLimitMs ?? 600_000,
    },
    {
      store,
      state: await serviceStateIn(store, false),
      clock,
      // TEST_LOG=1 logs the server's errors (for a 500 seen in a test); silent otherwise.
      logger: process.env.TEST_LOG ? createLogger('error') : silentLogger,
      version: 'test',
      deliver: { backoffMs: 10, allowedHosts: opts.webhookHosts ?? [] },
      ...(opts.sources ? { sources: opts.sources(store, () => clock.now()) } : {}),
    },
  );
  const { app, queue, metrics } = service;
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
    notifier: service.notifier,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await service.stop();
    },
  };
}
