// Test support: an InfluxStore wired to the loopback imitation (test/influx-imitation.ts) with the token it accepts,
// so each test file states only the options its cases are about. Beside the adapter: only store/ uses the client.
import { InfluxDB } from '@influxdata/influxdb-client';
import type { InfluxImitation } from '../../../test/influx-imitation.js';
import { InfluxStore, type InfluxStoreOptions } from './index.js';

export function imitationStore(influx: InfluxImitation, opts: Partial<InfluxStoreOptions> = {}): InfluxStore {
  return new InfluxStore(new InfluxDB({ url: influx.url, token: 'test-token' }), {
    url: influx.url,
    token: 'test-token',
    org: 'acme',
    bucket: 'resultant',
    timezone: 'UTC',
    retention: { rawDays: 30, hourlyDays: 400, dailyDays: 0 },
    ...opts,
  });
}
