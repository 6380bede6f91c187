// Picks the store adapter named by the configuration.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { DuckDBAnomalyLog } from './duckdb/anomaly-log.js';
import { DuckDBStore } from './duckdb/index.js';
import { DuckDBNotificationLog } from './duckdb/notification-log.js';
import { InfluxStore } from './influxdb/index.js';
import type { AnomalyLog, ServiceState } from './state.js';
import type { Store } from './types.js';

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store === 'influxdb') {
    const { url, token, org, bucket } = config.influx;
    // loadConfig requires all four when RESULTANT_STORE=influxdb; this guards callers that build a Config by hand.
    if (!url || !token || !org || !bucket)
      throw new Error('RESULTANT_STORE=influxdb needs INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG and INFLUX_BUCKET');
    return InfluxStore.open({
      url,
      token,
      org,
      bucket,
      timezone: config.timezone,
      retention: config.retention,
      warn: (m) => logger.warn(m),
    });
  }
  return openDuckDB(config, logger, config.duckdb.threads);
}

/** The DuckDB file at RESULTANT_DB_PATH, with `threads` for its queries. */
function openDuckDB(config: Config, logger: Logger, threads: number | undefined): Promise<DuckDBStore> {
  return DuckDBStore.open({
    path: config.dbPath,
    timezone: config.timezone,
    rawRetentionDays: config.retention.rawDays,
    maxSeries: config.maxSeries,
    memoryLimit: config.duckdb.memoryLimit,
    threads,
    checkpointThreshold: config.duckdb.checkpointThreshold,
    warn: (m) => logger.warn(m),
  });
}

/**
 * Where the service keeps its own state (the anomaly log, notification rules and history): the DuckDB store
 * itself, or, beside an InfluxDB store, a DuckDB file at RESULTANT_DB_PATH that holds only that state (InfluxDB
 * has no place for it, and it is small). `owned`: the caller closes it.
 */
export async function openStateStore(
  config: Config,
  store: Store,
  logger: Logger,
): Promise<{ state: DuckDBStore; owned: boolean }> {
  if (store instanceof DuckDBStore) return { state: store, owned: false };
  // One thread: this file holds only the service's small state tables.
  return { state: await openDuckDB(config, logger, 1), owned: true };
}

/** The service's own state in `state` (a DuckDB store); `owned`: close() closes `state`. */
export async function serviceStateIn(state: DuckDBStore, owned: boolean): Promise<ServiceState> {
  const anomalyLog = await DuckDBAnomalyLog.open(state);
  const notificationLog = await DuckDBNotificationLog.open(state);
  return {
    anomalyLog,
    notificationLog,
    close: async () => {
      if (owned) await state.close();
    },
  };
}

/** The service's own state where openStateStore keeps it for `store`. */
export async function openServiceState(config: Config, store: Store, logger: Logger): Promise<ServiceState> {
  const { state, owned } = await openStateStore(config, store, logger);
  return serviceStateIn(state, owned);
}

/** The anomaly log that goes with a store: in the same file for DuckDB; none (yet) for other stores. */
export async function openAnomalyLog(store: Store): Promise<AnomalyLog | undefined> {
  return store instanceof DuckDBStore ? DuckDBAnomalyLog.open(store) : undefined;
}
