// What the HTTP application is given (api/app.ts builds it; service.ts wires it): its settings and the parts it
// serves from. Its own module so that the routers, which all take it, import neither app.ts nor each other for it.
import type { FragmentCache } from '../aggregates/index.js';
import type { Clock } from '../clock.js';
import type { Forecaster } from '../forecast/index.js';
import type { IngestQueue, ParsePool } from '../ingest/index.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notify/index.js';
import type { NotificationLog } from '../notify/log.js';
import type { ReportSources } from '../report/sources.js';
import type { AnomalyLog } from '../store/state.js';
import type { Store, StoreTaskState } from '../store/types.js';
import type { ServiceMetrics } from './metrics.js';

export interface AppConfig {
  timezone: string;
  authTokens: string[];
  readTokens?: string[];
  /** Hosts webhooks may be sent to; empty or absent: any. */
  webhookHosts?: string[];
  /** Browser origins allowed to call the API (CORS); "*" for any; empty or absent: none. */
  corsOrigins?: string[];
  publicRead: boolean;
  maxBodyBytes: number;
  /** Decoded body bytes the writes being read may hold together (default: maxBodyBytes); see ingest/admission.ts. */
  ingestMaxBytes?: number;
  /** Which store serves the data (picks the default Grafana dashboard variant); Config carries it. */
  store?: 'duckdb' | 'influxdb';
  grafana?: { url?: string; token?: string; timeoutMs?: number };
}

/** Notification rules and history, and the notifier that evaluates the rules (api/notifications.ts serves them). */
export interface Notifications {
  log: NotificationLog;
  notifier: Notifier;
}

export interface AppDeps {
  store: Store;
  queue: IngestQueue;
  parser: ParsePool;
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  metrics: ServiceMetrics;
  forecaster: Forecaster;
  /** Serialised closed buckets of earlier aggregate answers (service.ts makes one per store); absent: none kept. */
  aggregateCache?: FragmentCache;
  /** Rules, history and the notifier (absent: the notification endpoints answer 404). */
  notifications?: Notifications;
  version: string;
  /** The InfluxDB rollup tasks being watched (RESULTANT_STORE=influxdb only). */
  fluxTasks?: { states(): StoreTaskState[] };
  /** Keeps detected anomalies once and their acknowledgements (absent: anomalies are reported, not stored). */
  anomalyLog?: AnomalyLog;
  /** Data for charts, reports and the dashboard; default: the store, the analyses and the forecaster (tests replace it). */
  sources?: ReportSources;
}
