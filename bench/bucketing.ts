// Measures ways to put rows into day buckets of a time zone in DuckDB (the choice behind store/duckdb/sql.ts):
// time_bucket over TIMESTAMPTZ with a zone, date_trunc of the local time, an ASOF join on boundaries, and the
// integer-hour join the store uses. Prints a table and, last, one JSON line. BENCH_ROWS sets the row count.

import os from 'node:os';
import duckdb from '@duckdb/node-api';

const ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const SKIP_SLOW = process.env.BENCH_SKIP_SLOW === '1';

const inst = await duckdb.DuckDBInstance.create(':memory:', { threads: String(os.cpus().length) });
const c = await inst.connect();
await c.run(`CREATE TABLE results AS
  SELECT make_timestamptz(1772323200000000 + i * 1500000) AS time, (i % 400)::INTEGER AS series_id,
         20 + (hash(i) % 1000) / 10.0 AS latency_ms
  FROM range(0, ${ROWS}) t(i)`); // from 2026-03-01, 1.5 s apart: spans the 2026-03-29 DST change in Berlin

const days: number[] = [];
const { DateTime } = await import('luxon');
for (let d = DateTime.fromISO('2026-02-28', { zone: 'Europe/Berlin' }); days.length < 400; d = d.plus({ days: 1 })) {
  days.push(d.toMillis());
}
const hours: number[] = [];
const dayOfHour: number[] = [];
for (let i = 0; i + 1 < days.length; i++) {
  for (let h = days[i]!; h < days[i + 1]!; h += 3_600_000) {
    hours.push(h / 3_600_000);
    dayOfHour.push(days[i]! * 1000);
  }
}
const lists = `h AS (SELECT unnest([${hours.join(',')}]::BIGINT[]) AS slot, unnest([${dayOfHour.join(',')}]::BIGINT[]) AS d),
  b AS (SELECT make_timestamptz(unnest([${days.map((x) => x * 1000).join(',')}]::BIGINT[])) AS t)`;

const variants: [string, string][] = [
  [
    'integer hour joined to day boundaries (used)',
    `WITH ${lists} SELECT h.d, count(*), avg(latency_ms) FROM results r JOIN h ON epoch_us(r.time) // 3600000000 = h.slot GROUP BY ALL`,
  ],
  [
    'ASOF join on day boundaries',
    `WITH ${lists} SELECT b.t, count(*), avg(latency_ms) FROM results r ASOF JOIN b ON r.time >= b.t GROUP BY ALL`,
  ],
  [
    "date_trunc('day', timezone(tz, time))",
    `SELECT date_trunc('day', timezone('Europe/Berlin', time)), count(*), avg(latency_ms) FROM results GROUP BY ALL`,
  ],
  [
    'time_bucket(INTERVAL 1 DAY, time, tz)',
    `SELECT time_bucket(INTERVAL 1 DAY, time, 'Europe/Berlin'), count(*), avg(latency_ms) FROM results GROUP BY ALL`,
  ],
];

const counts = new Map<string, string>();
const out: Record<string, number> = {};
console.log(
  `machine: ${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
console.log(`rows: ${ROWS}\n`);
console.log('| method | seconds |\n|---|---|');
for (const [name, sql] of variants) {
  if (SKIP_SLOW && name.startsWith('time_bucket')) continue;
  await c.run(sql); // warm
  const t = performance.now();
  const r = await c.runAndReadAll(sql);
  const s = (performance.now() - t) / 1000;
  out[name] = Number(s.toFixed(3));
  // Same per-day counts from every method, or the comparison means nothing.
  const perDay = (r.getRows() as unknown[][])
    .map((row) => Number(row[1]))
    .sort((a, b) => a - b)
    .join(',');
  counts.set(name, perDay);
  console.log(`| ${name} | ${s.toFixed(3)} |`);
}
const distinct = new Set(counts.values());
console.log(`\nper-day counts agree across methods: ${distinct.size === 1}`);
console.log(JSON.stringify({ rows: ROWS, seconds: out, agree: distinct.size === 1 }));
inst.closeSync();
