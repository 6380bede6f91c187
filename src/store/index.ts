// Picks the store adapter named by the configuration.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { DuckDBAnomalyLog } from './duckdb/anomaly-log.js';
import { DuckDBStore } from './duckdb/index.js';
import type { AnomalyLog } from './state.js';
import type { Store } from './types.js';

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store === 'influxdb') {
    throw new Error('RESULTANT_STORE=influxdb: the InfluxDB store is not available in this build yet; use duckdb');
  }
  return DuckDBStore.open({
    path: config.dbPath,
    timezone: config.timezone,
    rawRetentionDays: config.retention.rawDays,
    maxSeries: config.maxSeries,
    memoryLimit: config.duckdb.memoryLimit,
    threads: config.duckdb.threads,
    warn: (m) => logger.warn(m),
  });
}

/** The anomaly log that goes with a store: in the same file for DuckDB; none (yet) for other stores. */
export async function openAnomalyLog(store: Store): Promise<AnomalyLog | undefined> {
  return store instanceof DuckDBStore ? DuckDBAnomalyLog.open(store) : undefined;
}
