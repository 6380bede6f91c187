// Test support: InfluxStore options and stores wired to the loopback imitation (test/support/influx-imitation.ts) with the
// token it accepts, so each test file states only the options its cases are about. Beside the adapter: only store/
// uses the client.
import { InfluxDB } from '@influxdata/influxdb-client';
import { InfluxStore, type InfluxStoreOptions } from '../../src/store/influxdb/index.js';
import type { InfluxImitation } from './influx-imitation.js';

export function imitationOptions(influx: InfluxImitation, opts: Partial<InfluxStoreOptions> = {}): InfluxStoreOptions {
  return {
    url: influx.url,
    token: 'test-token',
    org: 'acme',
    bucket: 'resultant',
    timezone: 'UTC',
    retention: { rawDays: 30, hourlyDays: 400, dailyDays: 0 },
    ...opts,
  };
}

/** A store on a client of its own, without the bucket setup that InfluxStore.open does. */
export function imitationStore(influx: InfluxImitation, opts: Partial<InfluxStoreOptions> = {}): InfluxStore {
  return new InfluxStore(new InfluxDB({ url: influx.url, token: 'test-token' }), imitationOptions(influx, opts));
}
