// The one composition root: given a store and where the service keeps its own state, the forecaster, the analysis
// runner, the anomaly log, the notifier, the sources of charts and reports, the ingest queue and parser, the HTTP
// app, and the schedules. main.ts serves it, test/support/server.ts serves it to the
// tests, and the CLI's reading commands use its reading half (readingParts).

import type express from 'express';
import { FragmentCache } from './aggregates/index.js';
import { analysisRunner, type StoreAnalysis } from './analysis/index.js';
import { createApp } from './api/app.js';
import type { AppConfig } from './api/deps.js';
import { ServiceMetrics } from './api/metrics.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { Forecaster } from './forecast/index.js';
import { ForecastPool } from './forecast/pool.js';
import { defaultParseWorkers, IngestQueue, type IngestSettings, ParsePool } from './ingest/index.js';
import type { Logger } from './logger.js';
import { Notifier, type NotifierDeps } from './notify/index.js';
import { type ReportSources, serviceSources } from './report/sources.js';
import type { AnomalyLog, ServiceState } from './store/state.js';
import type { RetentionPolicy, Store, StoreBackgroundTasks } from './store/types.js';
import { startTasks } from './tasks/index.js';

/** What the reading half of the service needs: the store, the clock, and optionally a place to keep anomalies. */
export interface ReadingDeps {
  store: Store;
  now: () => number;
  /** Detected anomalies are kept here once (absent: reported, not stored). */
  anomalyLog?: AnomalyLog;
  /** Forecast worker threads (default: the pool's own default); they start when a forecast is asked for. */
  forecastWorkers?: number;
  /** The forecast pool's wall-clock limit per fit (default the pool's, 20 s; tests raise it so a busy machine cannot change the winner). */
  forecastTimeLimitMs?: number;
  /** Replaces the sources of charts, reports and the dashboard (tests). */
  sources?: ReportSources;
}

/** The reading half: the forecaster on its worker pool, the analysis runner, and the sources over the store. */
export interface ReadingParts {
  /** The serialised closed buckets of earlier aggregate answers, shared by every reader of this store. */
  aggregateCache: FragmentCache;
  forecastPool: ForecastPool;
  forecaster: Forecaster;
  analyze: StoreAnalysis;
  sources: ReportSources;
}

export function readingParts(d: ReadingDeps): ReadingParts {
  const forecastPool = new ForecastPool({
    ...(d.forecastWorkers === undefined ? {} : { workers: d.forecastWorkers }),
    ...(d.forecastTimeLimitMs === undefined ? {} : { timeLimitMs: d.forecastTimeLimitMs }),
  });
  const aggregateCache = new FragmentCache();
  const forecaster = new Forecaster(d.store, forecastPool, aggregateCache);
  return {
    aggregateCache,
    forecastPool,
    forecaster,
    analyze: analysisRunner(d.now, d.anomalyLog),
    sources: d.sources ?? serviceSources(d.store, d.now, forecaster, d.anomalyLog, aggregateCache),
  };
}

export interface ServiceSettings {
  /** What the HTTP app is configured with (a Config is one). */
  app: AppConfig;
  queueMaxPoints: number;
  parseWorkers: number;
  ingest?: IngestSettings;
  forecastWorkers?: number;
  forecastTimeLimitMs?: number;
  /** The schedules start() starts; absent: none (the tests drive the tasks themselves). */
  schedules?: { rollupCron: string; retentionCron: string; notifyCron: string; retention: RetentionPolicy };
}

/** The settings of the service a configuration (config.ts) describes. */
export function serviceSettings(config: Config): ServiceSettings {
  return {
    app: config,
    queueMaxPoints: config.queueMaxPoints,
    parseWorkers: config.parseWorkers ?? defaultParseWorkers(),
    ingest: config.ingest,
    schedules: {
      rollupCron: config.rollupCron,
      retentionCron: config.retentionCron,
      notifyCron: config.notifyCron,
      retention: config.retention,
    },
  };
}

export interface ServiceDeps {
  store: Store;
  /** Where the service keeps its own state (store/index.ts: openServiceState, serviceStateIn). */
  state: ServiceState;
  clock: Clock;
  logger: Logger;
  version: string;
  deliver?: NotifierDeps['deliver'];
  /** Replaces the sources of charts, reports and the dashboard (tests). */
  sources?: ReportSources;
}

export interface Service extends ReadingParts {
  store: Store;
  anomalyLog: AnomalyLog;
  notifier: Notifier;
  metrics: ServiceMetrics;
  queue: IngestQueue;
  parser: ParsePool;
  app: express.Express;
  /** Starts the schedules and the store's own background work. */
  start(): void;
  /** Stops what start() started, closes the queue, the workers, the state and the store. */
  stop(): Promise<void>;
}

export function buildService(settings: ServiceSettings, deps: ServiceDeps): Service {
  const { store, state, clock, logger } = deps;
  const now = () => clock.now();
  const metrics = new ServiceMetrics();
  const queue = new IngestQueue(store, { maxPoints: settings.queueMaxPoints, onWritten: (b) => metrics.written(b) });
  const parser = new ParsePool(settings.parseWorkers, settings.ingest);
  const anomalyLog = state.anomalyLog;
  const reading = readingParts({
    store,
    now,
    anomalyLog,
    ...(settings.forecastWorkers === undefined ? {} : { forecastWorkers: settings.forecastWorkers }),
    ...(settings.forecastTimeLimitMs === undefined ? {} : { forecastTimeLimitMs: settings.forecastTimeLimitMs }),
    ...(deps.sources ? { sources: deps.sources } : {}),
  });
  const log = state.notificationLog;
  const notifier = new Notifier({
    store,
    log,
    logger,
    analyze: (kind, req) => reading.analyze(kind, req, store),
    ...(deps.deliver ? { deliver: deps.deliver } : {}),
  });
  // The store's own background work (InfluxDB: the rollup tasks inside it, installed idempotently and watched).
  const background: StoreBackgroundTasks | undefined = store.backgroundTasks?.({ logger });
  const app = createApp({
    store,
    queue,
    parser,
    config: settings.app,
    clock,
    logger,
    metrics,
    forecaster: reading.forecaster,
    aggregateCache: reading.aggregateCache,
    version: deps.version,
    notifications: { log, notifier },
    anomalyLog,
    sources: reading.sources,
    ...(background ? { fluxTasks: background } : {}),
  });
  let stopSchedules: (() => Promise<void>) | null = null;
  return {
    ...reading,
    store,
    anomalyLog,
    notifier,
    metrics,
    queue,
    parser,
    app,
    start() {
      background?.start();
      const s = settings.schedules;
      if (!s || stopSchedules) return;
      stopSchedules = startTasks(
        { store, clock, logger, metrics, anomalyLog },
        {
          rollupCron: s.rollupCron,
          retentionCron: s.retentionCron,
          retention: s.retention,
          notify: { cron: s.notifyCron, notifier },
        },
      );
    },
    async stop() {
      await queue.close();
      await parser.close();
      await reading.forecastPool.close();
      await stopSchedules?.();
      background?.stop();
      await state.close();
      await store.close();
    },
  };
}
