// The aggregate query "30 days of hourly buckets grouped by endpoint over 100 endpoints", on rolled-up DuckDB
// files: A) one series per endpoint, B) four series per endpoint (one per region), each one result per minute.
// Reports the cold query and p50/p95/max over repeats: in process (queryAggregatesJson, the JSON text the API
// sends) and over HTTP from the built service in its own process (as `npm start` runs it), with its peak RSS.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAggregatesJson } from '../src/aggregates/index.js';
import { makeSeries, WriteBatch } from '../src/model/result.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { machine, pct, rssSampler, startServiceChild } from './common.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const DAYS = 30;
const MIN = 60_000;
const now = Date.UTC(2026, 10, 21, 0, 30);
const start = now - 30 * MIN - DAYS * 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-agg-'));

async function build(name: string, regions: string[]): Promise<DuckDBStore> {
  const store = await DuckDBStore.open({ path: join(dir, `${name}.duckdb`), timezone: 'UTC', rawRetentionDays: 3650 });
  const series = Array.from({ length: 100 }, (_, e) =>
    regions.map((region) => makeSeries('test_result', { endpoint: `svc-${e}`, region })),
  ).flat();
  let seed = 5;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const minutes = DAYS * 1440;
  for (let m = 0; m < minutes; ) {
    const b = new WriteBatch();
    for (; b.size < 100_000 && m < minutes; m++) {
      for (const s of series)
        b.addResult(s, (start + m * MIN) * 1000, rnd() > 0.01, 20 + 300 * rnd() * rnd(), null, null, null);
    }
    await store.write(b);
  }
  await store.rollup(now);
  return store;
}

interface Row {
  scenario: string;
  via: string;
  period: string;
  buckets: number;
  cold: number;
  p50: number;
  p95: number;
  max: number;
  bytes: number;
}

/** The first run is cold (nothing cached); the others repeat it, as a dashboard refresh does. */
async function time(fn: () => Promise<number>): Promise<{ cold: number; ms: number[]; bytes: number }> {
  const t0 = performance.now();
  await fn();
  const cold = performance.now() - t0;
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    bytes = await fn();
    ms.push(performance.now() - t);
  }
  return { cold, ms, bytes };
}

function getBytes(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const rows: Row[] = [];
const queryPeaks: Record<string, number> = {};
for (const [name, regions] of [
  ['A: 100 series (1 per endpoint)', ['eu-west']],
  ['B: 400 series (4 per endpoint)', ['us-east', 'us-west', 'eu-west', 'ap-south']],
] as const) {
  process.stderr.write(`building ${name}\n`);
  const store = await build(name.slice(0, 1), [...regions]);
  const rss = rssSampler();
  for (const period of ['hour', 'day'] as const) {
    const params = {
      period,
      tz: 'UTC',
      start,
      stop: now - 30 * MIN,
      groupBy: ['endpoint'],
      filters: {},
      metric: 'latency_ms',
      fill: false,
    };
    const r = await time(async () => {
      let bytes = 0;
      for (const chunk of await queryAggregatesJson(store, params, now)) bytes += chunk.length;
      return bytes;
    });
    const buckets = period === 'hour' ? 100 * DAYS * 24 : 100 * DAYS;
    rows.push({
      scenario: name,
      via: 'in process',
      period,
      buckets,
      cold: r.cold,
      p50: pct(r.ms, 0.5),
      p95: pct(r.ms, 0.95),
      max: Math.max(...r.ms),
      bytes: r.bytes,
    });
  }
  queryPeaks[`${name.slice(0, 1)} in process`] = rss.stop();
  await store.close();
  // Over HTTP from the service in its own process: building the JSON and its transfer.
  const service = await startServiceChild({
    RESULTANT_DB_PATH: join(dir, `${name.slice(0, 1)}.duckdb`),
    RESULTANT_TIMEZONE: 'UTC',
    RESULTANT_RETENTION_RAW_DAYS: '3650',
    RESULTANT_RETENTION_HOURLY_DAYS: '3650',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (const period of ['hour', 'day'] as const) {
    const url = `${service.url.origin}/api/v1/aggregates?period=${period}&group_by=endpoint&start=${start}&stop=${now - 30 * MIN}`;
    // Time to the last byte (as curl reports it); parsing 25 MB of JSON is the client's cost, not the query's.
    const r = await time(() => getBytes(url, agent));
    const buckets = rows.find((x) => x.scenario === name && x.period === period)!.buckets;
    rows.push({
      scenario: name,
      via: 'HTTP',
      period,
      buckets,
      cold: r.cold,
      p50: pct(r.ms, 0.5),
      p95: pct(r.ms, 0.95),
      max: Math.max(...r.ms),
      bytes: r.bytes,
    });
  }
  queryPeaks[`${name.slice(0, 1)} service`] = await service.stop();
  agent.destroy();
}
rmSync(dir, { recursive: true, force: true });
console.log(`machine: ${machine()}`);
console.log(`30 days, one result per series per minute, rolled up; the first (cold) query, then ${RUNS} repeats\n`);
console.log(
  '| data | via | period | buckets | cold ms | repeat p50 ms | repeat p95 ms | repeat max ms | response bytes |\n|---|---|---|---|---|---|---|---|---|',
);
for (const r of rows)
  console.log(
    `| ${r.scenario} | ${r.via} | ${r.period} | ${r.buckets.toLocaleString('en')} | ${r.cold.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} | ${r.bytes ? r.bytes.toLocaleString('en') : ''} |`,
  );
console.log(
  `\npeak RSS: ${Object.entries(queryPeaks)
    .map(([k, v]) => `${k} ${v} MB`)
    .join(', ')} (in process: the loader and store; service: the server process only)`,
);
console.log(JSON.stringify({ machine: machine(), runs: RUNS, rows, queryPeakRssMb: queryPeaks }));
