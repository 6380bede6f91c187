// Picks the store adapter named by the configuration.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { DuckDBStore } from './duckdb/index.js';
import { DuckDBNotificationLog } from './duckdb/notification-log.js';
import type { NotificationLog } from '../notify/log.js';
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

/** Where notification rules and history are kept: in the same file for DuckDB; none (yet) for other stores. */
export async function openNotificationLog(store: Store): Promise<NotificationLog | null> {
  return store instanceof DuckDBStore ? DuckDBNotificationLog.open(store) : null;
}
