// Percentile accuracy of merged rollups on demo data: every bucket of several groupings and periods is read
// once from raw rows (exact type-7 percentiles) and once after the rollup and a retention run that deleted every
// raw row (merged sketches, the only source left), and compared. Counts, sums, mean, min, max and stddev must
// agree to float rounding; the percentile error is reported.
import { type AggregatesJson, queryAggregates } from '../src/aggregates/index.js';
import { DemoFleet } from '../src/demo/generate.js';
import { decodeLineProtocol } from '../src/ingest/validate.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';

const DAYS = Number(process.env.BENCH_DAYS ?? 3);
const MIN = 60_000;
const stop = Date.UTC(2026, 10, 20);
const start = stop - DAYS * 86_400_000;
const store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
const fleet = new DemoFleet({ start, stop, seed: 7, endpoints: 50, regions: 4, workersPerRegion: 5 });
let buf: string[] = [];
for (let t = start; t < stop; t += MIN) {
  buf.push(...fleet.minute(t));
  if (buf.length > 20_000 || t + MIN >= stop) {
    const d = decodeLineProtocol(buf.join('\n'), { precision: 'ns', nowUs: 0 });
    if (!d.ok) throw new Error(d.message);
    await store.write(d.batch);
    buf = [];
  }
}
const queries = [
  { period: 'hour', groupBy: ['region'], tz: 'UTC' },
  { period: 'hour', groupBy: ['endpoint'], tz: 'UTC' },
  { period: 'day', groupBy: ['region'], tz: 'UTC' },
  { period: 'day', groupBy: ['endpoint'], tz: 'Europe/Berlin' },
  { period: 'day', groupBy: [], tz: 'America/New_York' },
  { period: 'week', groupBy: ['worker'], tz: 'UTC' },
] as const;
const run = () =>
  Promise.all(
    queries.map((q) =>
      queryAggregates(
        store,
        {
          period: q.period,
          tz: q.tz,
          groupBy: [...q.groupBy],
          start: start - 7 * 86_400_000,
          stop: stop + 86_400_000,
          filters: {},
          metric: 'latency_ms',
          fill: false,
        },
        stop + 30 * 86_400_000,
      ),
    ),
  );
const raw = await run();
await store.cleanup({ rawDays: 2, hourlyDays: 3650, dailyDays: 0 }, stop + 30 * 86_400_000);
const rolled = await run();
console.log(
  `demo fleet, ${DAYS} days; every bucket from raw rows (exact) vs from rollups after the raw rows were deleted (merged sketches)\n`,
);
console.log(
  '| period | group_by | tz | buckets | worst moment rel. error | worst percentile rel. error | mean percentile rel. error |',
);
console.log('|---|---|---|---|---|---|---|');
const summary: unknown[] = [];
let allWorst = 0;
queries.forEach((q, i) => {
  const a = raw[i] as AggregatesJson;
  const b = rolled[i] as AggregatesJson;
  let n = 0;
  let worstM = 0;
  let worstP = 0;
  let sumP = 0;
  let nP = 0;
  a.series.forEach((s, si) => {
    s.buckets.forEach((x, bi) => {
      const y = b.series[si]!.buckets[bi]!;
      if (x.start !== y.start || x.test_count !== y.test_count || x.success_count !== y.success_count)
        throw new Error('counts differ');
      n++;
      for (const k of ['mean', 'min', 'max', 'stddev'] as const) {
        const e = Math.abs(x.stats![k]! - y.stats![k]!) / Math.max(1e-12, Math.abs(x.stats![k]!));
        worstM = Math.max(worstM, e);
      }
      for (const k of ['p50', 'p95', 'p99'] as const) {
        const e = Math.abs(x.stats![k]! - y.stats![k]!) / Math.abs(x.stats![k]!);
        worstP = Math.max(worstP, e);
        sumP += e;
        nP++;
      }
    });
  });
  allWorst = Math.max(allWorst, worstP);
  summary.push({ ...q, buckets: n, worstMoment: worstM, worstPercentile: worstP, meanPercentile: sumP / nP });
  console.log(
    `| ${q.period} | ${q.groupBy.join(',') || '(all)'} | ${q.tz} | ${n} | ${worstM.toExponential(1)} | ${(100 * worstP).toFixed(3)} % | ${((100 * sumP) / nP).toFixed(3)} % |`,
  );
});
console.log(`\nworst percentile error ${(100 * allWorst).toFixed(3)} % (bound 0.80 %, contract 1 %)`);
console.log(JSON.stringify({ days: DAYS, queries: summary }));
await store.close();
