// Composition root: configuration once, the store adapter, the ingest queue, the app, the scheduled tasks.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createApp } from './api/app.js';
import { ServiceMetrics } from './api/metrics.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { Forecaster } from './forecast/index.js';
import { ForecastPool } from './forecast/pool.js';
import { defaultParseWorkers, LineProtocolParser } from './ingest/parser.js';
import { IngestQueue } from './ingest/queue.js';
import type { Logger } from './logger.js';
import { runAnalysis } from './analysis/index.js';
import type { AnalysisKind, AnalysisRequest } from './analysis/types.js';
import { Notifier, type NotifierDeps } from './notify/index.js';
import { DuckDBAnomalyLog } from './store/duckdb/anomaly-log.js';
import type { DuckDBStore } from './store/duckdb/index.js';
import { DuckDBNotificationLog } from './store/duckdb/notification-log.js';
import type { AnomalyLog } from './store/state.js';
import type { Store } from './store/types.js';
import type { Notifications } from './api/notifications.js';
import { openStateStore, openStore } from './store/index.js';
import { startTasks } from './tasks/index.js';
import { FluxTasks, fluxTaskSpecs } from './tasks/flux-tasks.js';
import { InfluxStore } from './store/influxdb/index.js';

/** The package version, read from package.json (found from src/ when run by tsx/vitest, dist/src/ when built). */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'resultant') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
})();

export interface Running {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * What the app needs beside the store, wired the one way the service and the tests share: the forecaster on its
 * worker pool, the anomaly log, and the notifier (running analyses through the registry) with its rules and
 * history. `state` is the DuckDB store that keeps the service's own state (the store itself, or a file beside
 * an InfluxDB store).
 */
export async function openServices(
  store: Store,
  state: DuckDBStore,
  clock: Clock,
  logger: Logger,
  o: { forecastWorkers?: number; forecastTimeLimitMs?: number; deliver?: NotifierDeps['deliver'] } = {},
): Promise<{ forecastPool: ForecastPool; forecaster: Forecaster; anomalyLog: AnomalyLog; notifications: Notifications }> {
  const forecastPool = new ForecastPool({
    ...(o.forecastWorkers === undefined ? {} : { workers: o.forecastWorkers }),
    ...(o.forecastTimeLimitMs === undefined ? {} : { timeLimitMs: o.forecastTimeLimitMs }),
  });
  const anomalyLog = await DuckDBAnomalyLog.open(state);
  const log = await DuckDBNotificationLog.open(state);
  const analyze = (kind: AnalysisKind, req: AnalysisRequest) => runAnalysis(kind, { store, now: clock.now(), anomalyLog }, req);
  const notifier = new Notifier({ store, log, logger, analyze, ...(o.deliver ? { deliver: o.deliver } : {}) });
  return { forecastPool, forecaster: new Forecaster(store, forecastPool), anomalyLog, notifications: { log, notifier } };
}

export async function startServer(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const store = await openStore(config, logger);
  const metrics = new ServiceMetrics();
  const queue = new IngestQueue(store, { maxPoints: config.queueMaxPoints, onWritten: (b) => metrics.written(b) });
  const parser = new LineProtocolParser(config.parseWorkers ?? defaultParseWorkers(), config.ingest);
  const { state, owned: ownState } = await openStateStore(config, store, logger);
  const { forecastPool, forecaster, anomalyLog, notifications } = await openServices(store, state, clock, logger, {
    deliver: { allowedHosts: config.webhookHosts },
  });
  // With InfluxDB, the rollup tasks inside it are installed (idempotently) and watched.
  const fluxTasks =
    store instanceof InfluxStore ? new FluxTasks(store.influx, config.influx.org!, fluxTaskSpecs(store.buckets.raw, config.timezone), logger) : undefined;
  fluxTasks?.start();
  const app = createApp({
    store,
    queue,
    parser,
    config,
    clock,
    logger,
    metrics,
    forecaster,
    version: VERSION,
    notifications,
    anomalyLog,
    ...(fluxTasks ? { fluxTasks } : {}),
  });
  if (config.authTokens.length === 0) {
    logger.warn('no RESULTANT_AUTH_TOKENS configured: the service accepts writes and reads from anyone who can reach it');
  }
  const stopTasks = startTasks(
    { store, clock, logger, metrics, anomalyLog },
    {
      rollupCron: config.rollupCron,
      retentionCron: config.retentionCron,
      retention: config.retention,
      notify: { cron: config.notifyCron, notifier: notifications.notifier },
    },
  );
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  // Bounded bodies are enforced while reading; this bounds slow clients that never finish sending.
  server.requestTimeout = 120_000;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, store: config.store, db: config.dbPath, tz: config.timezone }, 'listening');
  let stopping: Promise<void> | null = null;
  return {
    server,
    url,
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await queue.close();
        await parser.close();
        await forecastPool.close();
        await stopTasks();
        fluxTasks?.stop();
        if (ownState) await state.close();
        await store.close();
      })()),
  };
}
