// Rollup of 10 M raw rows: 400 series at one result per minute (~17.4 days) in a DuckDB file, then the hourly
// and daily rollups of all of it (store.rollup), and a rebuild of the whole range. BENCH_ROWS sets the size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '../src/config.js';
import { makeSeries, WriteBatch } from '../src/model/result.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { machine, rssSampler } from './common.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const SERIES = 400;
const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-rollup-'));
let rss = rssSampler();
const store = await DuckDBStore.open({
  path: join(dir, 'bench.duckdb'),
  timezone: 'Europe/Berlin',
  rawRetentionDays: 3650,
  ...(process.env.BENCH_MEMORY_LIMIT ? { memoryLimit: parseByteSize(process.env.BENCH_MEMORY_LIMIT) } : {}),
});
const series = Array.from({ length: SERIES }, (_, i) =>
  makeSeries('test_result', {
    endpoint: `svc-${i % 100}`,
    region: ['us-east', 'us-west', 'eu-west', 'ap-south'][Math.floor(i / 100)]!,
    test: 'http_probe',
  }),
);
const minutes = Math.ceil(ROWS / SERIES);
const start = Math.floor((Date.now() - minutes * MIN - 86_400_000) / 3_600_000) * 3_600_000;
let seed = 1;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
let written = 0;
const tLoad = performance.now();
for (let m = 0; written < ROWS; ) {
  const b = new WriteBatch();
  for (; b.size < 100_000 && written + b.size < ROWS; m++) {
    for (let s = 0; s < SERIES && written + b.size < ROWS; s++) {
      const ok = rnd() > 0.01;
      b.addResult(
        series[s]!,
        (start + m * MIN + s * 100) * 1000,
        ok,
        20 + 200 * rnd() * rnd(),
        null,
        ok ? null : 'timeout',
        ok ? null : 'timeout',
      );
    }
  }
  await store.write(b);
  written += b.size;
  process.stderr.write(`\rloaded ${written}`);
}
const loadSeconds = (performance.now() - tLoad) / 1000;
const loadPeak = rss.stop();
console.error(
  `rss before rollup ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB`,
);
rss = rssSampler();
process.stderr.write('\n');
const now = start + (minutes + 60) * MIN;
const t1 = performance.now();
const r = await store.rollup(now);
const rollupSeconds = (performance.now() - t1) / 1000;
const t2 = performance.now();
const rb = await store.rebuildRollups(start, now);
const rebuildSeconds = (performance.now() - t2) / 1000;
// Retention: the first day of raw rows goes; its rollups get their sketch bins first.
const t3 = performance.now();
// Keeps all but the oldest ~3 days of raw rows (retention cuts at day starts in the rollup zone).
const cleanup = await store.cleanup(
  { rawDays: Math.max(2, Math.floor(minutes / 1440) - 3), hourlyDays: 400, dailyDays: 0 },
  now,
);
const cleanupSeconds = (performance.now() - t3) / 1000;
await store.close();
const peak = rss.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`machine: ${machine()}\n`);
console.log(`| step | rows | seconds | rows/s |\n|---|---|---|---|`);
console.log(
  `| load through store.write (100k-row batches, appender) | ${ROWS.toLocaleString('en')} | ${loadSeconds.toFixed(1)} | ${Math.round(ROWS / loadSeconds).toLocaleString('en')} |`,
);
console.log(
  `| rollup: ${r.hoursRolledUp} hours + ${r.daysRolledUp} days (Europe/Berlin), with exact percentiles | ${ROWS.toLocaleString('en')} | ${rollupSeconds.toFixed(2)} | ${Math.round(ROWS / rollupSeconds).toLocaleString('en')} |`,
);
console.log(
  `| rebuild of the whole range (${rb.hoursRolledUp} hours + ${rb.daysRolledUp} days) | ${ROWS.toLocaleString('en')} | ${rebuildSeconds.toFixed(2)} | ${Math.round(ROWS / rebuildSeconds).toLocaleString('en')} |`,
);
console.log(
  `| retention: delete ${cleanup.rawDeleted.toLocaleString('en')} raw rows after writing their rollups' sketch bins | ${cleanup.rawDeleted.toLocaleString('en')} | ${cleanupSeconds.toFixed(2)} | ${Math.round(cleanup.rawDeleted / cleanupSeconds).toLocaleString('en')} |`,
);
console.log(
  `\npeak RSS while loading (the generator shares the process) ${loadPeak} MB; during rollup, rebuild and retention ${peak} MB`,
);
console.log(
  JSON.stringify({
    machine: machine(),
    rows: ROWS,
    loadSeconds,
    rollupSeconds,
    rebuildSeconds,
    cleanupSeconds,
    rawDeleted: cleanup.rawDeleted,
    loadPeakRssMb: loadPeak,
    hours: r.hoursRolledUp,
    days: r.daysRolledUp,
    peakRssMb: peak,
  }),
);
