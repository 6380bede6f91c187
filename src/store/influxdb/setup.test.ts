// Bucket setup at open and the status probe, against a loopback imitation of /api/v2/orgs, /api/v2/buckets and
// /api/v2/query.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csv, InfluxImitation, json } from '../../../test/support/influx-imitation.js';
import { imitationOptions } from '../../../test/support/influx-imitation-contract.js';
import { InfluxStore, type InfluxStoreOptions } from './index.js';

let influx: InfluxImitation;
beforeEach(async () => {
  influx = await new InfluxImitation().start();
});
afterEach(async () => {
  await influx.stop();
});

const opts = (o: Partial<InfluxStoreOptions> = {}): InfluxStoreOptions =>
  imitationOptions(influx, { setupDelayMs: 1, ...o });

const mutations = () =>
  influx.requests.filter((r) => r.path.startsWith('/api/v2/buckets') && r.method !== 'GET').length;

describe('bucket setup', () => {
  it('creates the raw, hourly and daily buckets with their retention, and a second open changes nothing', async () => {
    await (await InfluxStore.open(opts())).close();
    expect(influx.buckets.map((b) => [b.name, b.retentionRules[0]!.everySeconds, b.orgID])).toEqual([
      ['resultant', 30 * 86400, 'org0000000000001'],
      ['resultant_hourly', 400 * 86400, 'org0000000000001'],
      ['resultant_daily', 0, 'org0000000000001'],
    ]);
    const before = mutations();
    await (await InfluxStore.open(opts())).close();
    expect(mutations()).toBe(before);
  });

  it('changes the retention of an existing bucket in place', async () => {
    await (await InfluxStore.open(opts())).close();
    const id = influx.buckets[0]!.id;
    await (await InfluxStore.open(opts({ retention: { rawDays: 14, hourlyDays: 400, dailyDays: 0 } }))).close();
    expect(influx.buckets).toHaveLength(3);
    expect(influx.buckets[0]).toMatchObject({ id, retentionRules: [{ type: 'expire', everySeconds: 14 * 86400 }] });
    expect(influx.count('PATCH', `/api/v2/buckets/${id}`)).toBe(1);
  });

  it('waits for an InfluxDB that is still starting (503), then sets up', async () => {
    let refusals = 2;
    influx.intercept = (r, res) => {
      if (r.path !== '/api/v2/orgs' || refusals-- <= 0) return false;
      json(res, 503, { code: 'unavailable', message: 'starting' });
      return true;
    };
    const warnings: string[] = [];
    await (await InfluxStore.open(opts({ warn: (m) => warnings.push(m) }))).close();
    expect(influx.buckets).toHaveLength(3);
    expect(warnings.filter((w) => /not ready/.test(w))).toHaveLength(2);
  });

  it('fails at once on a wrong token', async () => {
    await expect(InfluxStore.open(opts({ token: 'nope' }))).rejects.toThrow(/unauthorized/);
  });
});

describe('status', () => {
  it('reports the series cardinality of the raw bucket, and a failure when InfluxDB does not answer', async () => {
    const s = new InfluxStore((await InfluxStore.open(opts({ setupBuckets: false }))).influx, opts());
    influx.queryAnswer = (r, res) => {
      expect((JSON.parse(r.body) as { query: string }).query).toContain('influxdb.cardinality(bucket: "resultant"');
      csv(
        res,
        '#group,false,false,false\n#datatype,string,long,long\n#default,_result,,\n,result,table,_value\n,,0,42\n',
      );
    };
    expect(await s.status(Date.UTC(2026, 10, 21))).toMatchObject({ ok: true, seriesCount: 42 });
    influx.queryAnswer = (_r, res) => json(res, 500, { code: 'internal error', message: 'boom' });
    expect(await s.status(Date.UTC(2026, 10, 21))).toMatchObject({ ok: false });
    await s.close();
  });
});
