// The service on RESULTANT_STORE=influxdb (against the loopback imitation of InfluxDB's API) keeps its own state
// (notification rules and history, the anomaly log) in a DuckDB file at RESULTANT_DB_PATH: the endpoints work and
// the rules survive a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { startServer } from '../../src/main.js';
import { InfluxImitation } from '../support/influx-imitation.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-influx-state-'));
let influx: InfluxImitation;
beforeAll(async () => {
  influx = await new InfluxImitation().start();
});
afterAll(async () => {
  await influx.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = () =>
  startServer(
    loadConfig({
      RESULTANT_STORE: 'influxdb',
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: 'test-token',
      INFLUX_ORG: 'acme',
      INFLUX_BUCKET: 'resultant',
      RESULTANT_DB_PATH: join(dir, 'state.duckdb'),
      RESULTANT_PORT: '0',
      // No scheduled evaluation during the test.
      RESULTANT_NOTIFY_CRON: '0 0 1 1 *',
    }),
    silentLogger,
  );

describe('service state beside an InfluxDB store', () => {
  it('serves notification rules and the anomaly log from a local file, across a restart', async () => {
    let svc = await start();
    try {
      const res = await fetch(`${svc.url}/api/v1/notifications/rules`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'avail', kind: 'availability_below', threshold: 99 }),
      });
      expect(res.status).toBe(201);
      expect((await fetch(`${svc.url}/api/v1/anomalies`)).status).toBe(200);
    } finally {
      await svc.stop();
    }
    svc = await start();
    try {
      const rules = (await (await fetch(`${svc.url}/api/v1/notifications/rules`)).json()) as {
        rules: { name: string }[];
      };
      expect(rules.rules.map((r) => r.name)).toEqual(['avail']);
      // The series store is InfluxDB: its buckets were set up there.
      expect(influx.buckets.map((b) => b.name).sort()).toEqual(['resultant', 'resultant_daily', 'resultant_hourly']);
    } finally {
      await svc.stop();
    }
  }, 60_000);
});
