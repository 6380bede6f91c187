// Ingest over HTTP: the service in a child process on a DuckDB file (started with `npm start`'s environment),
// 4 concurrent keep-alive clients on loopback posting 5,000-line batches of line protocol, beside its peers
// InfluxDB 1.6 and VictoriaMetrics (bench/peers.ts) given the same batches, same bytes, by the same clients.
// Rounds interleave the targets (service plain, service gzip, then each peer); every run starts its target on a
// fresh temporary data folder. Reports points/s acknowledged (median of the rounds and each round), the ratio of
// the service to each peer, request latency, 503s, each target's peak RSS, the goals as pass/fail, and checks that
// every target holds exactly what it acknowledged. Each round also writes the same points through the store alone,
// in this process (no HTTP, no parsing): the most one DuckDB writer reaches here. Then the service alone: writes 60
// days old (below the rollup watermarks) against live writes on a database with recent data and caught-up rollups.
//
//   npm run bench:ingest                                  # 2,000,000 points a run, 3 rounds
//   BENCH_POINTS=500000 BENCH_ROUNDS=5 npm run bench:ingest
//   BENCH_PEERS=none | influxdb | victoria-metrics         # skip the peers, or run one of them
//   BENCH_PEERS_GZIP=1                                    # the peers also with gzip bodies
//   BENCH_BACKFILL=none                                   # skip the backfill measurement
//   BENCH_BASELINE=<a built checkout>                     # this build beside another instead (no peers)
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeLineBytes } from '../src/ingest/line-bytes.js';
import { SeriesCache, STRICT_RULES } from '../src/ingest/validate.js';
import { WriteBatch } from '../src/model/result.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { checkoutRoot, cpuSeconds, machine, pct, START_ENV, startServiceChild } from './common.js';
import { packageVersion, resolvePeers, type Target } from './peers.js';

const POINTS = Number(process.env.BENCH_POINTS ?? 2_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 5000;
const CLIENTS = 4;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The time a run's points cover, evenly spread. */
const SPAN = 4 * HOUR;
const SERIES = 100;

/** `n` batches of `test_result` lines spread evenly over SPAN from `startMs`, nanosecond timestamps. */
function batches(n: number, startMs: number): string[] {
  const out: string[] = [];
  let k = 0;
  for (let b = 0; b < n; b++) {
    const lines: string[] = [];
    for (let i = 0; i < BATCH; i++, k++) {
      // k % 100 decides every tag: 100 series.
      const endpoint = `svc-${k % SERIES}`;
      const region = ['us-east', 'us-west', 'eu-west', 'ap-south'][k % 4];
      const worker = `w-${k % 20}`;
      const ok = k % 53 !== 0;
      const t = startMs + Math.floor((k / (n * BATCH)) * SPAN);
      const fields = ok
        ? `success=true,latency_ms=${(20 + (k % 997) / 7).toFixed(3)}`
        : `success=false,latency_ms=5000,error_type="timeout",error="timeout after 5000 ms to 10.0.${k % 200}.${k % 250}:443"`;
      lines.push(
        `test_result,endpoint=${endpoint},region=${region},test=http_probe,type=network,worker=${worker} ${fields} ${t}${String(k % 1_000_000).padStart(6, '0')}`,
      );
    }
    out.push(lines.join('\n'));
  }
  return out;
}

/**
 * Points of `batches(n, ...)` that share their series and millisecond with the series' previous point: the
 * service keeps microseconds, VictoriaMetrics milliseconds, InfluxDB nanoseconds; one result per series and
 * timestamp in the service (a repeat replaces), and VictoriaMetrics keeps repeats unless told to deduplicate.
 */
function sameMillisecond(n: number): number {
  const last = new Map<number, number>();
  let same = 0;
  for (let k = 0; k < n * BATCH; k++) {
    const t = Math.floor((k / (n * BATCH)) * SPAN);
    if (last.get(k % SERIES) === t) same++;
    last.set(k % SERIES, t);
  }
  return same;
}

interface Driven {
  acked: number;
  seconds: number;
  latencies: number[];
  refused: number;
}

/** CLIENTS keep-alive clients post every body once (a 503 is retried after 100 ms); anything but 204 throws. */
async function drive(target: { url: URL; writePath: string }, bodies: Buffer[], gzip: boolean): Promise<Driven> {
  const { url } = target;
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const post = (body: Buffer) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: target.writePath,
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'text/plain',
            'Content-Length': body.length,
            ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text.length < 500 ? (text += c) : undefined));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  let acked = 0;
  let refused = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < bodies.length) {
          const i = next++;
          const t = performance.now();
          const { status, text } = await post(bodies[i]!);
          latencies.push(performance.now() - t);
          if (status === 204) acked += BATCH;
          else if (status === 503) {
            refused++;
            next--; // retry this batch
            await new Promise((r) => setTimeout(r, 100));
          } else throw new Error(`status ${status}: ${text.slice(0, 300)}`);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { acked, seconds: (performance.now() - t0) / 1000, latencies, refused };
}

/**
 * The store alone, in this process: the same points, parsed beforehand, written through DuckDBStore.write in groups
 * of CLIENTS x BATCH points, one commit each (the largest group the service can form from CLIENTS clients). It is
 * what ingest can reach at most with one DuckDB writer on this machine, whatever HTTP and parsing cost.
 */
async function storeAlone(bodies: Buffer[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-store-'));
  const store = await DuckDBStore.open({ path: join(dir, 'bench.duckdb'), timezone: 'UTC', rawRetentionDays: 3650 });
  try {
    const cache = new SeriesCache();
    const groups: WriteBatch[] = [];
    for (let i = 0; i < bodies.length; i += CLIENTS) {
      const group = new WriteBatch();
      for (const body of bodies.slice(i, i + CLIENTS)) {
        const out = decodeLineBytes(body, { precision: 'ns', nowUs: Date.now() * 1000 }, cache, STRICT_RULES);
        if (!out.ok) throw new Error(out.message);
        group.append(out.batch);
      }
      groups.push(group);
    }
    const points = groups.reduce((a, g) => a + g.size, 0);
    const t0 = performance.now();
    for (const g of groups) await store.write(g);
    return Math.round(points / ((performance.now() - t0) / 1000));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The built service (this checkout, or `root`) on a DuckDB file in a fresh temporary folder. */
async function startService(env: Record<string, string>, root?: URL): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-ingest-'));
  const svc = await startServiceChild({ ...START_ENV, RESULTANT_DB_PATH: join(dir, 'bench.duckdb'), ...env }, root);
  return {
    url: svc.url,
    pid: svc.pid,
    writePath: '/api/v2/write?precision=ns',
    async stored() {
      const series = (await (await fetch(new URL('/api/v1/series', svc.url))).json()) as {
        series: { count: number }[];
      };
      return series.series.reduce((a, s) => a + s.count, 0);
    },
    async stop() {
      const peak = await svc.stop();
      rmSync(dir, { recursive: true, force: true });
      return peak;
    },
  };
}

interface RunResult {
  target: string;
  body: 'plain' | 'gzip';
  points: number;
  seconds: number;
  pointsPerSecond: number;
  p50ms: number;
  p95ms: number;
  refused503: number;
  /** Points the target holds afterwards, or null when it could not count them (`countError` says why). */
  stored: number | null;
  countError?: string;
  storedEqualsAcked: boolean;
  peakRssMb: number;
  /** CPU the target used per point acknowledged (all its threads), and the clients', in microseconds. */
  cpuUsPerPoint: number;
  clientCpuUsPerPoint: number;
}

/** One run: the target takes every body, counts what it holds, and is stopped (its data removed). */
async function measure(name: string, target: Target, bodies: Buffer[], gzip: boolean): Promise<RunResult> {
  let d: Driven;
  const cpu0 = cpuSeconds(target.pid);
  const client0 = process.cpuUsage();
  let cpu = 0;
  let client = 0;
  try {
    d = await drive(target, bodies, gzip);
    cpu = cpuSeconds(target.pid) - cpu0;
    const c = process.cpuUsage(client0);
    client = (c.user + c.system) / 1e6;
  } catch (e) {
    await target.stop();
    throw e;
  }
  let stored: number | null = null;
  let countError: string | undefined;
  try {
    stored = await target.stored();
  } catch (e) {
    countError = e instanceof Error ? e.message : String(e);
  }
  const peak = await target.stop();
  return {
    target: name,
    body: gzip ? 'gzip' : 'plain',
    points: d.acked,
    seconds: Number(d.seconds.toFixed(2)),
    pointsPerSecond: Math.round(d.acked / d.seconds),
    p50ms: Number(pct(d.latencies, 0.5).toFixed(1)),
    p95ms: Number(pct(d.latencies, 0.95).toFixed(1)),
    refused503: d.refused,
    stored,
    ...(countError ? { countError } : {}),
    storedEqualsAcked: stored === d.acked,
    cpuUsPerPoint: Number(((cpu / d.acked) * 1e6).toFixed(2)),
    clientCpuUsPerPoint: Number(((client / d.acked) * 1e6).toFixed(2)),
    peakRssMb: peak,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
};
const num = (x: number): string => x.toLocaleString('en');
const storedNote = (r: RunResult): string =>
  r.stored === null
    ? `not counted (${r.countError})`
    : r.storedEqualsAcked
      ? 'yes'
      : `**no**: ${num(r.stored)} stored of ${num(r.points)}`;

/** The service's completed rollup runs (its /metrics). */
async function rollupRuns(url: URL): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  let n = 0;
  for (const m of text.matchAll(/^resultant_rollup_runs_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

/**
 * Waits until the service's rollups have caught up (its /health: no lag, no dirty hours) and, with `runsBefore`,
 * a rollup run has completed since then (dirty days, which /health does not show, are rebuilt in the same run);
 * returns the seconds it waited.
 */
async function rollupsCaughtUp(url: URL, runsBefore?: number, timeoutS = 600): Promise<number> {
  const t = performance.now();
  for (;;) {
    const h = (await (await fetch(new URL('/health', url))).json()) as {
      checks: { name: string; lag_seconds?: number; dirty_hours?: number }[];
    };
    const r = h.checks.find((c) => c.name === 'rollup');
    if (
      r &&
      r.lag_seconds === 0 &&
      r.dirty_hours === 0 &&
      (runsBefore === undefined || (await rollupRuns(url)) > runsBefore)
    )
      return (performance.now() - t) / 1000;
    if ((performance.now() - t) / 1000 > timeoutS) throw new Error(`the rollups did not catch up within ${timeoutS} s`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * Backfill against live writes, the service alone. One service (raw retention 90 days, so that 60 days old is
 * writable) takes the usual batches (5 to 1 hours ago) and its minutely rollup catches up; then each round posts
 * the same number of points twice, live (4 hours from the clock on: above the hourly and daily watermarks, later
 * than everything stored) and 60 days old (below both watermarks: the hours and days they touch are marked for
 * rebuilding), after waiting for the rollups to catch up before each pass. The minutely rollup runs as by default
 * (it may coincide with a pass); how long it takes to rebuild after the last backfill pass is reported too.
 */
async function backfill(seed: Buffer[]): Promise<Record<string, unknown>> {
  const svc = await startService({ RESULTANT_RETENTION_RAW_DAYS: '90' });
  try {
    const s = await drive(svc, seed, false);
    let acked = s.acked;
    const seedCatchUpS = await rollupsCaughtUp(svc.url, await rollupRuns(svc.url));
    console.log(
      `\nbackfill: seeded ${num(s.acked)} points (5 to 1 hours ago), rollups caught up ${seedCatchUpS.toFixed(0)} s later`,
    );
    const rates = { live: [] as number[], backfill: [] as number[] };
    const t0 = Date.now();
    let runsAfterBackfill: number | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ['live', 'backfill'] as const) {
        const start = (kind === 'live' ? t0 : t0 - 60 * DAY) + r * SPAN;
        const bodies = batches(seed.length, start).map((b) => Buffer.from(b));
        // Before a pass: the rollups caught up, and after a backfill pass a rollup run that rebuilt what it dirtied.
        const waitS = await rollupsCaughtUp(svc.url, runsAfterBackfill);
        const d = await drive(svc, bodies, false);
        runsAfterBackfill = kind === 'backfill' ? await rollupRuns(svc.url) : undefined;
        acked += d.acked;
        const rate = Math.round(d.acked / d.seconds);
        rates[kind].push(rate);
        console.log(
          `backfill round ${r + 1}: ${kind} ${num(rate)} points/s (${d.refused} 503s; waited ${waitS.toFixed(0)} s for the rollups before it)`,
        );
      }
    }
    const lastCatchUpS = await rollupsCaughtUp(svc.url, runsAfterBackfill);
    const stored = await svc.stored();
    const live = median(rates.live);
    const old = median(rates.backfill);
    console.log(`\n| writes (service, plain) | points/s, median of ${ROUNDS} | each round |\n|---|---|---|`);
    console.log(`| live (above the watermarks) | ${num(live)} | ${rates.live.map(num).join(', ')} |`);
    console.log(
      `| backfill (60 days old, below the watermarks) | ${num(old)} | ${rates.backfill.map(num).join(', ')} |`,
    );
    console.log(
      `backfill / live: ${(old / live).toFixed(2)}; the rollups rebuilt the last backfill's hours and days within ${lastCatchUpS.toFixed(0)} s (the rollup runs every minute)`,
    );
    console.log(
      `stored = acknowledged: ${stored === acked ? 'yes' : `**no**: ${num(stored)} stored of ${num(acked)}`}`,
    );
    if (stored !== acked) process.exitCode = 1;
    return {
      live,
      backfill: old,
      ratio: Number((old / live).toFixed(3)),
      rounds: rates,
      lastCatchUpS: Math.round(lastCatchUpS),
      storedEqualsAcked: stored === acked,
    };
  } finally {
    const peak = await svc.stop();
    console.log(`service peak RSS over the backfill measurement: ${peak} MB`);
  }
}

console.log(`machine: ${machine()}`);
console.log(
  `${num(POINTS)} points per run, ${BATCH}-line batches, ${CLIENTS} concurrent keep-alive clients on loopback, each target in a child process\n`,
);
const nBatches = Math.ceil(POINTS / BATCH);
// Every batch its own points: the store keeps one result per series and timestamp, so a resent batch would replace, not add.
const plain = batches(nBatches, Date.now() - 5 * HOUR).map((b) => Buffer.from(b));
const gzip = plain.map((b) => gzipSync(b));
const mb = (bs: Buffer[]) => (bs.reduce((a, b) => a + b.length, 0) / 2 ** 20).toFixed(1);

// BENCH_BASELINE=<a built checkout of another commit>: that build and this one in interleaved rounds, with the ratio
// (a change's cost measured side by side in one run, as this shared machine's absolute rates vary by 10-20 %).
const baseline = process.env.BENCH_BASELINE;
if (baseline) {
  const root = checkoutRoot(baseline);
  const rates: Record<string, number[]> = { 'this build': [], baseline: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const order: [string, URL | undefined][] =
      i % 2 === 0
        ? [
            ['this build', undefined],
            ['baseline', root],
          ]
        : [
            ['baseline', root],
            ['this build', undefined],
          ];
    for (const [label, at] of order) {
      const r = await measure(label, await startService({}, at), plain, false);
      if (!r.storedEqualsAcked) throw new Error(`${label}: the store does not hold what was acknowledged`);
      rates[label]!.push(r.pointsPerSecond);
      console.log(`round ${i + 1}: ${label} ${num(r.pointsPerSecond)} points/s, peak RSS ${r.peakRssMb} MB`);
    }
  }
  const a = median(rates['this build']!);
  const b = median(rates.baseline!);
  console.log(
    `\n| target | points/s (median of ${ROUNDS}) |\n|---|---|\n| this build | ${num(a)} |\n| baseline (${baseline}) | ${num(b)} |`,
  );
  console.log(`ratio this build / baseline: ${(a / b).toFixed(2)}`);
} else {
  console.log(`bodies: ${mb(plain)} MiB plain, ${mb(gzip)} MiB gzip, the same bytes to every target`);
  const same = sameMillisecond(nBatches);
  console.log(
    same === 0
      ? 'every point has its own (series, millisecond): nothing for the targets to replace or deduplicate'
      : `${num(same)} points share a series and millisecond with another (VictoriaMetrics keeps milliseconds): lower BENCH_POINTS below ${num(SPAN)} for an exact count there`,
  );
  const { ready, skipped } = resolvePeers();
  for (const s of skipped) console.log(`peer skipped: ${s.name}: ${s.why}`);
  const peerGzip = process.env.BENCH_PEERS_GZIP === '1';
  interface Planned {
    name: string;
    gzip: boolean;
    start(): Promise<Target>;
  }
  const plan: Planned[] = [
    { name: 'service', gzip: false, start: () => startService({}) },
    { name: 'service', gzip: true, start: () => startService({}) },
  ];
  const versions = new Map<string, string>([['service', 'this build']]);
  for (const { peer, bin } of ready) {
    versions.set(peer.name, `${bin} ${packageVersion(peer.pkg)}`.trim());
    plan.push({ name: peer.name, gzip: false, start: () => peer.start(bin) });
    if (peerGzip) plan.push({ name: peer.name, gzip: true, start: () => peer.start(bin) });
  }
  for (const [name, v] of versions) console.log(`${name}: ${v}`);
  console.log(
    `rounds: ${ROUNDS}, each ${plan.map((p) => `${p.name} ${p.gzip ? 'gzip' : 'plain'}`).join(', ')}; each run on a fresh data folder\n`,
  );
  const key = (p: { name: string; gzip: boolean }) => `${p.name} (${p.gzip ? 'gzip' : 'plain'})`;
  const runs = new Map<string, RunResult[]>(plan.map((p) => [key(p), []]));
  const failed = new Map<string, string>();
  const alone: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    alone.push(await storeAlone(plain));
    console.log(
      `round ${r + 1}: store alone (in this process, ${num(CLIENTS * BATCH)}-point commits) ${num(alone.at(-1)!)} points/s`,
    );
    for (const p of plan) {
      if (failed.has(p.name)) continue;
      try {
        const res = await measure(p.name, await p.start(), p.gzip ? gzip : plain, p.gzip);
        runs.get(key(p))!.push(res);
        console.log(
          `round ${r + 1}: ${key(p)} ${num(res.pointsPerSecond)} points/s, p50/p95 ${res.p50ms}/${res.p95ms} ms, ${res.refused503} 503s, peak RSS ${res.peakRssMb} MB, CPU ${res.cpuUsPerPoint} µs/point (clients ${res.clientCpuUsPerPoint}), stored = acknowledged: ${storedNote(res)}`,
        );
        if (res.stored !== null && !res.storedEqualsAcked) process.exitCode = 1;
      } catch (e) {
        if (p.name === 'service') throw e;
        const why = e instanceof Error ? e.message : String(e);
        failed.set(p.name, why);
        console.log(`round ${r + 1}: ${key(p)} failed, left out from here on: ${why}`);
      }
    }
  }

  const med = (k: string): number | undefined => {
    const rs = runs.get(k) ?? [];
    return rs.length ? median(rs.map((x) => x.pointsPerSecond)) : undefined;
  };
  const svcPlain = med('service (plain)')!;
  const svcGzip = med('service (gzip)')!;
  console.log(
    `\n| target | points/s, median of ${ROUNDS} | each round | service / target | peak RSS MB (max) | request p50 / p95 ms (median) | CPU µs per point, target / clients (median) | 503s | stored = acknowledged |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [k, rs] of runs) {
    if (rs.length === 0) continue;
    const m = med(k)!;
    const isService = k.startsWith('service ');
    const ratio = isService
      ? k === 'service (gzip)'
        ? `gzip / plain ${(svcGzip / svcPlain).toFixed(2)}`
        : '1.00'
      : `${((k.endsWith('(gzip)') ? svcGzip : svcPlain) / m).toFixed(2)}x`;
    console.log(
      `| ${k} | ${num(m)} | ${rs.map((x) => num(x.pointsPerSecond)).join(', ')} | ${ratio} | ${Math.max(...rs.map((x) => x.peakRssMb))} | ${median(rs.map((x) => x.p50ms))} / ${median(rs.map((x) => x.p95ms))} | ${median(rs.map((x) => x.cpuUsPerPoint))} / ${median(rs.map((x) => x.clientCpuUsPerPoint))} | ${rs.reduce((a, x) => a + x.refused503, 0)} | ${rs.every((x) => x.storedEqualsAcked) ? 'yes' : rs.map(storedNote).join('; ')} |`,
    );
  }

  const aloneMedian = median(alone);
  const influx = med('InfluxDB 1.6 (plain)');
  console.log(
    `| store alone (DuckDB writes in this process, no HTTP or parsing, ${num(CLIENTS * BATCH)}-point commits) | ${num(aloneMedian)} | ${alone.map(num).join(', ')} | service / store alone ${(svcPlain / aloneMedian).toFixed(2)}${influx ? `; store alone / InfluxDB 1.6 ${(aloneMedian / influx).toFixed(2)}x` : ''} | | | | | |`,
  );

  const goals: { goal: string; value: string; pass: boolean | null }[] = [];
  const peerGoal = (name: string, min: number) => {
    const m = med(`${name} (plain)`);
    if (m === undefined)
      goals.push({
        goal: `service ≥ ${min}x ${name}`,
        value: `not measured (${failed.get(name) ?? skipped.find((s) => s.name === name)?.why ?? 'skipped'})`,
        pass: null,
      });
    else
      goals.push({
        goal: `service ≥ ${min}x ${name}`,
        value: `${(svcPlain / m).toFixed(2)}x ${name}`,
        pass: svcPlain / m >= min,
      });
  };
  peerGoal('InfluxDB 1.6', 1.5);
  peerGoal('VictoriaMetrics', 0.7);
  const svcPeak = Math.max(
    ...[...(runs.get('service (plain)') ?? []), ...(runs.get('service (gzip)') ?? [])].map((x) => x.peakRssMb),
  );
  goals.push({ goal: 'service peak RSS ≤ 500 MB', value: `${svcPeak} MB`, pass: svcPeak <= 500 });
  const slower = (1 - svcGzip / svcPlain) * 100;
  goals.push({
    goal: 'gzip ≤ 15 % slower than plain',
    value: `${Math.abs(slower).toFixed(1)} % ${slower >= 0 ? 'slower' : 'faster'}`,
    pass: slower <= 15,
  });
  console.log('');
  for (const g of goals)
    console.log(`goal: ${g.goal}: ${g.value}: ${g.pass === null ? 'NOT MEASURED' : g.pass ? 'PASS' : 'FAIL'}`);

  const backfillResult = process.env.BENCH_BACKFILL === 'none' ? null : await backfill(plain);
  console.log(
    JSON.stringify({
      machine: machine(),
      points: POINTS,
      rounds: ROUNDS,
      versions: Object.fromEntries(versions),
      skipped,
      failed: Object.fromEntries(failed),
      runs: Object.fromEntries(runs),
      storeAlone: alone,
      goals,
      backfill: backfillResult,
    }),
  );
}
